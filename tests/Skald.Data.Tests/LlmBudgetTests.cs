using Skald.Data.Generation;
using Skald.Data.Ingest;
using Skald.Data.Llm;
using Reply = Skald.Tests.FakeChatServer.Reply;

namespace Skald.Data.Tests;

/// <summary>
/// <c>--max-requests</c> with requests in flight together: the run stops at the budget, and every reply
/// it paid for is journaled, so running again goes on from there.
/// </summary>
public sealed class LlmBudgetTests
{
    private static LlmSettings Settings(FakeChatServer server) => new()
    {
        Endpoint = new Uri(server.Url), Model = "fake", QuestionsPerChunk = 2, Concurrency = 3, MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(60), RequestBudget = 2,
    };

    [Fact]
    public async Task AGenerationStoppedByTheBudgetKeepsTheRepliesInFlightAndTheNextRunGoesOn()
    {
        // With a budget no larger than the concurrency, the request over the budget cancelled the ones in flight: their
        // replies, counted against the budget, were never journaled, and every later run stopped at the same place
        // with nothing kept ("0 of 9 chunks already in ..." each time).
        string dir = TestPaths.NewTempDir();
        for (int i = 0; i < 6; i++) File.WriteAllText(Path.Combine(dir, $"doc{i}.txt"), $"Dokument nummer {i} handler om kantinen og kaffen. Kaffen koster {i + 10} kroner i kantinen.\n");
        var docs = DocumentIngest.Ingest([dir], new ChunkOptions());
        Assert.Equal(6, docs.Chunks.Count);
        using var server = new FakeChatServer((_, _) => Reply.Good, replyDelayMs: 300);
        string journal = Path.Combine(TestPaths.NewTempDir(), "j.jsonl");
        for (int run = 1; run <= 2; run++)
        {
            var e = await Assert.ThrowsAsync<DataException>(() => LlmGenerator.GenerateAsync(docs, Settings(server), new FilterOptions(), journal));
            Assert.StartsWith("request budget of 2 reached", e.Message);
            Assert.Equal(2 * run, server.Requests.Count);
            Assert.Equal(2 * run, File.ReadAllLines(journal).Length); // and both replies of each run kept
        }
        var set = await LlmGenerator.GenerateAsync(docs, Settings(server), new FilterOptions(), journal); // the last two fit the budget
        Assert.Equal(6, server.Requests.Count);
        Assert.Equal(6, set.Queries.Select(q => q.DocumentId).Distinct().Count());
    }

    [Fact]
    public async Task ATranslationStoppedByTheBudgetKeepsTheRepliesInFlight()
    {
        using var server = new FakeChatServer((_, _) => Reply.Good, replyDelayMs: 300, answer: text => text.ToUpperInvariant());
        string journal = Path.Combine(TestPaths.NewTempDir(), "t.jsonl");
        string[] texts = ["Hva heter du?", "Jeg bor i Bergen.", "Kaffen er varm.", "Toget går klokken åtte."];
        var e = await Assert.ThrowsAsync<DataException>(() => LlmTranslator.TranslateAsync(texts, "nb", "nn", Settings(server), journal));
        Assert.StartsWith("request budget of 2 reached", e.Message);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(2, File.ReadAllLines(journal).Length);
        Assert.Equal([.. texts.Select(t => t.ToUpperInvariant())], await LlmTranslator.TranslateAsync(texts, "nb", "nn", Settings(server), journal));
        Assert.Equal(4, server.Requests.Count);
    }
}
