using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// A .txt file has no markup, and its headings ("Ferie", "3.2 Overtid") were read as one-line paragraphs: a chunk's
/// title was empty, and the heading ran into its text. A line alone between blank lines that reads as a title, with body
/// text after it, is now a heading, as a Markdown "# Ferie" is. The rule is conservative (a one-line paragraph taken
/// for a heading would leave the passage's text), so the shapes of letters, lists and signatures in Norwegian, Danish
/// and Swedish documents stay text: greetings, dates, addresses, a run of short lines, a list after a colon, and a line
/// that ends as a sentence does.
/// </summary>
public sealed class TextHeadingTests
{
    private static List<(BlockKind Kind, string Text)> Blocks(string text) =>
        [.. PlainTextReader.Parse(text).Select(b => (b.Kind, b.Text.Trim()))];

    private static string[] Headings(string text) => [.. Blocks(text).Where(b => b.Kind == BlockKind.Heading).Select(b => b.Text)];

    [Fact]
    public void ANorwegianHandbooksTitleAndSectionHeadingsAreHeadings()
    {
        const string text = "Personalhåndbok\n\nInnledning\n\nDenne håndboka gjelder for alle ansatte i Fjordkraft AS. Den beskriver rettigheter og plikter.\n\n" +
            "Arbeidstid\n\nNormal arbeidstid er 37,5 timer per uke.\nKjernetiden er fra 09.00 til 15.00.\n\n" +
            "3.2 Overtid og avspasering\n\nOvertid må avtales med nærmeste leder på forhånd.\n\n" +
            "§ 4 Ferie (gjelder fra 2025)\n\nDu har rett til fem uker ferie. Søk i god tid:\n";
        Assert.Equal(["Personalhåndbok", "Innledning", "Arbeidstid", "3.2 Overtid og avspasering", "§ 4 Ferie (gjelder fra 2025)"], Headings(text));
        Assert.Equal(BlockKind.Paragraph, Blocks(text)[^1].Kind);
    }

    [Fact]
    public void DanishAndSwedishSectionHeadingsAreHeadings()
    {
        Assert.Equal(["Ferie", "Sygdom"], Headings("Ferie\n\nDu har ret til fem ugers ferie om året.\n\nSygdom\n\nRing til din leder inden kl. 9 på første sygedag.\n"));
        Assert.Equal(["Semester"], Headings("Semester\n\nDu har rätt till 25 semesterdagar per år. Ansök i god tid!\n"));
    }

    [Theory]
    // a letter: place and date, greeting, sign-off over a name
    [InlineData("Oslo, 12. mars 2025\n\nHei Kari\n\nTakk for møtet i går. Vi sender tilbudet innen fredag.\n\nVi ses snart\n\nMed vennlig hilsen\n\nOla Nordmann\nDaglig leder\n")]
    [InlineData("12. mars 2025\n\nVi viser til søknaden din av 1. mars.\n")]
    [InlineData("2025-03-12\n\nVi viser til søknaden din av 1. mars.\n")]
    [InlineData("Kære Peter\n\nTak for sidst. Vi ses på mandag.\n")]
    [InlineData("Hej Anna\n\nTack för senast. Vi ses på måndag.\n")]
    [InlineData("God morgen alle sammen\n\nKantina er stengt i dag.\n")]
    [InlineData("Storgata 1, 0150 Oslo\n\nKontoret ligger i tredje etasje.\n")]
    // a one-line paragraph that ends as a sentence does
    [InlineData("Møtet er flyttet til torsdag.\n\nAgendaen er den samme som før.\n")]
    // a list after its lead-in, each item alone between blank lines
    [InlineData("Husk å ta med:\n\nPass\n\nHusk også billetten.\n")]
    // a run of short lines (a shopping list, an address) has no heading
    [InlineData("Intro\n\nMelk\n\nBrød\n\nOst\n\nHusk å handle før fem.\n")]
    // nothing after it, or no body text after it
    [InlineData("Innledning\n")]
    [InlineData("Innledning\n\nse vedlegg\n")]
    // lower case, a list marker, too long, a question, no letters
    [InlineData("vedlegg 2\n\nSe tabellen under.\n")]
    [InlineData("- Pass og billett\n\nSe tabellen under.\n")]
    [InlineData("1) Pass og billett\n\nSe tabellen under.\n")]
    [InlineData("Retningslinjer for bruk av firmabil, kjøregodtgjørelse og parkering i sentrum\n\nSe tabellen under.\n")]
    [InlineData("Hva gjør jeg hvis jeg blir syk?\n\nRing lederen din.\n")]
    [InlineData("2025\n\nSe tabellen under.\n")]
    public void LettersListsAndOneLineParagraphsHaveNoHeading(string text) => Assert.Empty(Headings(text));

    [Fact]
    public void AHeadingLineInsideAParagraphStaysText()
    {
        // no blank line after it: the PDF rule separates it as before, as a paragraph (not a heading)
        var blocks = Blocks("Sykdom i ferien\nHvis du blir syk i ferien, kan du kreve å få ferien utsatt.\n");
        Assert.Equal([(BlockKind.Paragraph, "Sykdom i ferien"), (BlockKind.Paragraph, "Hvis du blir syk i ferien, kan du kreve å få ferien utsatt.")], blocks);
    }

    [Fact]
    public void ATxtFilesHeadingIsItsChunksTitle()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "ferie.txt");
        File.WriteAllText(path, "Ferie\n\nDu har rett til fem uker ferie hvert år. Søknaden sendes til lederen din.\n");
        var chunk = DocumentIngest.Ingest([path], new ChunkOptions()).Chunks.Single();
        Assert.Equal("Ferie", chunk.Heading);
        Assert.Equal("Du har rett til fem uker ferie hvert år. Søknaden sendes til lederen din.", chunk.Text);
    }
}
