using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// A sentence that runs on to the next PDF page is one sentence of one paragraph, with the page's running header,
/// footer and page number (dropped by <see cref="RunningLines"/>) not in between; a page that ends a sentence still
/// ends its paragraph (<see cref="PdfReader.RunsOn"/>).
/// </summary>
public sealed class PageBreakTests
{
    private const string Header = "Personalhåndbok for Fjellbyen kommune";

    private static ((string, double)[], string[]?) Page(int n, params string[] body) =>
        ([(Header, 10.0), ("", 10.0), .. body.Select(l => (l, 10.0))], [$"Side {n} av 5"]);

    private static string Handbook(string dir) => TestDocuments.PdfPages(dir, "handbok.pdf",
        Page(1, "Alle ansatte har rett til fem uker ferie hvert år, og ferien avtales med nærmeste leder.",
            "Den som vil ta ut mer enn tre uker samlet i sommerferien, må søke skriftlig om"),
        Page(2, "det innen første mars, og svaret kommer skriftlig innen to uker etter søknaden.",
            "Overtid føres i timelisten hver fredag og godkjennes hver måned av leder før den sendes til"),
        Page(3, "Avdelingen for lønn og personal, som utbetaler overtiden sammen med neste lønn.",
            "Sykefravær meldes til leder før klokken ni, og egenmelding kan brukes i inntil tre arbeids-"),
        Page(4, "dager om gangen, fire ganger i løpet av et år, uten at lege må bekrefte fraværet.",
            "Reiseregninger leveres innen en måned etter reisen, med kvitteringer for alle utlegg."),
        Page(5, "Permisjon uten lønn gis etter avtale med leder og personalavdelingen."));

    [Fact]
    public void ASentenceRunningOnToTheNextPageIsOneSentenceWithoutTheRunningLinesInBetween()
    {
        string path = Handbook(TestPaths.NewTempDir());
        var sentences = DocumentIngest.Ingest([path], new ChunkOptions()).Chunks.SelectMany(c => c.SentenceTexts).ToList();
        string[] expected =
        [
            "Alle ansatte har rett til fem uker ferie hvert år, og ferien avtales med nærmeste leder.",
            // on to a page that starts in lower case
            "Den som vil ta ut mer enn tre uker samlet i sommerferien, må søke skriftlig om det innen første mars, og svaret kommer skriftlig innen to uker etter søknaden.",
            // on to a page that starts with a capital: the page's last line is full, not a heading
            "Overtid føres i timelisten hver fredag og godkjennes hver måned av leder før den sendes til Avdelingen for lønn og personal, som utbetaler overtiden sammen med neste lønn.",
            // a word hyphenated across the pages is joined
            "Sykefravær meldes til leder før klokken ni, og egenmelding kan brukes i inntil tre arbeidsdager om gangen, fire ganger i løpet av et år, uten at lege må bekrefte fraværet.",
            "Reiseregninger leveres innen en måned etter reisen, med kvitteringer for alle utlegg.",
            "Permisjon uten lønn gis etter avtale med leder og personalavdelingen.",
        ];
        Assert.Equal(expected.Select(TestDocuments.PdfText), sentences); // spelt as the PDF holds them
    }

    [Fact]
    public void APageThatEndsASentenceEndsItsParagraph()
    {
        var blocks = PdfReader.Read(Handbook(TestPaths.NewTempDir()), Ocr.Off, []);
        // pages 4 and 5: "... alle utlegg." then "Permisjon ...": two paragraphs; pages 1 to 4 run on into one
        Assert.Equal(2, blocks.Count);
        Assert.All(blocks, b => Assert.Equal(BlockKind.Paragraph, b.Kind));
        Assert.StartsWith(TestDocuments.PdfText("Permisjon uten lønn"), blocks[1].Text);
        Assert.DoesNotContain("Side ", string.Join("\n", blocks.Select(b => b.Text)));
    }

    [Theory]
    [InlineData("kortet leveres tilbake", "når besøket er over.", true)]   // lower case on the next page
    [InlineData("Saken gjelder.", "Neste sak.", false)]                   // the sentence ended
    [InlineData("Saken gjelder «dette.»", "Neste sak.", false)]           // ended inside closing quotes
    [InlineData("Parkering", "Bilen står bak bygget.", false)]            // a short line before a capital: a heading
    public void RunsOnJoinsAParagraphThatStopsMidSentence(string before, string after, bool joined) =>
        Assert.Equal(joined, PdfReader.RunsOn(new DocumentBlock(BlockKind.Paragraph, before), new DocumentBlock(BlockKind.Paragraph, after), 80));
}
