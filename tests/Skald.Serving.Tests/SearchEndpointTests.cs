using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> on a real server over loopback, over an index that <c>skald index build</c> made of the sample
/// documents with the fixture model (in 3 IVF lists, all probed unless a request asks for fewer): the same hits and
/// scores as <c>skald search</c>, OpenAI-style 400s on bad input,
/// and no start with an index of another model.
/// </summary>
public sealed class SearchEndpointTests : IClassFixture<SearchEndpointTests.IndexedServer>
{
    private readonly IndexedServer fixture;

    public SearchEndpointTests(IndexedServer fixture) => this.fixture = fixture;

    /// <summary>An index of samples/documents and a server answering /v1/search over it (with <see cref="Reranker"/>, /v1/rerank too).</summary>
    public class IndexedServer : IAsyncLifetime
    {
        /// <summary>The shared IVF index of the sample documents (read only).</summary>
        public string Folder { get; } = SampleDocuments.Index(SkaldProcess.Run, ModelDir, "--language", "nb", "--ivf-lists", "3", "--ivf-probes", "3");

        public SearchIndex Index { get; private set; } = null!;

        public EmbeddingServer Server { get; private set; } = null!;

        public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

        public async Task InitializeAsync()
        {
            Index = SearchIndex.Open(Folder);
            Server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), Index, Reranker(), "127.0.0.1", 0);
            Client.BaseAddress = Server.Address;
        }

        /// <summary>The reranker the server also serves, if any.</summary>
        protected virtual RerankService? Reranker() => null;

        public async Task DisposeAsync()
        {
            Client.Dispose();
            await Server.DisposeAsync();
            Index.Dispose();
        }
    }

    private static (string[] Ids, float[] Scores) Hits(JsonElement results) =>
        ([.. results.EnumerateArray().Select(h => h.GetProperty("id").GetString()!)],
         [.. results.EnumerateArray().Select(h => h.GetProperty("score").GetSingle())]);

    // each hit's scaled_score (null where it has none)
    private static float?[] Scaled(JsonElement results) =>
        [.. results.EnumerateArray().Select(h => h.TryGetProperty("scaled_score", out var s) ? s.GetSingle() : (float?)null)];

    [Theory]
    [InlineData("dense")]
    [InlineData("bm25")]
    public async Task MinScoreKeepsTheHitsScoringAtLeastItAndHybridRefusesIt(string mode)
    {
        const string query = "Hvor kan jeg parkere sykkelen?";
        var (_, all) = await PostAsync(fixture.Client, Json(new { query, mode, top_k = 7 }), path: "v1/search");
        var (ids, scores) = Hits(all.GetProperty("data"));
        Assert.True(scores.Length >= 4);
        double cut = scores[2];
        string[] kept = [.. ids.Where((_, i) => scores[i] >= cut)];

        var (status, body) = await PostAsync(fixture.Client, Json(new { query, mode, top_k = 7, min_score = cut }), path: "v1/search");
        Assert.Equal(200, status);
        Assert.Equal(kept, Hits(body.GetProperty("data")).Ids);
        var cli = SkaldProcess.Run("search", "--index", fixture.Folder, "--query", query, "--mode", mode, "--top-k", "7", "--format", "json",
            "--min-score", cut.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Equal(kept, Hits(JsonDocument.Parse(cli.Stdout).RootElement.GetProperty("results")).Ids);

        var (refused, error) = await PostAsync(fixture.Client, Json(new { query, mode = "hybrid", min_score = cut }), path: "v1/search");
        Assert.Equal(400, refused);
        Assert.Equal("min_score", Error(error).GetProperty("param").GetString());
        var hybrid = SkaldProcess.Run("search", "--index", fixture.Folder, "--query", query, "--min-score", "0.5");
        Assert.NotEqual(0, hybrid.ExitCode);
        Assert.Contains("--min-score is a least dense or BM25 score", hybrid.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", hybrid.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hvor kan jeg parkere sykkelen?", "dense", null, null)]
    [InlineData("glutenfrit brød i kantinen", "bm25", null, null)]
    [InlineData("Hvor kan jeg parkere sykkelen?", "hybrid", null, null)]
    [InlineData("hur ansöker jag om semester", "hybrid", "rrf", null)]
    [InlineData("Hvor kan jeg parkere sykkelen?", "dense", null, 1)]
    public async Task HitsEqualSkaldSearch(string query, string mode, string? fusion, int? probes)
    {
        var args = new List<string> { "search", "--index", fixture.Folder, "--query", query, "--mode", mode, "--top-k", "7", "--format", "json" };
        if (fusion is not null) args.AddRange(["--fusion", fusion]);
        if (probes is not null) args.AddRange(["--probes", "1"]);
        var r = SkaldProcess.Run([.. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var cli = JsonDocument.Parse(r.Stdout).RootElement;
        var (ids, scores) = Hits(cli.GetProperty("results"));
        Assert.NotEmpty(ids);

        var (status, body) = await PostAsync(fixture.Client, Json(new { query, mode, top_k = 7, fusion, model = "bert-cased-mean", probes }), path: "v1/search");
        Assert.Equal(200, status);
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal("bert-cased-mean", body.GetProperty("model").GetString());
        Assert.Equal(mode, body.GetProperty("mode").GetString());
        Assert.Equal(mode == "hybrid", body.TryGetProperty("fusion", out _));
        var data = body.GetProperty("data");
        var (gotIds, gotScores) = Hits(data);
        Assert.Equal(ids, gotIds);
        for (int i = 0; i < ids.Length; i++) Assert.True(Math.Abs(scores[i] - gotScores[i]) <= 1e-4f, $"hit {i}: {scores[i]} vs {gotScores[i]}");
        // a hybrid hit's fused score in [0, 1] as skald search --format json shows it (Fusion.Scaled), the fusion named alike
        var (scaled, gotScaled) = (Scaled(cli.GetProperty("results")), Scaled(data));
        Assert.All(scaled, s => Assert.Equal(mode == "hybrid", s is not null));
        for (int i = 0; i < ids.Length; i++) Assert.True(scaled[i] is null ? gotScaled[i] is null : gotScaled[i] is { } g && Math.Abs(g - scaled[i]!.Value) <= 1e-4f, $"hit {i}: scaled {scaled[i]} vs {gotScaled[i]}");
        if (mode == "hybrid") Assert.Equal(cli.GetProperty("fusion").GetString(), body.GetProperty("fusion").GetString());
        int rank = 0;
        foreach (var h in data.EnumerateArray())
        {
            Assert.Equal("search_result", h.GetProperty("object").GetString());
            Assert.Equal(rank++, h.GetProperty("index").GetInt32());
            var record = fixture.Index.Records[h.GetProperty("row").GetInt32()];
            Assert.Equal(record.Id, h.GetProperty("id").GetString());
            Assert.Equal(record.Text, h.GetProperty("text").GetString());
            Assert.Equal(record.Source, h.GetProperty("source").GetString());
        }
        int tokens = body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.Equal(mode == "bm25", tokens == 0);
    }

    [Theory]
    [InlineData("dense")]
    [InlineData("bm25")]
    [InlineData("hybrid")]
    public async Task ASourceFilterGivesWhatSkaldSearchGives(string mode)
    {
        const string query = "Hvor kan jeg parkere sykkelen?";
        var r = SkaldProcess.Run("search", "--index", fixture.Folder, "--query", query, "--mode", mode, "--top-k", "5", "--format", "json",
            "--source", "*/kaffe.md", "--source", "*/nettverk.html");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var (ids, _) = Hits(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results"));
        var (status, body) = await PostAsync(fixture.Client, Json(new { query, mode, top_k = 5, source = new[] { "*/kaffe.md", "*/nettverk.html" } }), path: "v1/search");
        Assert.Equal(200, status);
        var data = body.GetProperty("data");
        Assert.Equal(ids, Hits(data).Ids);
        Assert.NotEmpty(ids);
        static bool Passes(JsonElement h) => h.GetProperty("source").GetString() is "kaffe.md" or "nettverk.html"; // relative to the documents folder
        Assert.All(data.EnumerateArray(), h => Assert.True(Passes(h)));
        // a field condition: these documents have no fields, so nothing passes
        var (none, nothing) = await PostAsync(fixture.Client, Json(new { query, mode, top_k = 5, where = new { tenant = new[] { "oslo", "bergen" } } }), path: "v1/search");
        Assert.Equal(200, none);
        Assert.Equal(0, nothing.GetProperty("data").GetArrayLength());
        (none, _) = await PostAsync(fixture.Client, Json(new { query, mode, where = new { year = 2024, open = true } }), path: "v1/search");
        Assert.Equal(200, none); // numbers and booleans match the text a .jsonl field keeps of them
        var (tooLong, error) = await PostAsync(fixture.Client, Json(new { query, source = new string('x', 2000) }), path: "v1/search");
        Assert.Equal(400, tooLong);
        Assert.Equal("source", Error(error).GetProperty("param").GetString());
        // unfiltered, other documents answer among the best, so the filter did leave something out
        var (_, all) = await PostAsync(fixture.Client, Json(new { query, mode, top_k = 5 }), path: "v1/search");
        Assert.Contains(all.GetProperty("data").EnumerateArray(), h => !Passes(h));
    }

    [Theory]
    [InlineData("{\"query\": ", null)]
    [InlineData("[\"a query\"]", null)]
    [InlineData("{\"top_k\": 3}", "query")]
    [InlineData("{\"query\": \"   \"}", "query")]
    [InlineData("{\"query\": 42}", "query")]
    [InlineData("{\"query\": \"sykkel\", \"top_k\": 0}", "top_k")]
    [InlineData("{\"query\": \"sykkel\", \"top_k\": 100000}", "top_k")]
    [InlineData("{\"query\": \"sykkel\", \"top_k\": \"ten\"}", "top_k")]
    [InlineData("{\"query\": \"sykkel\", \"k\": 2.5}", "k")]
    [InlineData("{\"query\": \"sykkel\", \"mode\": \"fuzzy\"}", "mode")]
    [InlineData("{\"query\": \"sykkel\", \"fusion\": \"max\"}", "fusion")]
    [InlineData("{\"query\": \"sykkel\", \"alpha\": 2}", "alpha")]
    [InlineData("{\"query\": \"sykkel\", \"mode\": \"bm25\", \"alpha\": 0.5}", "alpha")] // a search that fuses nothing: as skald search refuses them
    [InlineData("{\"query\": \"sykkel\", \"mode\": \"dense\", \"fusion\": \"rrf\"}", "fusion")]
    [InlineData("{\"query\": \"sykkel\", \"mode\": \"bm25\", \"fusion\": \"convex\", \"alpha\": 0.5}", "fusion")]
    [InlineData("{\"query\": \"sykkel\", \"fusion\": \"rrf\", \"alpha\": 0.5}", "alpha")] // a fusion without a weight
    [InlineData("{\"query\": \"sykkel\", \"fusion\": \"rerank\", \"alpha\": 0.5}", "alpha")]
    [InlineData("{\"query\": \"sykkel\", \"mode\": \"dense\", \"rrf_k\": 10}", "rrf_k")] // the other fusion settings: none on a search that fuses nothing
    [InlineData("{\"query\": \"sykkel\", \"mode\": \"bm25\", \"normalization\": \"minmax\"}", "normalization")]
    [InlineData("{\"query\": \"sykkel\", \"mode\": \"dense\", \"candidates\": 20}", "candidates")]
    [InlineData("{\"query\": \"sykkel\", \"fusion\": \"rrf\", \"normalization\": \"minmax\"}", "normalization")] // nor of another fusion
    [InlineData("{\"query\": \"sykkel\", \"rrf_k\": 10}", "rrf_k")]
    [InlineData("{\"query\": \"sykkel\", \"fusion\": \"rerank\", \"rrf_k\": 10}", "rrf_k")]
    [InlineData("{\"query\": \"sykkel\", \"normalization\": 1}", "normalization")]
    [InlineData("{\"query\": \"sykkel\", \"candidates\": 0}", "candidates")]
    [InlineData("{\"query\": \"sykkel\", \"model\": [1]}", "model")]
    [InlineData("{\"query\": \"sykkel\", \"rescore_multiplier\": -1}", "rescore_multiplier")]
    [InlineData("{\"query\": \"sykkel\", \"rerank\": true}", "rerank")]
    [InlineData("{\"query\": \"sykkel\", \"probes\": 0}", "probes")]
    [InlineData("{\"query\": \"sykkel\", \"ef\": 0}", "ef")]
    [InlineData("{\"query\": \"sykkel\", \"ef\": 100001}", "ef")]
    [InlineData("{\"query\": \"sykkel\", \"top_k\": 1000, \"rescore_multiplier\": 1000}", "rescore_multiplier")]
    [InlineData("{\"query\": \"sykkel\", \"source\": 3}", "source")]
    [InlineData("{\"query\": \"sykkel\", \"source\": []}", "source")]
    [InlineData("{\"query\": \"sykkel\", \"source\": [\"*.md\", \"\"]}", "source")]
    [InlineData("{\"query\": \"sykkel\", \"source\": [\"*.md\", 1]}", "source")]
    [InlineData("{\"query\": \"sykkel\", \"where\": 3}", "where")]
    [InlineData("{\"query\": \"sykkel\", \"where\": {}}", "where")]
    [InlineData("{\"query\": \"sykkel\", \"where\": {\"tenant\": []}}", "where")]
    [InlineData("{\"query\": \"sykkel\", \"where\": {\"tenant\": {\"a\": 1}}}", "where")]
    [InlineData("{\"query\": \"sykkel\", \"where\": {\"tenant\": [null]}}", "where")]
    public async Task BadInputIsA400AndTheServerKeepsServing(string json, string? param)
    {
        var (status, body) = await PostAsync(fixture.Client, json, path: "v1/search");
        Assert.Equal(400, status);
        var error = Error(body);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        var (ok, _) = await PostAsync(fixture.Client, Json(new { query = "sykkel", top_k = 1 }), path: "v1/search");
        Assert.Equal(200, ok);
    }

    [Fact]
    public async Task AQueryLongerThanTheModelIsTruncatedAsSkaldSearchDoes()
    {
        string longQuery = "Hvor kan jeg parkere sykkelen? " + string.Join(' ', Enumerable.Repeat("sykkelparkering", 400));
        var r = SkaldProcess.Run("search", "--index", fixture.Folder, "--query", longQuery, "--mode", "dense", "--top-k", "5", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var (ids, scores) = Hits(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results"));
        var (status, body) = await PostAsync(fixture.Client, Json(new { query = longQuery, mode = "dense", top_k = 5 }), path: "v1/search");
        Assert.Equal(200, status);
        var (gotIds, gotScores) = Hits(body.GetProperty("data"));
        Assert.Equal(ids, gotIds);
        for (int i = 0; i < ids.Length; i++) Assert.True(Math.Abs(scores[i] - gotScores[i]) <= 1e-4f, $"hit {i}: {scores[i]} vs {gotScores[i]}");
        (status, _) = await PostAsync(fixture.Client, Json(new { query = longQuery, mode = "bm25" }), path: "v1/search");
        Assert.Equal(200, status);
        (status, body) = await PostAsync(fixture.Client, Json(new { input = longQuery }), path: "v1/embeddings"); // embeddings still refuse it
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", Error(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task AnIndexOfAnotherModelDoesNotStart()
    {
        string other = TestPaths.FixtureModel("bert-uncased-max");
        await Assert.ThrowsAsync<ArgumentException>(() => EmbeddingServer.StartAsync(SentenceEncoder.Load(other), fixture.Index, "127.0.0.1", 0));
        var r = SkaldProcess.Run("serve", "--model", other, "--index", fixture.Folder, "--port", "0");
        SkaldProcess.AssertUserError(r, 1, "was built with the model", "bert-cased-mean");
        Assert.Single(r.Stderr.Trim().Split('\n'));
        r = SkaldProcess.Run("serve", "--model", ModelDir, "--index", Path.Combine(TestPaths.NewTempDir(), "none"), "--port", "0");
        SkaldProcess.AssertUserError(r, 1, "not a Skald index");
    }

    [Fact]
    public async Task ACopyOfTheModelServesTheIndexAndAChangedModelDoesNot()
    {
        // The index and a copy of its model in another place (a container image): the same files, the same model.
        string copy = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string request = Json(new { query = "Hvor kan jeg parkere sykkelen?", mode = "dense", top_k = 5 });
        var (_, expected) = await PostAsync(fixture.Client, request, path: "v1/search");
        await using (var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(copy), fixture.Index, "127.0.0.1", 0))
        {
            using var client = new HttpClient { BaseAddress = server.Address };
            var (status, body) = await PostAsync(client, request, path: "v1/search");
            Assert.Equal(200, status);
            Assert.Equal(Hits(expected.GetProperty("data")).Ids, Hits(body.GetProperty("data")).Ids);
        }
        File.AppendAllText(Path.Combine(copy, "config_sentence_transformers.json"), " "); // one file changed: not the model the index was built with
        var e = await Assert.ThrowsAsync<ArgumentException>(() => EmbeddingServer.StartAsync(SentenceEncoder.Load(copy), fixture.Index, "127.0.0.1", 0));
        Assert.Contains("files differ", e.Message);

        // The index's own model folder, changed in place after the build (trained again, say), is refused too.
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", copy, "--documents", SampleDocuments.Folder, "--output", folder, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var index = SearchIndex.Open(folder);
        await (await EmbeddingServer.StartAsync(SentenceEncoder.Load(copy), index, "127.0.0.1", 0)).DisposeAsync();
        File.AppendAllText(Path.Combine(copy, "config_sentence_transformers.json"), " ");
        e = await Assert.ThrowsAsync<ArgumentException>(() => EmbeddingServer.StartAsync(SentenceEncoder.Load(copy), index, "127.0.0.1", 0));
        Assert.Contains("has changed since the index", e.Message);
    }

    [Fact]
    public async Task WithoutAnIndexThereIsNoSearchEndpoint()
    {
        await using var server = await StartAsync(new EmbeddingServiceOptions());
        using var client = new HttpClient { BaseAddress = server.Address };
        var (status, body) = await PostAsync(client, Json(new { query = "sykkel" }), path: "v1/search");
        Assert.Equal(404, status);
        Error(body);
    }
}
