using Skald.Data.Ingest;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;
using static Skald.Data.Tests.OcrPictures;

namespace Skald.Data.Tests;

/// <summary>
/// Pages turned by their /Rotate (90, 180, 270) whose words are only in a picture: a scanned page, and a picture on a
/// typed page. The picture is stored turned back by the page's rotation, so the page shows it upright, as a scanner or a
/// PDF editor leaves a page that was turned in the viewer.
/// </summary>
[RunsLong(29)] // OCR of rotated pages
public sealed class RotatedPageOcrTests
{
    private const string Typed = "Vedlagt er brevet fra kommunen om den nye skolebussen til alle elevene.";

    private static readonly int[] Rotations = [90, 180, 270];

    /// <summary>A one-page PDF turned by <paramref name="rotation"/> with a picture of <see cref="OcrPictures.LetterLines"/> that
    /// shows upright, over the whole page or (<paramref name="typed"/>) over its lower part under a typed line.</summary>
    private static string TurnedPage(string dir, int rotation, bool typed)
    {
        string name = $"{(typed ? "vedlegg" : "skann")}-{rotation}";
        // on a typed page the letter's lines are at the foot of its picture, so a region measured from the wrong corner
        // of the page (the stored page's rather than the shown one's) misses them
        string[] lines = typed ? [.. Enumerable.Repeat("", 40), .. LetterLines] : LetterLines;
        byte[] picture = File.ReadAllBytes(Turned(dir, name, (360 - rotation) % 360, lines));
        bool sideways = rotation % 180 != 0;
        double width = sideways ? 842 : 595, height = sideways ? 595 : 842;
        var builder = new PdfDocumentBuilder();
        var page = builder.AddPage(width, height);
        page.SetRotation(new PageRotationDegrees(rotation));
        if (!typed)
        {
            page.AddPng(picture, new PdfRectangle(0, 0, width, height));
        }
        else
        {
            // two thirds of the page's size (the picture keeps its shape) in the stored page's lower-left corner, the
            // typed line above it; as shown, the picture sits in another corner for each rotation
            var font = builder.AddStandard14Font(Standard14Font.Helvetica);
            page.AddText(TestDocuments.PdfText(Typed), 10, new PdfPoint(40, height - 40), font);
            page.AddPng(picture, new PdfRectangle(0, 0, width * 2 / 3, height * 2 / 3));
        }
        string path = Path.Combine(dir, name + ".pdf");
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    [OcrFact]
    public void AScanOnATurnedPageIsReadUpright()
    {
        string dir = TestPaths.NewTempDir();
        foreach (int rotation in (int[])[90, 270]) // a regression guard (pdftoppm turns the page); 180 is the picture test's
        {
            string path = TurnedPage(dir, rotation, typed: false);
            var result = DocumentIngest.Ingest([path], new ChunkOptions());
            Assert.Empty(result.Notices);
            AssertReadsInOrder(Assert.Single(result.Documents).Text, LetterLines);
        }
    }

    [OcrFact]
    public void APictureOnATurnedTypedPageIsReadUprightAfterThePageText()
    {
        string dir = TestPaths.NewTempDir();
        foreach (int rotation in Rotations)
        {
            string path = TurnedPage(dir, rotation, typed: true);
            var heard = new List<string>();
            var result = DocumentIngest.Ingest([path], new ChunkOptions(), progress: heard.Add);
            Assert.Empty(result.Notices);
            Assert.Equal([$"{path}: a picture on page 1 of 1 read by OCR"], heard);
            string text = Assert.Single(result.Documents).Text;
            Assert.StartsWith(TestDocuments.PdfText(Typed), text);
            AssertReadsInOrder(text, LetterLines);
        }
    }
}
