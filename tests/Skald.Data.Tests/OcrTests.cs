using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Writer;
using static Skald.Data.Tests.OcrPictures;

namespace Skald.Data.Tests;

/// <summary>
/// Scanned PDF pages (an image, no text layer) and image files read by OCR (tesseract, over pdftoppm's rendering for
/// PDF pages), and what ingestion says when OCR is off or not installed. The scans are made here: our text in a PDF,
/// rendered by pdftoppm, and the picture saved as a file or put alone on a page of a new PDF.
/// </summary>
[RunsLong(16)] // OCR of scanned pages
public sealed class OcrTests
{
    private const string Sentence = "Toget til Bergen går klokka sju fra perrong fire.";
    private const string Second = "Husk billett og varme klær før turen over fjellet.";

    /// <summary>A one-page PDF holding only a picture of <paramref name="lines"/> (as a scanner makes it).</summary>
    private static string Scanned(string dir, string name, params string[] lines)
    {
        string image = Picture(dir, Path.GetFileNameWithoutExtension(name), lines);
        var builder = new PdfDocumentBuilder();
        var page = builder.AddPage(595, 842);
        page.AddPng(File.ReadAllBytes(image), new PdfRectangle(0, 0, 595, 842));
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    [OcrFact]
    public void AScannedPageIsReadByOcr()
    {
        string dir = TestPaths.NewTempDir();
        string path = Scanned(dir, "skannet.pdf", Sentence, "", Second);
        var heard = new List<string>();
        var result = DocumentIngest.Ingest([path], new ChunkOptions(), progress: heard.Add);
        Assert.Equal([$"{path}: page 1 of 1 read by OCR"], heard);
        Assert.Empty(result.Skipped);
        Assert.Empty(result.Notices);
        var doc = Assert.Single(result.Documents);
        Assert.Contains(Words(TestDocuments.PdfText(Sentence)), Words(doc.Text));
        Assert.Contains(Words(TestDocuments.PdfText(Second)), Words(doc.Text));
    }

    [OcrFact]
    public void AScanWithAStampIsReadByOcrAndAScanWithATextLayerFromTheLayer()
    {
        string dir = TestPaths.NewTempDir();
        string image = Picture(dir, "side", Sentence);
        string Stamped(string name, string text, double x = 500)
        {
            var builder = new PdfDocumentBuilder();
            var font = builder.AddStandard14Font(UglyToad.PdfPig.Fonts.Standard14Fonts.Standard14Font.Helvetica);
            var page = builder.AddPage(595, 842);
            page.AddPng(File.ReadAllBytes(image), new PdfRectangle(0, 0, 595, 842));
            page.AddText(text, 8, new PdfPoint(x, 20), font);
            string path = Path.Combine(dir, name);
            File.WriteAllBytes(path, builder.Build());
            return path;
        }
        // A page number stamped on a scan: OCR reads the page (the stamp with it).
        var stamped = Assert.Single(DocumentIngest.Ingest([Stamped("stemplet.pdf", "Side 1 av 3")], new ChunkOptions()).Documents);
        Assert.Contains(Words(TestDocuments.PdfText(Sentence)), Words(stamped.Text));
        // A scan carrying its own text layer (more than a stamp): the layer is the text, no OCR.
        string layer = "Dette er tekstlaget som skanneren har lagt under bildet av siden.";
        Assert.True(layer.Count(char.IsLetter) > PdfReader.StampLetters);
        var layered = Assert.Single(DocumentIngest.Ingest([Stamped("lag.pdf", layer, x: 40)], new ChunkOptions()).Documents);
        Assert.Equal(layer, layered.Text);
    }

    [OcrFact]
    public void APictureOnATypedPageIsReadByOcrAfterThePageText()
    {
        string dir = TestPaths.NewTempDir();
        string image = Picture(dir, "brev", Sentence);
        const string Typed = "Vedlagt følger brevet fra kommunen om den nye bussruten til skolen.";
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(UglyToad.PdfPig.Fonts.Standard14Fonts.Standard14Font.Helvetica);
        var page = builder.AddPage(595, 842);
        page.AddText(TestDocuments.PdfText(Typed), 10, new PdfPoint(40, 800), font);
        page.AddPng(File.ReadAllBytes(image), new PdfRectangle(0, 0, 595, 421)); // the lower half: a letter pasted in
        string path = Path.Combine(dir, "vedlegg.pdf");
        File.WriteAllBytes(path, builder.Build());
        var heard = new List<string>();
        var doc = Assert.Single(DocumentIngest.Ingest([path], new ChunkOptions(), progress: heard.Add).Documents);
        Assert.StartsWith(TestDocuments.PdfText(Typed), doc.Text);
        Assert.Contains(Words(TestDocuments.PdfText(Sentence)), Words(doc.Text));
        Assert.Equal([$"{path}: a picture on page 1 of 1 read by OCR"], heard);
        var off = DocumentIngest.Ingest([path], new ChunkOptions(), ocr: Ocr.Off);
        Assert.Equal(TestDocuments.PdfText(Typed), Assert.Single(off.Documents).Text);
        Assert.Empty(off.Notices);
    }

    [OcrFact]
    public void WithOcrOffAScannedPdfIsSkippedAndAMixedOneKeepsItsText()
    {
        string dir = TestPaths.NewTempDir();
        string scanned = Scanned(dir, "skannet.pdf", Sentence);
        var off = DocumentIngest.Ingest([scanned, TestDocuments.Text(dir)], new ChunkOptions(), ocr: Ocr.Off);
        var skipped = Assert.Single(off.Skipped);
        Assert.Equal(scanned, skipped.Path);
        Assert.Contains("page 1 has no text layer (scanned)", skipped.Reason);
        Assert.Contains("OCR is off", skipped.Reason);

        // Two pages, one typed and one scanned: the typed one is kept and the scanned one named in a notice.
        string typed = TestDocuments.Pdf(dir, "typed.pdf", Second);
        var builder = new PdfDocumentBuilder();
        using (var a = UglyToad.PdfPig.PdfDocument.Open(typed))
            builder.AddPage(a, 1);
        using (var b = UglyToad.PdfPig.PdfDocument.Open(scanned))
            builder.AddPage(b, 1);
        string mixed = Path.Combine(dir, "blandet.pdf");
        File.WriteAllBytes(mixed, builder.Build());
        var result = DocumentIngest.Ingest([mixed], new ChunkOptions(), ocr: Ocr.Off);
        Assert.Equal(TestDocuments.PdfText(Second), Assert.Single(result.Documents).Text);
        var notice = Assert.Single(result.Notices);
        Assert.StartsWith(mixed + ": page 2 has no text layer (scanned), not read: OCR is off", notice);

        var read = DocumentIngest.Ingest([mixed], new ChunkOptions());
        Assert.Empty(read.Notices);
        Assert.Contains(Words(TestDocuments.PdfText(Sentence)), Words(Assert.Single(read.Documents).Text));
    }

    [OcrFact]
    public void AnImageFileIsReadByOcrOrListedAsNotRead()
    {
        string dir = TestPaths.NewTempDir();
        string image = Picture(dir, "oppslag", Sentence, "", Second);
        var heard = new List<string>();
        var result = DocumentIngest.Ingest([image], new ChunkOptions(), progress: heard.Add);
        Assert.Equal([$"{image}: read by OCR"], heard);
        var doc = Assert.Single(result.Documents);
        Assert.Equal(image, doc.Source);
        Assert.Contains(Words(TestDocuments.PdfText(Sentence)), Words(doc.Text));
        Assert.Contains(Words(TestDocuments.PdfText(Second)), Words(doc.Text));
        var off = DocumentIngest.Ingest([image, TestDocuments.Text(dir)], new ChunkOptions(), ocr: Ocr.Off);
        var skipped = Assert.Single(off.Skipped);
        Assert.Equal((image, "an image, not read: OCR is off"), (skipped.Path, skipped.Reason));
    }

    [OcrFact]
    public void MissingProgramsAndLanguagesAreOneLineNamingWhatToInstall()
    {
        var noTesseract = new Ocr(true, "nor", name => name == "pdftoppm" ? "/usr/bin/pdftoppm" : null);
        Assert.Equal($"OCR needs tesseract on the PATH ({Ocr.Packages})", noTesseract.Unavailable);
        Assert.Equal(noTesseract.Unavailable, noTesseract.PdfUnavailable);
        var none = new Ocr(true, "nor", _ => null);
        Assert.StartsWith("OCR needs tesseract on the PATH", none.Unavailable);
        Assert.StartsWith("OCR needs tesseract and pdftoppm on the PATH", none.PdfUnavailable);
        var noPdftoppm = new Ocr(true, "nor", name => name == "tesseract" ? Skald.Data.IO.ExternalProgram.Find("tesseract") : null);
        Assert.Null(noPdftoppm.Unavailable); // images need tesseract only
        Assert.Equal($"OCR of PDF pages needs pdftoppm on the PATH ({Ocr.Packages})", noPdftoppm.PdfUnavailable);
        var klingon = new Ocr(true, "tlh");
        Assert.StartsWith("tesseract has none of the OCR languages tlh installed (it has ", klingon.Unavailable);
        Assert.Contains("nor", klingon.Unavailable);
        Assert.Null(new Ocr(true, "tlh+nor").Unavailable); // the installed ones are used
        var bad = Assert.Throws<DataException>(() => new Ocr(true, "nor, dan"));
        Assert.Contains("joined by '+'", bad.Message);
    }
}
