using System.Globalization;
using System.Text.RegularExpressions;
using Skald.Data.IO;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// Optical character recognition with the Tesseract command line in <see cref="Languages"/> (Tesseract's codes joined
/// by '+'; of them, the ones installed are used): of image files, and of PDF pages without a text layer (scanned pages),
/// which poppler's <c>pdftoppm</c> first renders to a 300 dpi grey PNG. Both are system programs: Debian/Ubuntu
/// <c>tesseract-ocr</c> with <c>tesseract-ocr-nor</c> / <c>-dan</c> / <c>-swe</c>, and <c>poppler-utils</c>. When they
/// are missing, <see cref="Unavailable"/> and <see cref="PdfUnavailable"/> say what to install, and the readers keep
/// what has text.
/// </summary>
public sealed partial class Ocr
{
    /// <summary>Norwegian, Danish, Swedish and English (Tesseract's <c>nor</c> covers Bokmål and Nynorsk).</summary>
    public const string DefaultLanguages = "nor+dan+swe+eng";

    /// <summary>What to install for OCR on Debian/Ubuntu.</summary>
    public const string Packages = "apt-get install tesseract-ocr tesseract-ocr-nor tesseract-ocr-dan tesseract-ocr-swe poppler-utils";

    /// <summary>The resolution PDF pages are rendered at for OCR.</summary>
    public const int Dpi = 300;

    /// <summary>The longest a page or image may take to render or read.</summary>
    public static readonly TimeSpan PageTimeout = TimeSpan.FromMinutes(5);

    private readonly Lazy<Setup> setup;
    private readonly Func<string, string?> find;

    private sealed record Setup(string? Reason, string? PdfReason, string Tesseract, string Pdftoppm, string Languages);

    /// <summary>OCR when the programs are installed (the default of ingestion).</summary>
    public static Ocr Auto { get; } = new(true, DefaultLanguages);

    /// <summary>No OCR: scanned pages and images are reported, not read.</summary>
    public static Ocr Off { get; } = new(false, DefaultLanguages);

    /// <summary>OCR on or off, in <paramref name="languages"/> (e.g. <c>nor+eng</c>); a malformed list is a <see cref="DataException"/>.</summary>
    public Ocr(bool enabled, string languages)
        : this(enabled, languages, ExternalProgram.Find)
    {
    }

    /// <summary>As the public constructor, finding programs with <paramref name="find"/> (tests).</summary>
    internal Ocr(bool enabled, string languages, Func<string, string?> find)
    {
        ArgumentNullException.ThrowIfNull(languages);
        if (!LanguageList().IsMatch(languages))
            throw new DataException($"OCR languages \"{languages}\" must be Tesseract codes joined by '+', e.g. {DefaultLanguages}");
        this.find = find;
        Enabled = enabled;
        Languages = languages;
        setup = new Lazy<Setup>(Probe);
    }

    /// <summary>Whether scanned pages and images are to be read.</summary>
    public bool Enabled { get; }

    /// <summary>The Tesseract languages asked for, joined by '+'.</summary>
    public string Languages { get; }

    /// <summary>Null when images can be read; else why not, in one line naming what to install (or that OCR is off).</summary>
    public string? Unavailable => setup.Value.Reason;

    /// <summary>Null when scanned PDF pages can be read (tesseract and pdftoppm); else why not, in one line.</summary>
    public string? PdfUnavailable => setup.Value.PdfReason;

    /// <summary>The text Tesseract reads in the image file <paramref name="image"/> (PNG, JPEG, TIFF).</summary>
    public string ReadImage(string image)
    {
        var s = setup.Value;
        if (s.Reason is not null) throw new DataException(s.Reason);
        var read = ExternalProgram.Run(s.Tesseract, [image, "stdout", "-l", s.Languages], timeout: PageTimeout);
        if (read.ExitCode != 0)
            throw new DataException($"tesseract could not read the image (exit {read.ExitCode}): {ExternalProgram.FirstLine(read.Error)}");
        return read.Output.Replace("\f", "\n", StringComparison.Ordinal);
    }

    /// <summary>
    /// The text Tesseract reads on page <paramref name="pageNumber"/> (1-based) of <paramref name="pdf"/>, or in its
    /// <paramref name="region"/> only: (left, top, width, height) in points from the top-left corner of the page as it is
    /// shown (its crop box, turned by its /Rotate; PdfPig's coordinates of a page are in that frame, from the lower left).
    /// </summary>
    public string ReadPdfPage(string pdf, int pageNumber, (double Left, double Top, double Width, double Height)? region = null)
    {
        var s = setup.Value;
        if (s.PdfReason is not null) throw new DataException(s.PdfReason);
        string dir = Path.Combine(Path.GetTempPath(), "skald-ocr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = pageNumber.ToString(CultureInfo.InvariantCulture);
            string image = Path.Combine(dir, "page");
            List<string> args = ["-r", Dpi.ToString(CultureInfo.InvariantCulture), "-gray", "-png", "-singlefile", "-cropbox", "-f", page, "-l", page];
            if (region is var (left, top, width, height))
            {
                static string Pixels(double points) => ((int)Math.Round(points * Dpi / 72.0)).ToString(CultureInfo.InvariantCulture);
                args.AddRange(["-x", Pixels(left), "-y", Pixels(top), "-W", Pixels(width), "-H", Pixels(height)]);
            }
            var render = ExternalProgram.Run(s.Pdftoppm, [.. args, pdf, image], timeout: PageTimeout);
            if (render.ExitCode != 0 || !File.Exists(image + ".png"))
                throw new DataException($"pdftoppm could not render the page (exit {render.ExitCode}): {ExternalProgram.FirstLine(render.Error)}");
            return ReadImage(image + ".png");
        }
        finally
        {
            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
                // a temporary folder left behind is harmless
            }
        }
    }

    private Setup Probe()
    {
        if (!Enabled) return new Setup("OCR is off", "OCR is off", "", "", "");
        string? tesseract = find("tesseract"), pdftoppm = find("pdftoppm");
        string? pdfMissing = pdftoppm is null ? $"OCR of PDF pages needs pdftoppm on the PATH ({Packages})" : null;
        if (tesseract is null)
        {
            string reason = $"OCR needs tesseract on the PATH ({Packages})";
            return new Setup(reason, pdftoppm is null ? $"OCR needs tesseract and pdftoppm on the PATH ({Packages})" : reason, "", "", "");
        }
        var list = ExternalProgram.Run(tesseract, ["--list-langs"], timeout: TimeSpan.FromMinutes(1));
        var installed = list.Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.Contains(' ', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var usable = Languages.Split('+').Where(installed.Contains).ToList();
        if (usable.Count == 0)
        {
            string reason = $"tesseract has none of the OCR languages {Languages} installed (it has {string.Join(", ", installed.Order(StringComparer.Ordinal))}; {Packages})";
            return new Setup(reason, reason, "", "", "");
        }
        return new Setup(null, pdfMissing, tesseract, pdftoppm ?? "", string.Join('+', usable));
    }

    [GeneratedRegex("^[A-Za-z0-9_]+(\\+[A-Za-z0-9_]+)*$")]
    private static partial Regex LanguageList();
}
