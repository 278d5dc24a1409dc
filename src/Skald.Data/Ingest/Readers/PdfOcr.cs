using System.Globalization;
using System.Text.RegularExpressions;
using Skald.Data.IO;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// Optical character recognition of PDF pages without a text layer (scanned pages): each such page is rendered to a
/// 300 dpi grey PNG by poppler's <c>pdftoppm</c> and read by the Tesseract command line in <see cref="Languages"/>
/// (Tesseract's codes joined by '+'; of them, the ones installed are used). Both are system programs: Debian/Ubuntu
/// <c>poppler-utils</c>, <c>tesseract-ocr</c> and <c>tesseract-ocr-nor</c> / <c>-dan</c> / <c>-swe</c>. When they are
/// missing, <see cref="Unavailable"/> says what to install and the PDF reader keeps the pages that have text.
/// </summary>
public sealed partial class PdfOcr
{
    /// <summary>Norwegian, Danish, Swedish and English (Tesseract's <c>nor</c> covers Bokmål and Nynorsk).</summary>
    public const string DefaultLanguages = "nor+dan+swe+eng";

    /// <summary>What to install for OCR on Debian/Ubuntu.</summary>
    public const string Packages = "apt-get install tesseract-ocr tesseract-ocr-nor tesseract-ocr-dan tesseract-ocr-swe poppler-utils";

    /// <summary>The longest a page may take to render or read.</summary>
    public static readonly TimeSpan PageTimeout = TimeSpan.FromMinutes(5);

    private readonly Lazy<(string? Reason, string Tesseract, string Pdftoppm, string Languages)> setup;
    private readonly Func<string, string?> find;

    /// <summary>OCR when the programs are installed (the default of ingestion).</summary>
    public static PdfOcr Auto { get; } = new(true, DefaultLanguages);

    /// <summary>No OCR: scanned pages are reported, not read.</summary>
    public static PdfOcr Off { get; } = new(false, DefaultLanguages);

    /// <summary>OCR on or off, in <paramref name="languages"/> (e.g. <c>nor+eng</c>); a malformed list is a <see cref="DataException"/>.</summary>
    public PdfOcr(bool enabled, string languages)
        : this(enabled, languages, ExternalProgram.Find)
    {
    }

    /// <summary>As the public constructor, finding programs with <paramref name="find"/> (tests).</summary>
    internal PdfOcr(bool enabled, string languages, Func<string, string?> find)
    {
        this.find = find;
        ArgumentNullException.ThrowIfNull(languages);
        if (!LanguageList().IsMatch(languages))
            throw new DataException($"OCR languages \"{languages}\" must be Tesseract codes joined by '+', e.g. {DefaultLanguages}");
        Enabled = enabled;
        Languages = languages;
        setup = new Lazy<(string?, string, string, string)>(Probe);
    }

    /// <summary>Whether scanned pages are to be read.</summary>
    public bool Enabled { get; }

    /// <summary>The Tesseract languages asked for, joined by '+'.</summary>
    public string Languages { get; }

    /// <summary>Null when OCR can run; else why not, in one line naming what to install (or that OCR is off).</summary>
    public string? Unavailable => setup.Value.Reason;

    /// <summary>The text Tesseract reads on page <paramref name="pageNumber"/> (1-based) of <paramref name="pdf"/>.</summary>
    public string Recognize(string pdf, int pageNumber)
    {
        var (reason, tesseract, pdftoppm, languages) = setup.Value;
        if (reason is not null) throw new DataException(reason);
        string dir = Path.Combine(Path.GetTempPath(), "skald-ocr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = pageNumber.ToString(CultureInfo.InvariantCulture);
            string image = Path.Combine(dir, "page");
            var render = ExternalProgram.Run(pdftoppm, ["-r", "300", "-gray", "-png", "-singlefile", "-f", page, "-l", page, pdf, image], timeout: PageTimeout);
            if (render.ExitCode != 0 || !File.Exists(image + ".png"))
                throw new DataException($"pdftoppm could not render the page (exit {render.ExitCode}): {ExternalProgram.FirstLine(render.Error)}");
            var read = ExternalProgram.Run(tesseract, [image + ".png", "stdout", "-l", languages], timeout: PageTimeout);
            if (read.ExitCode != 0)
                throw new DataException($"tesseract could not read the page (exit {read.ExitCode}): {ExternalProgram.FirstLine(read.Error)}");
            return read.Output.Replace("\f", "\n", StringComparison.Ordinal);
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

    private (string?, string, string, string) Probe()
    {
        if (!Enabled) return ("OCR is off", "", "", "");
        string? tesseract = find("tesseract"), pdftoppm = find("pdftoppm");
        if (tesseract is null || pdftoppm is null)
            return ($"OCR needs {(tesseract is null ? pdftoppm is null ? "tesseract and pdftoppm" : "tesseract" : "pdftoppm")} on the PATH ({Packages})", "", "", "");
        var list = ExternalProgram.Run(tesseract, ["--list-langs"], timeout: TimeSpan.FromMinutes(1));
        var installed = list.Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.Contains(' ', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var usable = Languages.Split('+').Where(installed.Contains).ToList();
        if (usable.Count == 0)
            return ($"tesseract has none of the OCR languages {Languages} installed (it has {string.Join(", ", installed.Order(StringComparer.Ordinal))}; {Packages})", "", "", "");
        return (null, tesseract, pdftoppm, string.Join('+', usable));
    }

    [GeneratedRegex("^[A-Za-z0-9_]+(\\+[A-Za-z0-9_]+)*$")]
    private static partial Regex LanguageList();
}
