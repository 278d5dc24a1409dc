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
/// what has text. A picture that lies turned (scanned sideways or upside down) is read upright when Tesseract's
/// orientation detection is sure of it (<see cref="OrientationMargin"/>); otherwise it is read as it lies.
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

    /// <summary>
    /// How sure Tesseract's orientation detection (<c>--psm 0</c>) must be, its "Orientation confidence" (the best
    /// orientation's score over the next), before a picture is read turned: Tesseract's own least margin for turning a
    /// page (its <c>min_orientation_margin</c>, 7). A full page of text scores far above it; a line or two below.
    /// </summary>
    public const double OrientationMargin = 7.0;

    private readonly Lazy<Setup> setup;
    private readonly Func<string, string?> find;
    private readonly Action<string> warn;
    private int saidNoOsd, saidUnsure, saidUnknown;

    private sealed record Setup(string? Reason, string? PdfReason, string Tesseract, string Pdftoppm, string Languages, bool Osd);

    /// <summary>OCR when the programs are installed (the default of ingestion).</summary>
    public static Ocr Auto { get; } = new(true, DefaultLanguages);

    /// <summary>No OCR: scanned pages and images are reported, not read.</summary>
    public static Ocr Off { get; } = new(false, DefaultLanguages);

    /// <summary>OCR on or off, in <paramref name="languages"/> (e.g. <c>nor+eng</c>); a malformed list is a <see cref="DataException"/>.</summary>
    public Ocr(bool enabled, string languages)
        : this(enabled, languages, ExternalProgram.Find)
    {
    }

    /// <summary>As the public constructor, finding programs with <paramref name="find"/> and saying what it cannot do well
    /// to <paramref name="warn"/> (default standard error; tests).</summary>
    internal Ocr(bool enabled, string languages, Func<string, string?> find, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(languages);
        if (!LanguageList().IsMatch(languages))
            throw new DataException($"OCR languages \"{languages}\" must be Tesseract codes joined by '+', e.g. {DefaultLanguages}");
        this.find = find;
        this.warn = warn ?? Console.Error.WriteLine;
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

    /// <summary>
    /// What this OCR can read now, in one word an index records beside a file read without text
    /// (<c>Skald.Retrieval.Index.TextlessFile.Ocr</c>): <c>off</c>; <c>unavailable</c> (on, but tesseract or every
    /// language of <see cref="Languages"/> missing); else the installed languages it reads in, with <c>;pdf</c> when it
    /// reads scanned PDF pages too. A file read without text is read again when this changes.
    /// </summary>
    public string Reach => !Enabled ? "off" : Unavailable is not null ? "unavailable" : PdfUnavailable is null ? setup.Value.Languages + ";pdf" : setup.Value.Languages;

    /// <summary>Whether tesseract has its orientation detection's data (osd), which turned pictures are read upright with.</summary>
    internal bool DetectsOrientation => setup.Value.Osd;

    /// <summary>The text Tesseract reads in the image file <paramref name="image"/> (PNG, JPEG, TIFF), turned upright
    /// when it lies turned (<see cref="OrientationMargin"/>).</summary>
    public string ReadImage(string image) => ReadImage(image, image);

    // what: the picture as the user knows it (the file, or a PDF's page), for the lines on standard error
    private string ReadImage(string image, string what)
    {
        var s = setup.Value;
        if (s.Reason is not null) throw new DataException(s.Reason);
        List<string> args = [image, "stdout", "-l", s.Languages];
        // Tesseract's page segmentation with orientation detection turns the page upright before reading; its own margin
        // is set to 0 because ours was met already (it would keep a weakly detected upside-down page as it lies)
        if (Turned(s, image, what)) args.AddRange(["--psm", "1", "-c", "min_orientation_margin=0"]);
        var read = ExternalProgram.Run(s.Tesseract, args, timeout: PageTimeout);
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
            return ReadImage(image + ".png", region is null ? $"{pdf}, page {page}" : $"{pdf}, a picture on page {page}");
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

    // Whether the picture lies turned (sideways or upside down) by what Tesseract's orientation detection is sure of.
    // Unsure, or without the detection's data (osd), it is read as it lies, and standard error hears so once.
    private bool Turned(Setup s, string image, string what)
    {
        if (!s.Osd)
        {
            Once(ref saidNoOsd, "OCR: tesseract has no orientation data (osd.traineddata; apt-get install tesseract-ocr-osd), " +
                "so scans lying sideways or upside down are read as they lie");
            return false;
        }
        var detect = ExternalProgram.Run(s.Tesseract, [image, "stdout", "--psm", "0"], timeout: PageTimeout);
        var found = detect.ExitCode == 0 ? PageOrientation.Parse(detect.Output) : null;
        if (found is { Rotate: 0 }) return false;
        if (found is { } sure && sure.Confidence >= OrientationMargin) return true;
        if (found is { } unsure)
            Once(ref saidUnsure, FormattableString.Invariant($"OCR: {what} may lie turned (tesseract's orientation detection: turn {unsure.Rotate} degrees, confidence {unsure.Confidence:0.##} < {OrientationMargin}); read as it lies, as are further pictures it is unsure of"));
        else // too little text to tell (tesseract wants 50 letters), or the detection failed
            Once(ref saidUnknown, $"OCR: tesseract cannot tell which way {what} faces ({ExternalProgram.FirstLine(detect.Error + detect.Output)}); read as it lies, as are further pictures it cannot tell");
        return false;
    }

    private void Once(ref int said, string line)
    {
        if (Interlocked.Exchange(ref said, 1) == 0) warn(line);
    }

    private Setup Probe()
    {
        if (!Enabled) return new Setup("OCR is off", "OCR is off", "", "", "", false);
        string? tesseract = find("tesseract"), pdftoppm = find("pdftoppm");
        string? pdfMissing = pdftoppm is null ? $"OCR of PDF pages needs pdftoppm on the PATH ({Packages})" : null;
        if (tesseract is null)
        {
            string reason = $"OCR needs tesseract on the PATH ({Packages})";
            return new Setup(reason, pdftoppm is null ? $"OCR needs tesseract and pdftoppm on the PATH ({Packages})" : reason, "", "", "", false);
        }
        var list = ExternalProgram.Run(tesseract, ["--list-langs"], timeout: TimeSpan.FromMinutes(1));
        var installed = list.Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.Contains(' ', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var usable = Languages.Split('+').Where(installed.Contains).ToList();
        if (usable.Count == 0)
        {
            string reason = $"tesseract has none of the OCR languages {Languages} installed (it has {string.Join(", ", installed.Order(StringComparer.Ordinal))}; {Packages})";
            return new Setup(reason, reason, "", "", "", false);
        }
        return new Setup(null, pdfMissing, tesseract, pdftoppm ?? "", string.Join('+', usable), installed.Contains("osd"));
    }

    [GeneratedRegex("^[A-Za-z0-9_]+(\\+[A-Za-z0-9_]+)*$")]
    private static partial Regex LanguageList();
}
