using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// A table cut across chunks: the third chunk of a price table held rows ("Ost | 110 kr") without the column names, so
/// a RAG user who retrieved it could not tell what the numbers were. Now a chunk that starts with a table's later rows
/// repeats the table's first row, its header, as its first line, by one rule in the chunker for every format (.docx,
/// .html, Markdown, PDF), and the header counts against the chunk's budget.
/// </summary>
public sealed class TableHeaderChunkTests
{
    private static readonly string[][] Prices = [["Vare", "Pris"], ["Melk", "25 kr"], ["Brød", "40 kr"], ["Ost", "110 kr"], ["Egg", "45 kr"]];

    // caption 2 words, header 3 ("Vare | Pris"), each row 4: [caption, header, Melk] is 9 of 12 and Brød would make 13;
    // then the header again (3) with two rows (8), and the header with the last row
    private static readonly ChunkOptions Twelve = new() { ChunkTokens = 12, OverlapTokens = 0 };

    private static readonly string[] Expected =
        ["Prisene er:\nVare | Pris\nMelk | 25 kr", "Vare | Pris\nBrød | 40 kr\nOst | 110 kr", "Vare | Pris\nEgg | 45 kr"];

    private static List<Chunk> Chunks(List<DocumentBlock> blocks, ChunkOptions options) =>
        Chunker.Split(DocumentIngest.Build("t", blocks)!, 0, options);

    private static int Words(string text) => text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length;

    private static void AssertPriceChunks(IReadOnlyList<Chunk> chunks)
    {
        Assert.Equal(Expected.Select(TestDocuments.PdfText), chunks.Select(c => c.Text)); // (a PDF without DejaVu spells "Brød" "Brod")
        Assert.Equal([false, true, true], chunks.Select(c => c.RepeatsHeader));
        Assert.Equal(["", "Prisene er:", "Prisene er:"], chunks.Select(c => c.Context));
        // the header is part of the text and of the budget: the counted tokens are the text's words, never over 12
        Assert.All(chunks, c => Assert.Equal(Words(c.Text), c.Tokens));
        Assert.All(chunks, c => Assert.True(c.Tokens <= 12, $"{c.Id}: {c.Tokens} tokens"));
    }

    [Fact]
    public void AMarkdownTablesLaterChunksRepeatItsHeaderRow() =>
        AssertPriceChunks(Chunks(MarkdownReader.Parse("Prisene er:\n\n| Vare | Pris |\n|---|---|\n" +
            string.Concat(Prices.Skip(1).Select(r => $"| {r[0]} | {r[1]} |\n"))), Twelve));

    [Fact]
    public void AnHtmlTablesLaterChunksRepeatItsHeaderRow() =>
        AssertPriceChunks(Chunks(HtmlReader.Parse("<html><body><p>Prisene er:</p><table><thead><tr><th>Vare</th><th>Pris</th></tr></thead><tbody>" +
            string.Concat(Prices.Skip(1).Select(r => $"<tr><td>{r[0]}</td><td>{r[1]}</td></tr>")) + "</tbody></table></body></html>"), Twelve));

    [Fact]
    public void ADocxTablesLaterChunksRepeatItsHeaderRow() =>
        AssertPriceChunks(DocumentIngest.Ingest([TestDocuments.DocxOf(TestPaths.NewTempDir(), "priser.docx", "Prisene er:", Prices)], Twelve).Chunks);

    [Fact]
    public void APdfTablesLaterChunksRepeatItsHeaderRow()
    {
        var texts = new List<(string, double, double)> { ("Prisene er:", 40, 800) };
        for (int i = 0; i < Prices.Length; i++) texts.AddRange([(Prices[i][0], 40, 770 - 15 * i), (Prices[i][1], 200, 770 - 15 * i)]);
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "priser.pdf", [.. texts]);
        AssertPriceChunks(DocumentIngest.Ingest([path], Twelve).Chunks);
    }

    [Fact]
    public void TheOverlapsRowsComeUnderTheRepeatedHeader()
    {
        var blocks = Prices.Select(r => new DocumentBlock(BlockKind.TableRow, string.Join(" | ", r))).ToList();
        // header 3 + rows of 4: [H, Melk, Brød] is 11 of 12; the next chunk starts with Brød as overlap, under the header
        var chunks = Chunks(blocks, new ChunkOptions { ChunkTokens = 12, OverlapTokens = 4 });
        Assert.Equal(["Vare | Pris\nMelk | 25 kr\nBrød | 40 kr", "Vare | Pris\nBrød | 40 kr\nOst | 110 kr", "Vare | Pris\nOst | 110 kr\nEgg | 45 kr"],
            chunks.Select(c => c.Text));
        // the header's span comes first, from before the chunk's start; the chunk's own place starts at its first row
        var second = chunks[1];
        Assert.Equal(chunks[0].Sentences[0], second.Sentences[0]);
        Assert.Equal(second.Sentences[1].Start, second.Start);
        Assert.Equal([true, true, true], second.TableRows);
    }

    /// <summary>
    /// An overlap row under the repeated header filled the next chunk: "By | Innbyggere\nOslo | 709 000" came twice, the
    /// second chunk a copy of the first. The overlap now leaves room for what comes next, or is left out; the same holds
    /// without a table (a chunk of overlap alone repeated its neighbour's last sentence).
    /// </summary>
    [Fact]
    public void AnOverlapThatLeavesNoRoomForWhatFollowsIsLeftOut()
    {
        var rows = Chunks([new(BlockKind.TableRow, "By | Innbyggere"), new(BlockKind.TableRow, "Oslo | 709 000"),
            new(BlockKind.TableRow, "Bergen | 291 000"), new(BlockKind.TableRow, "Trondheim | 214 000")], new ChunkOptions { ChunkTokens = 8, OverlapTokens = 4 });
        Assert.Equal(["By | Innbyggere\nOslo | 709 000", "By | Innbyggere\nBergen | 291 000", "By | Innbyggere\nTrondheim | 214 000"], rows.Select(c => c.Text));
        var prose = Chunks([new(BlockKind.Paragraph, "En to tre fire. Fem seks sju åtte. Ni ti elleve tolv tretten fjorten femten seksten.")],
            new ChunkOptions { ChunkTokens = 8, OverlapTokens = 4 });
        Assert.Equal(["En to tre fire. Fem seks sju åtte.", "Ni ti elleve tolv tretten fjorten femten seksten."], prose.Select(c => c.Text));
    }

    [Fact]
    public void AHeaderLongerThanHalfAChunkOrCutIsNotRepeated()
    {
        // a first row of 7 words against 12: repeating it would leave the rows 5
        var wide = Chunks([new(BlockKind.TableRow, "Vare og merke | Pris i dag"), new(BlockKind.TableRow, "Melk | 25 kr"),
            new(BlockKind.TableRow, "Brød | 40 kr"), new(BlockKind.TableRow, "Ost | 110 kr")], Twelve);
        Assert.Equal(["Vare og merke | Pris i dag\nMelk | 25 kr", "Brød | 40 kr\nOst | 110 kr"], wide.Select(c => c.Text));
        Assert.All(wide, c => Assert.False(c.RepeatsHeader));
        // a first row of 15 words is cut between its cells: no piece of it is a header
        var cut = Chunks([new(BlockKind.TableRow, "a b c d e f g | h i j k l m n"), new(BlockKind.TableRow, "Melk | 25 kr"),
            new(BlockKind.TableRow, "Brød | 40 kr")], Twelve);
        Assert.Equal(["a b c d e f g", "h i j k l m n\nMelk | 25 kr", "Brød | 40 kr"], cut.Select(c => c.Text));
        Assert.All(cut, c => Assert.False(c.RepeatsHeader));
    }

    [Fact]
    public void ARowThatIsTheHeaderAgainIsNotRepeatedAboveItself()
    {
        // a PDF writer prints the header again atop the next page: the chunk that starts with it does not get it twice
        var blocks = new[] { Prices[0], Prices[1], Prices[2], Prices[0], Prices[3], Prices[4] }
            .Select(r => new DocumentBlock(BlockKind.TableRow, string.Join(" | ", r))).ToList();
        var chunks = Chunks(blocks, new ChunkOptions { ChunkTokens = 11, OverlapTokens = 0 });
        Assert.Equal(["Vare | Pris\nMelk | 25 kr\nBrød | 40 kr", "Vare | Pris\nOst | 110 kr\nEgg | 45 kr"], chunks.Select(c => c.Text));
        Assert.Equal([false, false], chunks.Select(c => c.RepeatsHeader));
    }

    [Fact]
    public void TwoTablesEachRepeatTheirOwnHeader()
    {
        var blocks = new List<DocumentBlock>
        {
            new(BlockKind.TableRow, "Vare | Pris"), new(BlockKind.TableRow, "Melk | 25 kr"), new(BlockKind.TableRow, "Brød | 40 kr"),
            new(BlockKind.TableRow, "Ost | 110 kr"),
            new(BlockKind.Paragraph, "Og her er rabattene."),
            new(BlockKind.TableRow, "Kunde | Rabatt"), new(BlockKind.TableRow, "Student | 10 %"), new(BlockKind.TableRow, "Pensjonist | 15 %"),
            new(BlockKind.TableRow, "Ansatt | 20 %"),
        };
        var chunks = Chunks(blocks, Twelve);
        Assert.Equal(["Vare | Pris\nMelk | 25 kr\nBrød | 40 kr", "Vare | Pris\nOst | 110 kr\nOg her er rabattene.",
            "Kunde | Rabatt\nStudent | 10 %\nPensjonist | 15 %", "Kunde | Rabatt\nAnsatt | 20 %"], chunks.Select(c => c.Text));
    }
}
