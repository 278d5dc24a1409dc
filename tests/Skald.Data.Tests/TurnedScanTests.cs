using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Data.IO;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Writer;
using static Skald.Data.Tests.OcrPictures;

namespace Skald.Data.Tests;

/// <summary>
/// Pictures that lie turned on an upright page or as a file (a page scanned sideways or upside down): Tesseract's
/// orientation detection (<c>--psm 0</c>) finds the turn and the text is read upright; unsure, or without the detection's
/// data, the picture is read as it lies and standard error hears so once. The pictures are of our own text
/// (<see cref="OcrPictures.LetterLines"/>), turned by pdftoppm rendering the text page under a /Rotate.
/// </summary>
[RunsLong(40)] // OCR of turned scans
public sealed class TurnedScanTests
{
    /// <summary>OCR in the default languages whose lines for standard error go to <paramref name="warned"/>.</summary>
    private static Ocr Heard(List<string> warned, string? tesseract = null) =>
        new(true, Ocr.DefaultLanguages, name => name == "tesseract" && tesseract is not null ? tesseract : ExternalProgram.Find(name), warned.Add);

    [Fact]
    public void TesseractsOrientationReportIsParsed()
    {
        const string Report = "Page number: 0\nOrientation in degrees: 90\nRotate: 270\nOrientation confidence: 4.24\nScript: Latin\nScript confidence: 7.50\n";
        Assert.Equal(new PageOrientation(270, 4.24), PageOrientation.Parse(Report));
        Assert.Equal(new PageOrientation(0, 19.81), PageOrientation.Parse("Rotate: 0\r\nOrientation confidence: 19.81\r\n"));
        Assert.Null(PageOrientation.Parse("Rotate: 270\n")); // no confidence
        Assert.Null(PageOrientation.Parse("Rotate: 45\nOrientation confidence: 9\n")); // not a quarter turn
        Assert.Null(PageOrientation.Parse("Orientation confidence: 9\n"));
        Assert.Null(PageOrientation.Parse("Too few characters. Skipping this page\n"));
    }

    [OcrFact(Orientation = true)]
    public void ATurnedImageFileIsReadUpright()
    {
        string dir = TestPaths.NewTempDir();
        foreach (int turn in (int[])[90]) // 180 and 270 lie on a page in the next test
        {
            string image = Turned(dir, $"skann-{turn}", turn, LetterLines);
            var warned = new List<string>();
            var result = DocumentIngest.Ingest([image], new ChunkOptions(), ocr: Heard(warned));
            AssertReadsInOrder(Assert.Single(result.Documents).Text, LetterLines);
            Assert.Empty(warned);
        }
    }

    [OcrFact(Orientation = true)]
    public void AScanLyingTurnedOnAnUprightPageIsReadUpright()
    {
        string dir = TestPaths.NewTempDir();
        // page 1: a letter scanned upside down; page 2: one scanned sideways, so the scan and its page are landscape
        var builder = new PdfDocumentBuilder();
        builder.AddPage(595, 842).AddPng(File.ReadAllBytes(Turned(dir, "opp-ned", 180, LetterLines)), new PdfRectangle(0, 0, 595, 842));
        builder.AddPage(842, 595).AddPng(File.ReadAllBytes(Turned(dir, "sidelengs", 270, LetterLines)), new PdfRectangle(0, 0, 842, 595));
        string path = Path.Combine(dir, "skannet.pdf");
        File.WriteAllBytes(path, builder.Build());
        var warned = new List<string>();
        var result = DocumentIngest.Ingest([path], new ChunkOptions(), ocr: Heard(warned));
        Assert.Empty(result.Notices);
        Assert.Empty(warned);
        AssertReadsInOrder(Assert.Single(result.Documents).Text, [.. LetterLines, .. LetterLines]);
    }

    [OcrFact(Orientation = true)]
    public void AnUnsureOrUnknownOrientationIsReadAsItLiesAndSaidOnce()
    {
        string dir = TestPaths.NewTempDir();
        // one line upside down: the detection finds the turn but is far from sure of it; two words upright: too few
        // letters for the detection to tell at all
        string[] turned = [Turned(dir, "lapp-1", 180, LetterLines[0]), Turned(dir, "lapp-2", 180, LetterLines[1])];
        string[] notes = [Picture(dir, "hilsen-1", "God morgen"), Picture(dir, "hilsen-2", "God kveld")];
        var warned = new List<string>();
        var result = DocumentIngest.Ingest([.. turned, .. notes], new ChunkOptions(), ocr: Heard(warned));
        Assert.Equal(2, warned.Count);
        Assert.StartsWith($"OCR: {turned[0]} may lie turned (tesseract's orientation detection: turn 180 degrees, confidence ", warned[0]);
        Assert.EndsWith($" < {Ocr.OrientationMargin}); read as it lies, as are further pictures it is unsure of", warned[0]);
        Assert.StartsWith($"OCR: tesseract cannot tell which way {notes[0]} faces (", warned[1]);
        Assert.EndsWith("); read as it lies, as are further pictures it cannot tell", warned[1]);
        string read = string.Join(' ', result.Documents.Select(d => Words(d.Text)));
        Assert.DoesNotContain(Words(TestDocuments.PdfText(LetterLines[0])), read);
        Assert.Contains("God morgen", read);
        Assert.Contains("God kveld", read);
    }

    [OcrFact]
    public void WithoutOrientationDataATurnedScanIsReadAsItLiesAndThatIsSaidOnce()
    {
        string dir = TestPaths.NewTempDir();
        // tesseract as installed, but with a data folder holding every language except the orientation data (osd)
        string tesseract = ExternalProgram.Find("tesseract")!;
        var list = ExternalProgram.Run(tesseract, ["--list-langs"]).Output;
        string installed = list[(list.IndexOf('"', StringComparison.Ordinal) + 1)..list.IndexOf('"', list.IndexOf('"', StringComparison.Ordinal) + 1)];
        string data = Directory.CreateDirectory(Path.Combine(dir, "tessdata")).FullName;
        foreach (var file in Directory.GetFiles(installed, "*.traineddata").Where(f => Path.GetFileName(f) != "osd.traineddata"))
            File.CreateSymbolicLink(Path.Combine(data, Path.GetFileName(file)), file);
        string wrapper = Path.Combine(dir, "tesseract");
        File.WriteAllText(wrapper, $"#!/bin/sh\nTESSDATA_PREFIX='{data}' exec '{tesseract}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        string[] images = [Turned(dir, "skann-1", 180, LetterLines), Turned(dir, "skann-2", 180, LetterLines)];
        var warned = new List<string>();
        var ocr = Heard(warned, wrapper);
        Assert.Null(ocr.Unavailable);
        Assert.False(ocr.DetectsOrientation);
        var result = DocumentIngest.Ingest(images, new ChunkOptions(), ocr: ocr);
        Assert.Equal(["OCR: tesseract has no orientation data (osd.traineddata; apt-get install tesseract-ocr-osd), so scans lying sideways or upside down are read as they lie"], warned);
        string read = string.Join(' ', result.Documents.Select(d => Words(d.Text)));
        Assert.DoesNotContain(Words(TestDocuments.PdfText(LetterLines[0])), read);
    }
}
