using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// What a PDF's layout says beyond its text: running headers and footers repeated on most pages are not text, and a line
/// in a clearly larger font is a heading (found by a new user whose chunks began "Personalhåndbok Side 3 av 12 ...").
/// </summary>
public sealed class PdfLayoutTests
{
    private const string Header = "Personalhåndbok for Fjellbyen kommune";

    private static string Text(string path) =>
        TextCleaner.CollapseWhitespace(string.Join(" ", PdfReader.Read(path, Ocr.Off, []).Select(b => b.Text)));

    private static ((string, double)[], string[]?) Page(string? header, string[] body, string? footer) =>
        ([.. (header is null ? [] : new[] { (header, 10.0), ("", 10.0) }), .. body.Select(l => (l, 10.0))], footer is null ? null : [footer]);

    [Fact]
    public void RunningHeadersAndPageFootersAreDroppedButTheirNeighboursKept()
    {
        // the header is on pages 2-4 (3 of 4), the footer numbered with the page; "Sum utbetalt" ends every page's text
        // but with numbers that do not follow the page, and "Gjelder fra" recurs in the middle of every page: both kept
        string dir = TestPaths.NewTempDir();
        int[] sums = [1200, 800, 950, 400];
        string path = TestDocuments.PdfPages(dir, "handbok.pdf", [.. Enumerable.Range(1, 4).Select(n => Page(n == 1 ? null : Header,
            [$"Kapittel {n} handler om ferie og fravær.", "Gjelder fra 1. januar 2025.", $"Sum utbetalt {sums[n - 1]} kroner."],
            $"Side {n} av 4"))]);
        string text = Text(path);
        Assert.DoesNotContain(TestDocuments.PdfText(Header), text);
        Assert.DoesNotContain("Side ", text);
        foreach (int n in Enumerable.Range(1, 4))
            Assert.Contains(TestDocuments.PdfText($"Kapittel {n} handler om ferie og fravær. Gjelder fra 1. januar 2025. Sum utbetalt {sums[n - 1]} kroner."),
                text);
    }

    [Fact]
    public void BarePageNumbersAreDroppedAndALineOnHalfThePagesIsKept()
    {
        // numbered from 5 (a chapter printed apart); the closing line is on 2 of the 4 pages: not most of them
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.PdfPages(dir, "kapittel.pdf", [.. Enumerable.Range(0, 4).Select(n => Page(null,
            [$"Avsnitt {n} om arbeidstid.", .. n % 2 == 0 ? new[] { "Se også intranettet" } : []], $"{n + 5}"))]);
        Assert.Equal(TestDocuments.PdfText("Avsnitt 0 om arbeidstid. Se også intranettet Avsnitt 1 om arbeidstid. Avsnitt 2 om arbeidstid. Se også intranettet Avsnitt 3 om arbeidstid."),
            Text(path));
    }

    [Fact]
    public void LeftAndRightPagesRunningLinesAreDroppedEachOnHalfThePages()
    {
        // a two-sided report: the page number outside, the title on left pages and the chapter on right ones (3 of 6 each)
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.PdfPages(dir, "rapport.pdf", [.. Enumerable.Range(1, 6).Select(n => Page(null,
            [$"Avsnitt {(char)('A' + n)} handler om arbeidstid."], n % 2 == 0 ? $"{n} Fjellbyen kommune" : $"Kapittel 2 Arbeidstid {n}"))]);
        Assert.Equal(string.Join(" ", Enumerable.Range(1, 6).Select(n => $"Avsnitt {(char)('A' + n)} handler om arbeidstid.")), Text(path));
        string[][] fewer = [["Tittel", "a"], ["Kapittel", "b"], ["Tittel", "c"], ["Kapittel", "d"], ["Forord", "e"], ["Slutt", "f"]];
        Assert.All(RunningLines.Find(fewer), p => Assert.False(p[0])); // on 2 pages of a side: not enough
    }

    [Fact]
    public void ANumberThatDoesNotFollowThePageOrASentenceKeepsTheLine()
    {
        string[][] pages = [["Avdeling 3", "Tekst a"], ["Avdeling 3", "Tekst b"], ["Avdeling 7", "Tekst c"]];
        Assert.All(RunningLines.Find(pages), p => Assert.False(p[0]));
        string[][] copies = [["Kommunen har vedtatt en ny rute.", "Tekst a"], ["Kommunen har vedtatt en ny rute.", "Tekst b"]]; // a letter scanned twice
        Assert.All(RunningLines.Find(copies), p => Assert.False(p[0]));
        string[][] numbered = [["Side 1 av 3", "Tekst a"], ["Side 2 av 3", "Tekst b"], ["Side 3 av 3", "Tekst c"]];
        Assert.All(RunningLines.Find(numbered), p => Assert.Equal([true, false], p));
        Assert.All(RunningLines.Find([["Eneste side", "Tekst"]]), p => Assert.Equal([false, false], p)); // one page repeats nothing
        string[][] hash = [["Sak 5", "Tekst a"], ["Sak #", "Tekst b"], ["Sak 7", "Tekst c"]]; // the text's own '#' is no number
        Assert.All(RunningLines.Find(hash), p => Assert.False(p[0]));
    }

    [Fact]
    public void LinesInALargerFontAreHeadingsOfTheChunksUnderThem()
    {
        // a two-line title in 18 pt and a section heading in 14 pt over 10 pt text; a 14 pt sentence stays text
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.PdfPages(dir, "hjemmekontor.pdf", ([
            ("Retningslinjer for", 18), ("bruk av hjemmekontor", 18), ("", 10),
            ("Denne håndboken gjelder alle ansatte i kommunen.", 10), ("Den oppdateres hvert år.", 10), ("", 10),
            ("Overtid", 14), ("Overtid godtgjøres med femti prosent tillegg.", 10), ("Husk dette, det er viktig.", 14),
        ], null));
        var blocks = PdfReader.Read(path, Ocr.Off, []);
        Assert.Equal([BlockKind.Heading, BlockKind.Paragraph, BlockKind.Heading, BlockKind.Paragraph], blocks.Select(b => b.Kind));
        var chunks = DocumentIngest.Ingest([path], new ChunkOptions { ChunkTokens = 50, OverlapTokens = 0 }).Chunks;
        Assert.Equal(new[] { "Retningslinjer for bruk av hjemmekontor", "Overtid" }.Select(TestDocuments.PdfText), chunks.Select(c => c.Heading));
        Assert.Equal(new[] { "Denne håndboken gjelder alle ansatte i kommunen. Den oppdateres hvert år.",
            "Overtid godtgjøres med femti prosent tillegg. Husk dette, det er viktig." }.Select(TestDocuments.PdfText), chunks.Select(c => c.Text));
    }

    [Fact]
    public void OneFontSizeGivesNoHeadings()
    {
        PdfLine[] lines = [new("Overtid", 10), new("Overtid godtgjøres med tillegg.", 10)];
        Assert.Empty(FontHeadings.Find(lines, FontHeadings.BodySize(lines)));
        PdfLine[] dropCap = [new("D", 30), new("enne teksten har en stor forbokstav og er lang nok.", 10)];
        Assert.Empty(FontHeadings.Find(dropCap, FontHeadings.BodySize(dropCap)));
    }

    [Fact]
    public void ARecurringChapterLineIsKeptWhileThePageNumberIsDropped()
    {
        // "Kapittel 1" on pages 1-2, "Kapittel 2" on 3-4, "Kapittel 3" on 5-6 tops every page: its number changes, but not
        // as the page number does (one a page), so it stays; the footer numbered with the page goes
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.PdfPages(dir, "kapitler.pdf", [.. Enumerable.Range(1, 6).Select(n => Page($"Kapittel {(n + 1) / 2}",
            [$"Avsnitt {(char)('A' + n)} handler om arbeidstid."], $"Personalhåndbok side {n}"))]);
        Assert.Equal(TestDocuments.PdfText(string.Join(" ", Enumerable.Range(1, 6).Select(n => $"Kapittel {(n + 1) / 2} Avsnitt {(char)('A' + n)} handler om arbeidstid."))),
            Text(path));
    }

    [Fact]
    public void AChapterNumberThatGoesUpWithThePagesIsStillAChapters()
    {
        // one chapter a page: "Kapittel 1" to "Kapittel 4" go up as the page numbers do, but follow a chapter word; "Side"
        // does not, and its footer goes
        string[][] pages = [.. Enumerable.Range(1, 4).Select(n => new[] { $"Kapittel {n}", $"Tekst {n}.", $"Side {n}" })];
        Assert.All(RunningLines.Find(pages), p => Assert.Equal([false, false, true], p));
        string[][] shortened = [.. Enumerable.Range(1, 4).Select(n => new[] { $"Kap. {n + 2} Ferie", $"Tekst {n}.", $"Vedlegg {n}" })];
        Assert.All(RunningLines.Find(shortened), p => Assert.Equal([false, false, false], p));
    }

    [Fact]
    public void AHeaderTheTextGivesAfterTheBodyIsDroppedByItsPlaceOnThePage()
    {
        // the header is drawn after the page's first paragraph, so the text has it fourth of six lines; it lies in the
        // page's top margin. "Se også intranettet" recurs mid-page (and mid-text) on every page too, and stays
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.PdfPlaced(dir, "midt.pdf", [.. Enumerable.Range(1, 4).Select(n => new (string, double, bool, double)[]
        {
            ($"Avsnitt {n} om arbeidstid.", 10, false, 700), ($"Arbeidstiden er {n + 6} timer.", 10, false, 686),
            ("Se også intranettet", 10, false, 600), (Header, 10, false, 810),
            ($"Avsnitt {n} om ferie.", 10, false, 400), ($"Avsnitt {n} om fravær.", 10, false, 386),
        })]);
        string text = Text(path);
        Assert.DoesNotContain(TestDocuments.PdfText(Header), text);
        Assert.Equal(TestDocuments.PdfText(string.Join(" ", Enumerable.Range(1, 4).Select(n =>
            $"Avsnitt {n} om arbeidstid. Arbeidstiden er {n + 6} timer. Se også intranettet Avsnitt {n} om ferie. Avsnitt {n} om fravær."))), text);
        // without places only the first and last two lines of each page's text are at its edges
        string[][] lines = [.. Enumerable.Range(1, 4).Select(n => new[] { $"A {n}.", "B.", "Se også", Header, $"C {n}.", $"D {n}." })];
        Assert.All(RunningLines.Find(lines), p => Assert.DoesNotContain(true, p));
        double[][] places = [.. Enumerable.Range(1, 4).Select(_ => new[] { 0.2, 0.25, 0.3, 0.04, 0.5, 0.55 })];
        Assert.All(RunningLines.Find(lines, places), p => Assert.Equal([false, false, false, true, false, false], p));
    }

    [Fact]
    public void AShortBoldLineOverPlainTextIsAHeading()
    {
        // bold headings in the body's size (a report without larger headings); a bold sentence, a bold line ending in a
        // colon and a bold line ending the page are text
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.PdfPlaced(dir, "fet.pdf", [
            ("Hjemmekontor", 10, true, 800), ("Alle ansatte kan jobbe hjemmefra to dager i uken.", 10, false, 785),
            ("Avtalen gjøres med nærmeste leder.", 10, false, 770),
            ("Utstyr", 10, true, 740), ("Arbeidsgiver dekker skjerm og tastatur.", 10, false, 725),
            ("Husk å låse skjermen når du går fra.", 10, true, 710), ("Skjermen låses av seg selv etter ti minutter.", 10, false, 695),
            ("Dette dekkes ikke:", 10, true, 680), ("Kaffe og internett hjemme.", 10, false, 665),
            ("Sist oppdatert i mai", 10, true, 640),
        ]);
        var blocks = PdfReader.Read(path, Ocr.Off, []);
        Assert.Equal(new[] { "Hjemmekontor", "Utstyr" }.Select(TestDocuments.PdfText),
            blocks.Where(b => b.Kind == BlockKind.Heading).Select(b => b.Text));
        string text = TextCleaner.CollapseWhitespace(string.Join(" ", blocks.Where(b => b.Kind == BlockKind.Paragraph).Select(b => b.Text)));
        foreach (string kept in (string[])["Husk å låse skjermen når du går fra.", "Dette dekkes ikke:", "Sist oppdatert i mai"])
            Assert.Contains(TestDocuments.PdfText(kept), text);
    }

    [Fact]
    public void BoldLinesThatAreNotFollowedByPlainTextAreNoHeadings()
    {
        PdfLine[] allBold = [new("Overtid", 10, Bold: true), new("Overtid godtgjøres med tillegg.", 10, Bold: true)];
        Assert.Empty(FontHeadings.Find(allBold, FontHeadings.BodySize(allBold)));
        PdfLine[] wordy = [new(string.Join(" ", Enumerable.Repeat("ord", FontHeadings.BoldMaxWords + 1)), 10, Bold: true), new("Tekst.", 10)];
        Assert.Empty(FontHeadings.Find(wordy, 10));
        PdfLine[] heading = [new("Overtid", 10, Bold: true), new("", 0), new("Overtid godtgjøres med tillegg.", 10)];
        Assert.Equal([(0, 1)], FontHeadings.Find(heading, 10));
        // a bold sentence right above a bold heading (no blank line between them in the text) is not part of it
        PdfLine[] after = [new("Husk timelisten.", 10, Bold: true), new("Regler for", 10, Bold: true), new("overtid", 10, Bold: true),
            new("Overtid godtgjøres med tillegg.", 10)];
        Assert.Equal([(1, 3)], FontHeadings.Find(after, 10));
    }
}
