using Skald.Data.Ingest;
using Skald.Retrieval.Index;
using Skald.Tests;
using Skald.Tokenizers;

namespace Skald.Data.Tests;

/// <summary>
/// An index embeds a chunk as its title (heading, and the caption of the table it continues), a space and its text
/// (<see cref="IndexRecord.FullText"/>), but the chunk budget held the text alone: chunks sized to what a model reads
/// overflowed it by the title, and the model never saw their last words. With <see cref="ChunkOptions.TitleInBudget"/>
/// (as <c>index build</c> chunks) title and text together are at most the budget.
/// </summary>
public sealed class TitleBudgetTests
{
    private static readonly string[] Sentences =
    [
        "Overtid godtgjøres med femti prosent tillegg på hverdager.", "Arbeid på søndager gir hundre prosent.",
        "Timelisten sendes til leder innen fredag.", "Leder godkjenner den samme uke.", "Lønnen kommer den tjuende hver måned.",
        "Spør lønnskontoret om du er i tvil.",
    ];

    private static SourceDocument Document() => DocumentIngest.Build("lonn.txt",
    [
        new DocumentBlock(BlockKind.Heading, "Regler for overtid og lønn i staten"),
        new DocumentBlock(BlockKind.Paragraph, string.Join(" ", Sentences)),
        new DocumentBlock(BlockKind.Paragraph, "Satsene for overtid i 2025 er:"),
        .. new[] { "Dag | Tillegg", "Hverdager | 50 %", "Lørdag | 100 %", "Søndag | 100 %", "Natt | 100 %", "Helligdag | 100 %" }
            .Select(r => new DocumentBlock(BlockKind.TableRow, r)),
    ])!;

    private static int Words(string text) => TokenCounter.CountWords(text);

    [Fact]
    public void TheTitleAndTextOfEveryChunkFitTheBudgetInWords()
    {
        var options = new ChunkOptions { ChunkTokens = 32, OverlapTokens = 0, TitleInBudget = true };
        var chunks = Chunker.Split(Document(), 0, options);
        Assert.All(chunks, c => Assert.True(Words(new IndexRecord(c.Id, "d", "s", c.Start, c.End, c.Title, c.Text).FullText) <= 32,
            $"{c.Id}: '{c.Title}' + '{c.Text}'"));
        // the caption leads the table's later chunks in their title, and they still fit
        Assert.Contains(chunks, c => c.Context == "Satsene for overtid i 2025 er:" && c.RepeatsHeader);
        // without it the text alone fills the budget, and the title runs over
        var loose = Chunker.Split(Document(), 0, options with { TitleInBudget = false });
        Assert.Contains(loose, c => Words(c.Title + " " + c.Text) > 32);
    }

    [Fact]
    public void AModelsTokensOfTheIndexedTextFitTheBudget()
    {
        // a WordPiece tokenizer cuts Norwegian words into several pieces: the budget is the model's, counted on the full text
        var tokenizer = Tokenizer.FromFile(Path.Combine(Repository.Root, "fixtures", "training", "bert-4layers", "tokenizer.json"));
        var options = new ChunkOptions { ChunkTokens = 64, OverlapTokens = 8, TitleInBudget = true, Counter = TokenCounter.For(tokenizer, "bert") };
        var chunks = Chunker.Split(Document(), 0, options);
        Assert.True(chunks.Count > 2);
        Assert.All(chunks, c =>
        {
            int n = tokenizer.Encode(new IndexRecord(c.Id, "d", "s", c.Start, c.End, c.Title, c.Text).FullText, addSpecialTokens: false).Ids.Length;
            Assert.True(n <= 64, $"{c.Id}: {n} tokens: '{c.Title}' + '{c.Text}'");
        });
    }

    [Fact]
    public void AHeadingLongerThanThreeQuartersOfTheBudgetLeavesTheTextAQuarter()
    {
        var doc = DocumentIngest.Build("t", [new DocumentBlock(BlockKind.Heading, "en to tre fire fem seks sju åtte ni ti"),
            new DocumentBlock(BlockKind.Paragraph, "a b c d e f g h i j k l")])!;
        var chunks = Chunker.Split(doc, 0, new ChunkOptions { ChunkTokens = 12, OverlapTokens = 0, TitleInBudget = true });
        Assert.Equal(["a b c", "d e f", "g h i", "j k l"], chunks.Select(c => c.Text));
        Assert.Equal(3, Chunker.TextRoom(new ChunkOptions { ChunkTokens = 12, TitleInBudget = true }, "en to tre fire fem seks sju åtte ni ti", ""));
        Assert.Equal(9, Chunker.TextRoom(new ChunkOptions { ChunkTokens = 12, TitleInBudget = true }, "en", "to"));
        Assert.Equal(12, Chunker.TextRoom(new ChunkOptions { ChunkTokens = 12 }, "en", "to"));
    }
}
