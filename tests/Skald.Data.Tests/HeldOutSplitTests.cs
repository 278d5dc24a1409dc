using Skald.Data.Generation;
using Skald.Data.Ingest;
using Skald.Data.Llm;
using Skald.Retrieval.Models;
using Reply = Skald.Tests.FakeChatServer.Reply;

namespace Skald.Data.Tests;

/// <summary>
/// The held-out split of <c>skald data generate --test-fraction</c>: single queries by default (the split written
/// before <c>--held-out</c> existed, unchanged), or with <c>--held-out documents</c> whole documents on one side, so no
/// passage (and no overlapping neighbour of one) is a training positive and a test positive at once.
/// </summary>
public sealed class HeldOutSplitTests
{
    /// <summary>40 documents of 1–3 chunks, each chunk with 1–3 queries: 157 queries, 79 passages.</summary>
    private static GeneratedSet Set()
    {
        var corpus = new List<CorpusDocument>();
        var queries = new List<GeneratedQuery>();
        for (int d = 0; d < 40; d++)
        {
            for (int c = 0; c < 1 + d % 3; c++)
            {
                string id = $"d{d}-c{c}";
                corpus.Add(new CorpusDocument(id, "", $"passage {d} {c}"));
                for (int q = 0; q < 1 + (d + c) % 3; q++) queries.Add(new GeneratedQuery($"q{queries.Count}", $"query {d} {c} {q}", id, "ict"));
            }
        }
        return new GeneratedSet(corpus, queries, new Dictionary<string, int>());
    }

    private static List<(string Query, string Passage)> Qrels(string folder, string split) =>
        [.. File.ReadAllLines(Path.Combine(folder, "qrels", split + ".tsv")).Skip(1).Select(l => l.Split('\t')).Select(f => (f[0], f[1]))];

    [Fact]
    public void QueriesModeWritesTheSplitWrittenBeforeHeldOutExisted()
    {
        // fixtures/held-out/queries-test.tsv is qrels/test.tsv as BeirWriter wrote it for this set, 0.2 and seed 42 at
        // c5a675e, before --held-out: the default and an explicit queries mode must still write it byte for byte.
        string expected = File.ReadAllText(Path.Combine(TestPaths.Fixtures, "held-out", "queries-test.tsv"));
        string dir = TestPaths.NewTempDir();
        var counts = BeirWriter.Write(Set(), Path.Combine(dir, "default"), 0.2, 42);
        BeirWriter.Write(Set(), Path.Combine(dir, "queries"), 0.2, 42, HeldOutUnit.Queries);
        Assert.Equal(expected, File.ReadAllText(Path.Combine(dir, "default", "qrels", "test.tsv")));
        Assert.Equal(expected, File.ReadAllText(Path.Combine(dir, "queries", "qrels", "test.tsv")));
        Assert.Equal((126, 31), counts); // round(157 × 0.2) single queries
        // Per query, a held-out query's passage is usually trained on through another query about it (GPL's setting).
        var trained = Qrels(Path.Combine(dir, "default"), "train").Select(t => t.Passage).ToHashSet();
        Assert.Contains(Qrels(Path.Combine(dir, "default"), "test"), t => trained.Contains(t.Passage));
        Assert.False(File.Exists(Path.Combine(dir, "default", BeirWriter.TrainCorpus)));
    }

    [Theory]
    [InlineData(0.1, 1)]
    [InlineData(0.2, 42)]
    [InlineData(0.5, 7)]
    public void NoPassageOrDocumentIsOnBothSidesAndTheShareIsNearTheFraction(double fraction, int seed)
    {
        var set = Set();
        Assert.Equal(157, set.Queries.Count);
        string folder = Path.Combine(TestPaths.NewTempDir(), "data");
        var (trainCount, testCount) = BeirWriter.Write(set, folder, fraction, seed, HeldOutUnit.Documents);
        var train = Qrels(folder, "train");
        var test = Qrels(folder, "test");
        Assert.Equal((157 - testCount, testCount), (train.Count, test.Count));
        Assert.Equal(157, trainCount + testCount);
        Assert.Empty(train.Select(t => t.Passage).Intersect(test.Select(t => t.Passage)));
        Assert.Empty(train.Select(t => t.Passage.Split('-')[0]).Intersect(test.Select(t => t.Passage.Split('-')[0])));
        // Whole documents hold at most 9 queries (3 chunks of up to 3): the greedy choice lands within one of them.
        Assert.InRange(testCount, 157 * fraction - 9, 157 * fraction + 9);
        Assert.Equal(File.ReadAllLines(Path.Combine(folder, "pairs.jsonl")).Length, train.Count);
        // Nor is any passage of a held-out document a positive in pairs.jsonl, what skald train reads.
        var heldDocuments = test.Select(t => HeldOutSplit.DocumentOf(t.Passage)).ToHashSet();
        var heldTexts = set.Corpus.Where(c => heldDocuments.Contains(HeldOutSplit.DocumentOf(c.Id))).Select(c => c.Text).ToHashSet();
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(folder, "pairs.jsonl")),
            l => heldTexts.Contains(System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("positive").GetString()!));
        // train-corpus.jsonl, the passages to mine negatives from, is every passage of the documents trained on.
        var heldPrefixes = test.Select(t => t.Passage.Split('-')[0]).ToHashSet();
        Assert.Equal(set.Corpus.Where(c => !heldPrefixes.Contains(c.Id.Split('-')[0])).Select(c => c.Id), CorpusIds(folder, BeirWriter.TrainCorpus));
        Assert.Equal(set.Corpus.Select(c => c.Id), CorpusIds(folder, "corpus.jsonl")); // the test still searches them all
    }

    private static string[] CorpusIds(string folder, string file) =>
        [.. File.ReadAllLines(Path.Combine(folder, file)).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("_id").GetString()!)];

    [Theory]
    [InlineData(HeldOutUnit.Queries)]
    [InlineData(HeldOutUnit.Documents)]
    public void TheSplitIsTheSameForTheSameSetAndSeedAndMovesWithTheSeed(HeldOutUnit unit)
    {
        string dir = TestPaths.NewTempDir();
        BeirWriter.Write(Set(), Path.Combine(dir, "a"), 0.2, 5, unit);
        BeirWriter.Write(Set(), Path.Combine(dir, "b"), 0.2, 5, unit);
        BeirWriter.Write(Set(), Path.Combine(dir, "c"), 0.2, 6, unit);
        string test(string f) => File.ReadAllText(Path.Combine(dir, f, "qrels", "test.tsv"));
        Assert.Equal(test("a"), test("b"));
        Assert.NotEqual(test("a"), test("c"));
    }

    [Fact]
    public void OneDocumentIsSplitByPassageWithEveryQueryOfAPassageOnOneSide()
    {
        var corpus = Enumerable.Range(0, 10).Select(c => new CorpusDocument($"d0-c{c}", "", $"passage {c}")).ToList();
        var queries = Enumerable.Range(0, 30).Select(i => new GeneratedQuery($"q{i}", $"query {i}", $"d0-c{i / 3}", "ict")).ToList();
        string folder = Path.Combine(TestPaths.NewTempDir(), "data");
        var (_, testCount) = BeirWriter.Write(new GeneratedSet(corpus, queries, new Dictionary<string, int>()), folder, 0.2, 42, HeldOutUnit.Documents);
        Assert.Equal(6, testCount); // two passages of three queries
        var train = Qrels(folder, "train").Select(t => t.Passage).ToHashSet();
        var test = Qrels(folder, "test").Select(t => t.Passage).ToHashSet();
        Assert.Equal(2, test.Count);
        Assert.Empty(train.Intersect(test));
        Assert.Equal(corpus.Select(c => c.Id).Where(id => !test.Contains(id)), CorpusIds(folder, BeirWriter.TrainCorpus));
    }

    [Theory]
    [InlineData("d3-c7", "d3")]
    [InlineData("d12-c0", "d12")]
    [InlineData("doc-c1", "doc-c1")]
    [InlineData("d-c1", "d-c1")]
    [InlineData("d4-cx", "d4-cx")]
    [InlineData("passage", "passage")]
    public void APassageBelongsToTheDocumentItsChunkIdNames(string passage, string document) =>
        Assert.Equal(document, HeldOutSplit.DocumentOf(passage));

    [Theory]
    [InlineData(HeldOutUnit.Queries)]
    [InlineData(HeldOutUnit.Documents)]
    public async Task AResumedLlmRunHoldsOutTheSameQueries(HeldOutUnit unit)
    {
        string docsDir = TestPaths.NewTempDir();
        TestDocuments.Markdown(docsDir);
        File.WriteAllText(Path.Combine(docsDir, "sv.md"), "# Mötesrum\n\nMötesrum bokas i kalendern genom att lägga till rummet. Stora rummet på plan fyra rymmer tjugo personer.\n\n" +
            "Lämna rummet som du fann det och torka av whiteboarden. Avboka rummet om mötet blir inställt så att andra kan använda det.\n");
        var docs = DocumentIngest.Ingest([docsDir], new ChunkOptions { ChunkTokens = 25, OverlapTokens = 0 });
        Assert.True(docs.Documents.Count >= 2);
        using var server = new Skald.Tests.FakeChatServer((_, _) => Reply.Good);
        var settings = new LlmSettings { Endpoint = new Uri(server.Url), Model = "fake", QuestionsPerChunk = 2, RetryDelay = TimeSpan.FromMilliseconds(20) };
        string dir = TestPaths.NewTempDir(), journal = Path.Combine(dir, "j.jsonl");
        BeirWriter.Write(await LlmGenerator.GenerateAsync(docs, settings, new FilterOptions(), journal), Path.Combine(dir, "first"), 0.3, 42, unit);
        var lines = File.ReadAllLines(journal);
        File.WriteAllLines(journal, lines[..(lines.Length / 2)]); // killed half way
        BeirWriter.Write(await LlmGenerator.GenerateAsync(docs, settings, new FilterOptions(), journal), Path.Combine(dir, "resumed"), 0.3, 42, unit);
        foreach (var split in new[] { "train", "test" })
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "first", "qrels", split + ".tsv")), File.ReadAllText(Path.Combine(dir, "resumed", "qrels", split + ".tsv")));
        Assert.NotEmpty(Qrels(Path.Combine(dir, "first"), "test"));
    }
}
