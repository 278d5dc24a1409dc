using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// Tables in documents: a row was a paragraph like any other, so a chunk's rows ran together ("By | Innbyggere Bergen |
/// 291 000 Tromsø | 77 000"), a cell with sentence punctuation was split into "sentences" across the row, and a row
/// longer than a chunk was cut between any two words. Each row is now a line of its own in the chunk's text, its cells
/// joined by " | " (a Markdown-like row), a unit the sentence splitter never cuts, and a row longer than a chunk is cut
/// between cells.
/// </summary>
public sealed class TableChunkTests
{
    private static readonly ChunkOptions Wide = new() { ChunkTokens = 64, OverlapTokens = 0 };

    private static List<Chunk> Chunks(List<DocumentBlock> blocks, ChunkOptions options) =>
        Chunker.Split(DocumentIngest.Build("t", blocks)!, 0, options);

    [Fact]
    public void ADocxTablesRowsAreLinesOfTheirOwnInTheChunk()
    {
        string path = TestDocuments.DocxOf(TestPaths.NewTempDir(), "byer.docx", "Byene langs kysten er store.",
            new[] { new[] { "By", "Innbyggere" }, ["Bergen", "291 000"], ["Tromsø", "77 000"] }, "Tabellen viser to byer.");
        var chunk = Assert.Single(DocumentIngest.Ingest([path], Wide).Chunks);
        Assert.Equal("Byene langs kysten er store.\nBy | Innbyggere\nBergen | 291 000\nTromsø | 77 000\nTabellen viser to byer.", chunk.Text);
    }

    [Fact]
    public void AnHtmlRowWithSentencesInItsCellsIsOneUnit()
    {
        var blocks = HtmlReader.Parse("<html><body><p>Åpningstider:</p><table>" +
            "<tr><td>Kontoret</td><td>Åpent 8–16. Stengt i juli.</td></tr><tr><td>Lageret</td><td>Åpent 7–15. Ring først!</td></tr></table></body></html>");
        Assert.Equal([BlockKind.Paragraph, BlockKind.TableRow, BlockKind.TableRow], blocks.Select(b => b.Kind));
        var chunk = Assert.Single(Chunks(blocks, Wide));
        Assert.Equal(["Åpningstider:", "Kontoret | Åpent 8–16. Stengt i juli.", "Lageret | Åpent 7–15. Ring først!"], chunk.SentenceTexts);
        Assert.Equal("Åpningstider:\nKontoret | Åpent 8–16. Stengt i juli.\nLageret | Åpent 7–15. Ring først!", chunk.Text);
    }

    [Fact]
    public void AMarkdownTableChunksAsRowsAndTheOverlapRepeatsWholeRows()
    {
        var blocks = MarkdownReader.Parse("| By | Innbyggere |\n|---|---|\n| Oslo | 709 000 |\n| Bergen | 291 000 |\n| Trondheim | 214 000 |\n");
        Assert.All(blocks, b => Assert.Equal(BlockKind.TableRow, b.Kind));
        // three or four words a row: three rows a chunk, the last repeated as overlap under the header (TableHeaderChunkTests)
        var chunks = Chunks(blocks, new ChunkOptions { ChunkTokens = 12, OverlapTokens = 4 });
        Assert.Equal(["By | Innbyggere\nOslo | 709 000\nBergen | 291 000", "By | Innbyggere\nBergen | 291 000\nTrondheim | 214 000"],
            chunks.Select(c => c.Text));
    }

    [Fact]
    public void ARowLongerThanAChunkIsCutBetweenCellsAndALongCellBetweenWords()
    {
        // cells of 4, 4 and 3 words: the first two with their " | " are 9 words, within 10; a cell of 13 words alone is cut between words
        var blocks = new List<DocumentBlock>
        {
            new(BlockKind.TableRow, "første celle har fire | andre celle har fire | tredje har tre"),
            new(BlockKind.TableRow, "kort | en celle med tretten ord som er lengre enn en hel bit alene"),
        };
        var chunks = Chunks(blocks, new ChunkOptions { ChunkTokens = 10, OverlapTokens = 0 });
        Assert.Equal(["første celle har fire | andre celle har fire", "tredje har tre\nkort",
            "en celle med tretten ord som er lengre enn en", "hel bit alene"], chunks.Select(c => c.Text));
        Assert.All(chunks, c => Assert.True(c.Tokens <= 10, $"{c.Id}: {c.Tokens} tokens"));
    }

    /// <summary>
    /// A table's lead-in ("Satsene for overtid er:") that did not fit one chunk with the row after it was a chunk of its
    /// own, and the rows' chunks said nothing of what table they were from; now it is the context of every chunk that
    /// starts with the table's rows without it (an index's title, beside the heading), and never a chunk of its own.
    /// </summary>
    [Fact]
    public void ALeadInThatDoesNotFitBesideTheFirstRowIsTheContextOfTheTablesChunks()
    {
        // 4 + 4 words, then a row of 11 that fits a chunk of 12 alone but not after the lead-in, then a row of 4
        var blocks = new List<DocumentBlock>
        {
            new(BlockKind.Heading, "Overtid"),
            new(BlockKind.Paragraph, "Lønn utbetales hver måned. Satsene for overtid er:"),
            new(BlockKind.TableRow, "Hverdager | 50 % | Etter kl. 17 og i helgene"),
            new(BlockKind.TableRow, "Lørdag | 100 %"),
            new(BlockKind.Paragraph, "Spør lønnskontoret."),
        };
        var chunks = Chunks(blocks, new ChunkOptions { ChunkTokens = 12, OverlapTokens = 4 });
        Assert.Equal(["Lønn utbetales hver måned.", "Hverdager | 50 % | Etter kl. 17 og i helgene", "Lørdag | 100 %\nSpør lønnskontoret."],
            chunks.Select(c => c.Text));
        Assert.Equal(["", "Satsene for overtid er:", "Satsene for overtid er:"], chunks.Select(c => c.Context));
        Assert.Equal(["Overtid", "Overtid \u2013 Satsene for overtid er:", "Overtid \u2013 Satsene for overtid er:"], chunks.Select(c => c.Title));
        Assert.All(chunks, c => Assert.True(c.Tokens <= 12, $"{c.Id}: {c.Tokens} tokens"));
        // a lead-in that fits beside the first row stays in its chunk, and that chunk needs no context
        var wide = Chunks(blocks, Wide);
        Assert.Equal("", Assert.Single(wide).Context);
        Assert.Equal("Lønn utbetales hver måned. Satsene for overtid er:\nHverdager | 50 % | Etter kl. 17 og i helgene\nLørdag | 100 %\nSpør lønnskontoret.",
            Assert.Single(wide).Text);
    }

    [Fact]
    public void ATableAloneIsADocumentAndAPassageWithoutASentenceKeepsItsRowsOnLines()
    {
        var doc = DocumentIngest.Build("t", [new DocumentBlock(BlockKind.TableRow, "By | Innbyggere"), new DocumentBlock(BlockKind.TableRow, "Oslo | 709 000")]);
        Assert.NotNull(doc); // a table with no paragraph around it is text
        var chunk = Assert.Single(Chunker.Split(doc, 0, Wide));
        Assert.Equal("Oslo | 709 000", chunk.Join(i => i == 1));
        Assert.Equal([true, true], chunk.TableRows);
    }

    /// <summary>
    /// A row cut between its cells came back in the next chunk through the overlap, its first piece on a line above the
    /// rest as if the two were rows ("a b c\nd e f g h i j"); and two pieces whose words fit one chunk (the " | " between
    /// them is what did not) shared one the same way. A cut row's pieces now never share a chunk, and the overlap does
    /// not repeat a piece whose row goes on after the chunk.
    /// </summary>
    [Fact]
    public void ACutRowsPiecesNeverShareAChunkNorComeBackAsOverlap()
    {
        // cells of 3 and 7 words: joined with their " | " 11 words, over 10; apart 3 + 7, within it
        var blocks = new List<DocumentBlock> { new(BlockKind.Paragraph, "En to tre fire fem."), new(BlockKind.TableRow, "a b c | d e f g h i j") };
        var overlapped = Chunks(blocks, new ChunkOptions { ChunkTokens = 10, OverlapTokens = 4 });
        Assert.Equal(["En to tre fire fem.\na b c", "d e f g h i j"], overlapped.Select(c => c.Text));
        var alone = Chunks([blocks[1]], new ChunkOptions { ChunkTokens = 10, OverlapTokens = 0 });
        Assert.Equal(["a b c", "d e f g h i j"], alone.Select(c => c.Text));
        // whole rows still repeat as overlap (a first row over half the chunk is no header to repeat)
        var rows = Chunks([new(BlockKind.TableRow, "a b c d e"), new(BlockKind.TableRow, "f g h"), new(BlockKind.TableRow, "i j k l")],
            new ChunkOptions { ChunkTokens = 8, OverlapTokens = 4 });
        Assert.Equal(["a b c d e\nf g h", "f g h\ni j k l"], rows.Select(c => c.Text));
    }
}
