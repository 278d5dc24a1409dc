using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Skald.Data.Tests;

/// <summary>Writes small documents of our own text in every supported format (no binary fixtures in the repository).</summary>
internal static class TestDocuments
{
    public const string Heading = "Fjellvandring om høsten";

    public static readonly string[] Paragraphs =
    [
        "Høsten er en fin tid for turer i fjellet. Luften er klar, og myggen er borte. Mange velger å gå fra hytte til hytte.",
        "Før turen bør du sjekke værmeldingen. Ta med varme klær, kart og kompass. En termos med kaffe gjør pausene bedre.",
    ];

    public static string Docx(string dir, string name = "tur.docx")
    {
        string path = Path.Combine(dir, name);
        using var doc = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document);
        var main = doc.AddMainDocumentPart();
        main.Document = new Document(new Body());
        var body = main.Document.Body!;
        body.AppendChild(new Paragraph(new ParagraphProperties(new ParagraphStyleId { Val = "Heading1" }), new Run(new Text(Heading))));
        foreach (var p in Paragraphs) body.AppendChild(new Paragraph(new Run(new Text(p) { Space = SpaceProcessingModeValues.Preserve })));
        main.Document.Save();
        return path;
    }

    /// <summary>A .docx of <paramref name="parts"/> in order: a string is a paragraph, a string[][] a table of those rows' cells.</summary>
    public static string DocxOf(string dir, string name, params object[] parts)
    {
        string path = Path.Combine(dir, name);
        using var doc = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document);
        var main = doc.AddMainDocumentPart();
        main.Document = new Document(new Body());
        static Paragraph P(string text) => new(new Run(new Text(text)));
        foreach (var part in parts)
        {
            main.Document.Body!.Append(part is string[][] rows ? new Table(rows.Select(r => new TableRow(r.Select(c => new TableCell(P(c))))))
                : P((string)part));
        }
        main.Document.Save();
        return path;
    }

    public static string Pdf(string dir, string name = "tur.pdf", params string[] lines) => TurnedPdf(dir, name, 0, lines);

    /// <summary>
    /// A PDF of one A4 page that is a picture alone (a grey 8×8 PNG over the whole page, no text layer): a scanned page,
    /// which only OCR could read (and finds nothing on).
    /// </summary>
    public static string ScannedPdf(string dir, string name)
    {
        var builder = new PdfDocumentBuilder();
        builder.AddPage(595, 842).AddPng(Convert.FromBase64String(GreyPng), new PdfRectangle(0, 0, 595, 842));
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    // An 8×8 grey PNG (8-bit greyscale, every pixel 200), written once by zlib and CRC-32 by hand.
    private const string GreyPng = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAADklEQVR4nGM4AQUMlDEACLEyAaio5RMAAAAASUVORK5CYII=";

    /// <summary>As <see cref="Pdf"/>, the page shown turned clockwise by <paramref name="rotation"/> degrees (its /Rotate).</summary>
    public static string TurnedPdf(string dir, string name, int rotation, params string[] lines)
    {
        if (lines.Length == 0) lines = [.. Paragraphs.SelectMany(p => new[] { p, "" })];
        var builder = new PdfDocumentBuilder();
        // A TrueType font with å, æ, ø when the machine has DejaVu; otherwise Helvetica and the text spelt in ASCII.
        var font = File.Exists(DejaVu) ? builder.AddTrueTypeFont(File.ReadAllBytes(DejaVu)) : builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(595, 842);
        page.SetRotation(new PageRotationDegrees(rotation));
        double y = 800;
        foreach (var line in lines)
        {
            if (line.Length > 0) page.AddText(PdfText(line), 10, new PdfPoint(40, y), font);
            y -= 14;
        }
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    /// <summary>
    /// A PDF of several A4 pages, each its lines from the top (text, font size in points; "" leaves a line's space) and
    /// then its footer lines in 9 pt at the bottom margin, the first lowest (null for none), in that content order.
    /// </summary>
    public static string PdfPages(string dir, string name, params ((string Text, double Size)[] Lines, string[]? Footer)[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = File.Exists(DejaVu) ? builder.AddTrueTypeFont(File.ReadAllBytes(DejaVu)) : builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var (lines, footer) in pages)
        {
            var page = builder.AddPage(595, 842);
            double y = 800;
            foreach (var (text, size) in lines)
            {
                if (text.Length > 0) page.AddText(PdfText(text), size, new PdfPoint(40, y), font);
                y -= 1.5 * Math.Max(size, 10);
            }
            y = 40;
            foreach (var text in footer ?? []) page.AddText(PdfText(text), 9, new PdfPoint(40, y += 12), font);
        }
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    /// <summary>
    /// A PDF of several A4 pages, each its lines drawn in the order given (which is the order the text extractor reads
    /// them in), each at its own height (points from the page's bottom edge), in its size, bold or not.
    /// </summary>
    public static string PdfPlaced(string dir, string name, params (string Text, double Size, bool Bold, double Y)[][] pages)
    {
        var builder = new PdfDocumentBuilder();
        bool dejaVu = File.Exists(DejaVu) && File.Exists(DejaVuBold);
        var regular = dejaVu ? builder.AddTrueTypeFont(File.ReadAllBytes(DejaVu)) : builder.AddStandard14Font(Standard14Font.Helvetica);
        var bold = dejaVu ? builder.AddTrueTypeFont(File.ReadAllBytes(DejaVuBold)) : builder.AddStandard14Font(Standard14Font.HelveticaBold);
        foreach (var lines in pages)
        {
            var page = builder.AddPage(595, 842);
            foreach (var (text, size, isBold, y) in lines) page.AddText(PdfText(text), size, new PdfPoint(40, y), isBold ? bold : regular);
        }
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    /// <summary>
    /// A PDF of several A4 pages, each its texts drawn in the order given at their own place (points from the page's
    /// left and bottom edges) in 10 pt: a table's cells, or prose set in columns.
    /// </summary>
    public static string PdfAt(string dir, string name, params (string Text, double X, double Y)[][] pages) =>
        PdfAtSizes(dir, name, [.. pages.Select(texts => texts.Select(t => (t.Text, t.X, t.Y, 10.0)).ToArray())]);

    /// <summary>As <see cref="PdfAt"/>, each text in its own font size (points).</summary>
    public static string PdfAtSizes(string dir, string name, params (string Text, double X, double Y, double Size)[][] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = File.Exists(DejaVu) ? builder.AddTrueTypeFont(File.ReadAllBytes(DejaVu)) : builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var texts in pages)
        {
            var page = builder.AddPage(595, 842);
            foreach (var (text, x, y, size) in texts) page.AddText(PdfText(text), size, new PdfPoint(x, y), font);
        }
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    private const string DejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    private const string DejaVuBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

    /// <summary>The text as the PDF holds it (ASCII spelling without the DejaVu font).</summary>
    public static string PdfText(string s) => File.Exists(DejaVu) ? s
        : s.Replace("å", "aa").Replace("æ", "ae").Replace("ø", "o").Replace("Å", "Aa").Replace("Æ", "Ae").Replace("Ø", "O");

    public static string Html(string dir, string name = "tur.html")
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, $"<!DOCTYPE html><html><head><title>Tur</title><style>p {{ color: red }}</style></head><body>" +
            $"<nav>Hjem | Om oss</nav><h1>{Heading}</h1><p>{Paragraphs[0]}</p><div>{Paragraphs[1]}</div>" +
            "<script>var x = 'ikke tekst';</script></body></html>");
        return path;
    }

    public static string Markdown(string dir, string name = "tur.md")
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, $"# {Heading}\n\n{Paragraphs[0]}\n\n- {Paragraphs[1].Replace("kart", "**kart**")}\n\n```\nkode som ikke er tekst\n```\n");
        return path;
    }

    public static string Text(string dir, string name = "tur.txt")
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, string.Join("\n\n", Paragraphs) + "\n");
        return path;
    }
}
