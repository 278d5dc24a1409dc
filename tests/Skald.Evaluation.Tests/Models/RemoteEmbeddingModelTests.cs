using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Models;
using Skald.Retrieval.Remote;
using Skald.Tests;

namespace Skald.Evaluation.Tests.Models;

/// <summary>
/// A remote OpenAI-compatible embedding model (<c>openai:URL#MODEL</c>) against <see cref="FakeEmbeddingServer"/> on
/// 127.0.0.1: it evaluates like a model folder, the cache spares the second run every request, 429 is retried, and
/// a refused key or a dead URL is one line.
/// </summary>
public sealed class RemoteEmbeddingModelTests
{
    private static string Task() => BeirFolder.Write(
        """
        {"_id": "d1", "title": "", "text": "Toget til Bergen går klokka ni fra Oslo S"}
        {"_id": "d2", "title": "", "text": "Legekontoret ligger i andre etasje ved torget"}
        {"_id": "d3", "title": "", "text": "Biblioteket har åpent til fire på lørdager"}
        """,
        """
        {"_id": "q1", "text": "Når går toget til Bergen?"}
        {"_id": "q2", "text": "Hvor ligger legekontoret?"}
        {"_id": "q3", "text": "Når har biblioteket åpent på lørdager?"}
        """,
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n");

    private static RemoteEmbeddingModel Model(FakeEmbeddingServer server, string? cache = null, int retries = 3, string key = "unused") =>
        FakeServerEmbeddingModel.Create(server, cache, retries, key, pricePerMillionTokens: 0.02);

    [Fact]
    public void ATinyRetrievalTaskEvaluatesAgainstTheRemoteModelAndCountsTokensAndCost()
    {
        using var server = new FakeEmbeddingServer();
        var model = Model(server);
        var result = TaskEvaluator.Create(TaskDefinition.FromPath(Task(), TaskKind.Retrieval), new RetrievalOptions()).Evaluate(model);
        Assert.Equal(1.0, result.MainScore, 6);
        // 3 documents and 3 queries, in requests of 2 texts: 2 + 2 requests, all answered.
        Assert.Equal(4, server.Requests);
        Assert.Equal(6, server.Texts);
        long expected = new[]
        {
            "Toget til Bergen går klokka ni fra Oslo S", "Legekontoret ligger i andre etasje ved torget", "Biblioteket har åpent til fire på lørdager",
            "Når går toget til Bergen?", "Hvor ligger legekontoret?", "Når har biblioteket åpent på lørdager?",
        }.Sum(FakeEmbeddingServer.TokenCount);
        Assert.Equal(expected, model.Client.Tokens);
        Assert.Equal(expected / 1e6 * 0.02, model.Client.Cost, 12);
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Metadata["model.tokens"]);
        Assert.Equal(64, model.Dimension);
        var v = model.Embed(["Hvor ligger legekontoret?"], TextRole.Query)[0];
        Assert.Equal(FakeEmbeddingServer.Embed("Hvor ligger legekontoret?"), v);
    }

    [Fact]
    public void ASecondRunIsServedFromTheCacheWithoutARequest()
    {
        using var server = new FakeEmbeddingServer();
        string cache = TestPaths.NewTempDir(), task = Task();
        var first = TaskEvaluator.Create(TaskDefinition.FromPath(task, TaskKind.Retrieval), new RetrievalOptions()).Evaluate(Model(server, cache));
        int sent = server.Requests;
        Assert.True(sent > 0);
        var model = Model(server, cache);
        var second = TaskEvaluator.Create(TaskDefinition.FromPath(task, TaskKind.Retrieval), new RetrievalOptions()).Evaluate(model);
        Assert.Equal(sent, server.Requests);
        Assert.Equal(0, model.EncodedCount);
        Assert.Equal(first.MainScore, second.MainScore);
        Assert.Equal(64, model.Dimension); // known from the cache, still no request
        Assert.Equal(sent, server.Requests);
    }

    [Fact]
    public void A429IsRetriedThenSucceeds()
    {
        using var server = new FakeEmbeddingServer(n => n == 1 ? FakeEmbeddingServer.Reply.TooMany : n == 2 ? FakeEmbeddingServer.Reply.ServerError : FakeEmbeddingServer.Reply.Good);
        var model = Model(server);
        var v = model.Embed(["Toget til Bergen"], TextRole.Document);
        Assert.Equal(FakeEmbeddingServer.Embed("Toget til Bergen"), v[0]);
        Assert.Equal(3, server.Requests);
        Assert.Equal(2, model.Client.Retries);
    }

    [Fact]
    public void ARefusedKeyIsOneLineAndNotRetried()
    {
        using var server = new FakeEmbeddingServer { ApiKey = "right" };
        var e = Assert.Throws<EvaluationException>(() => Model(server, key: "wrong").Embed(["x"], TextRole.Query));
        Assert.Contains("API key was refused (HTTP 401)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(1, server.Requests);
        Assert.Equal(FakeEmbeddingServer.Embed("x"), Model(server, key: "right").Embed(["x"], TextRole.Query)[0]);
    }

    [Fact]
    public void ATextOverTheServersMaximumIsOneLineQuotingTheServerAndNamingTruncation()
    {
        using var server = new FakeEmbeddingServer { MaxWords = 5 };
        var model = Model(server);
        Assert.Equal(FakeEmbeddingServer.Embed("Når går toget?"), model.Embed(["Når går toget?"], TextRole.Query)[0]);
        var e = Assert.Throws<EvaluationException>(() => model.Embed(["kort", "toget til Bergen går klokka ni fra Oslo S"], TextRole.Document));
        Assert.Contains("longer than the model takes", e.Message);
        Assert.Matches("the server says \"input\\[[01]\\] is longer than the model's maximum of 5 tokens\"", e.Message);
        Assert.Contains("skald serve --truncate", e.Message);
        Assert.DoesNotContain("model name right", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(2, server.Requests); // a 400 is not retried
    }

    [Fact]
    public void ADeadUrlIsOneLineAtOnce()
    {
        // nothing has ever answered there: a wrong address, not a server restarting, so it is not retried (the same rule
        // as the chat client's: OpenAiConnection)
        int port = LocalHttpServer.FreePort();
        var client = new OpenAiEmbeddingClient(new RemoteEmbeddingSettings
        {
            Spec = RemoteModelSpec.Parse($"openai:http://127.0.0.1:{port}/v1#m"), MaxRetries = 3, RetryDelay = TimeSpan.FromSeconds(1),
        });
        var e = Assert.Throws<EvaluationException>(() => client.Embed(["x"]));
        Assert.Equal($"http://127.0.0.1:{port}/v1 (model 'm'): connection refused: nothing listens on 127.0.0.1:{port}; is the server running, and the port right?", e.Message);
        Assert.Equal(0, client.Retries);
        Assert.Equal(1, client.Requests);
    }

    [Fact]
    public void ARemoteModelSitsInTheBenchmarkTableNextToBm25AndItsResultsAreCached()
    {
        using var server = new FakeEmbeddingServer();
        string dir = TestPaths.NewTempDir(), cache = TestPaths.NewTempDir();
        Directory.Move(Task(), Path.Combine(dir, "tiny"));
        string suiteFile = Path.Combine(dir, "suite.json");
        File.WriteAllText(suiteFile, "{\"name\": \"s\", \"tasks\": [{\"path\": \"tiny\", \"type\": \"retrieval\", \"name\": \"tiny\"}]}");
        var suite = Skald.Evaluation.Benchmark.Suite.Load(suiteFile, dir);
        string spec = $"openai:{server.Url}#fake-embed";
        var options = new Skald.Evaluation.Benchmark.BenchmarkOptions { CacheDirectory = cache };
        var report = Skald.Evaluation.Benchmark.BenchmarkRunner.Run(suite, [spec, "bm25"], options);
        Assert.Equal(1.0, report.Board.Score("fake-embed", "tiny")!.Value, 6);
        Assert.NotNull(report.Board.Score("bm25", "tiny"));
        int sent = server.Requests;
        var again = Skald.Evaluation.Benchmark.BenchmarkRunner.Run(suite, [spec], options);
        Assert.Equal(1, again.Cached);
        Assert.Equal(sent, server.Requests);
    }

    [Theory]
    [InlineData("openai:http://127.0.0.1:8080/v1", "name the model")]
    [InlineData("openai:ftp://x/v1#m", "not an http(s) URL")]
    [InlineData("openai:#m", "not an http(s) URL")]
    public void AMalformedSpecSaysWhatIsWrong(string spec, string expected)
    {
        var e = Assert.Throws<EvaluationException>(() => RemoteModelSpec.Parse(spec));
        Assert.Contains(expected, e.Message);
    }
}
