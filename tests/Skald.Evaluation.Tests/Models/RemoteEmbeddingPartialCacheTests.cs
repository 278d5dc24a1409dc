using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Models;
using Skald.Retrieval.Remote;

namespace Skald.Evaluation.Tests.Models;

/// <summary>
/// A remote embedding call that fails part way keeps the replies it paid for: each answered request's vectors go to the
/// --cache even though a later request of the same call fails, so the run after asks only for the rest. Before, the
/// cache was written once the whole call had succeeded, and a failure at the last request of a corpus lost them all.
/// </summary>
public sealed class RemoteEmbeddingPartialCacheTests
{
    [Fact]
    public void TheRequestsAnsweredBeforeAFailureAreCachedAndNotSentAgain()
    {
        bool refuse = true;
        using var server = new FakeEmbeddingServer(n => refuse && n == 4 ? FakeEmbeddingServer.Reply.Unauthorized : FakeEmbeddingServer.Reply.Good);
        string cache = TestPaths.NewTempDir();
        string[] texts = [.. Enumerable.Range(1, 10).Select(i => $"Tekst nummer {i} om toget til Bergen")];
        var e = Assert.Throws<EvaluationException>(() => FakeServerEmbeddingModel.Create(server, cache).Embed(texts, TextRole.Document));
        Assert.Contains("HTTP 401", e.Message);
        Assert.Equal(4, server.Requests); // three answered (six texts), the fourth refused

        refuse = false;
        var model = FakeServerEmbeddingModel.Create(server, cache);
        var vectors = model.Embed(texts, TextRole.Document);
        Assert.Equal(2, server.Requests - 4); // only the four texts not answered before: two requests of two
        Assert.Equal(4, model.EncodedCount);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(FakeEmbeddingServer.Embed(texts[i]), vectors[i]);
    }
}
