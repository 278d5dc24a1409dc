using Skald.Models;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tests;
using Skald.Training.EmbeddingAdapters;

namespace Skald.Training.Tests.EmbeddingAdapters;

/// <summary>
/// Query adapters (llama_index's recipe): identity at the start, MNRL training that learns a hidden linear map, the
/// two-layer backward against finite differences, and the Router folder read back by <see cref="SentenceEncoder"/>.
/// </summary>
public sealed class QueryAdapterTests
{
    private static float[][] RandomRows(int n, int d, ulong seed)
    {
        var r = new SkaldRandom(seed);
        return [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)r.NextGaussian()).ToArray())];
    }

    /// <summary>Queries that are a fixed random linear map of their passages: the base ranks them badly, an adapter can undo the map.</summary>
    private static (float[][] Queries, float[][] Passages) Synthetic(int n, int d)
    {
        var passages = RandomRows(n, d, 1);
        var map = RandomRows(d, d, 2);
        var queries = passages.Select(p => Enumerable.Range(0, d).Select(i => map[i].Zip(p, (a, b) => a * b).Sum()).ToArray()).ToArray();
        return (queries, passages);
    }

    [Theory]
    [InlineData(QueryAdapterKind.Linear)]
    [InlineData(QueryAdapterKind.Mlp)]
    public void ANewAdapterIsTheIdentitySoMetricsDoNotChange(QueryAdapterKind kind)
    {
        var (queries, passages) = Synthetic(50, 8);
        var adapter = QueryAdapter.Create(kind, 8, 16);
        var adapted = adapter.Apply(queries);
        for (int i = 0; i < queries.Length; i++) Assert.Equal(queries[i], adapted[i]);
        var relevant = Enumerable.Range(0, 50).ToArray();
        Assert.Equal(AdapterScores.Compute(queries, passages, relevant), AdapterScores.Compute(adapted, passages, relevant));
    }

    [Theory]
    [InlineData(QueryAdapterKind.Linear)]
    [InlineData(QueryAdapterKind.Mlp)]
    public void TrainingLearnsTheHiddenMapAndRaisesMrrOnHeldOutPairs(QueryAdapterKind kind)
    {
        const int d = 12;
        var (queries, passages) = Synthetic(300, d);
        var (trainQ, trainP) = (queries[..240], passages[..240]);
        var (testQ, testP) = (queries[240..], passages[240..]);
        var relevant = Enumerable.Range(0, testQ.Length).ToArray();
        var adapter = QueryAdapter.Create(kind, d, 32);
        var before = AdapterScores.Compute(adapter.Apply(testQ), testP, relevant, 5);
        AdapterTrainer.Train(adapter, trainQ, trainP, new AdapterTrainingOptions { Epochs = 40, BatchSize = 16, LearningRate = 2e-2f });
        var after = AdapterScores.Compute(adapter.Apply(testQ), testP, relevant, 5);
        Assert.True(after.Mrr > before.Mrr + 0.25, $"MRR@5 {before.Mrr:F3} → {after.Mrr:F3}");
        Assert.True(after.HitRate > before.HitRate, $"hit@5 {before.HitRate:F3} → {after.HitRate:F3}");
    }

    [Theory]
    [InlineData(QueryAdapterKind.Linear)]
    [InlineData(QueryAdapterKind.Mlp)]
    public void BackwardMatchesFiniteDifferences(QueryAdapterKind kind)
    {
        const int b = 3, d = 5, h = 7;
        var adapter = QueryAdapter.Create(kind, d, h, seed: 9);
        var r = new SkaldRandom(11);
        foreach (var p in adapter.Parameters)
        {
            var span = p.Data.Span;
            for (int i = 0; i < span.Length; i++) span[i] += 0.3f * (float)r.NextGaussian(); // away from the identity, r ≠ 0
        }
        var x = RandomRows(1, b * d, 12)[0];
        var c = RandomRows(1, b * d, 13)[0]; // loss = Σ c ⊙ y, so dy = c
        double Loss()
        {
            var y = adapter.Forward(x, b);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (double)c[i] * y[i];
            return s;
        }
        adapter.ZeroGrad();
        adapter.Forward(x, b);
        adapter.Backward(c);
        const float eps = 1e-3f; // small enough that no ReLU input crosses 0 (seeded values)
        foreach (var p in adapter.Parameters)
        {
            var grad = p.Grad.ToArray();
            for (int i = 0; i < p.Length; i++)
            {
                float keep = p.Data.Span[i];
                p.Data.Span[i] = keep + eps;
                double up = Loss();
                p.Data.Span[i] = keep - eps;
                double down = Loss();
                p.Data.Span[i] = keep;
                double numeric = (up - down) / (2 * eps);
                Assert.True(Math.Abs(numeric - grad[i]) <= 5e-3 + 5e-3 * Math.Abs(numeric), $"{p.Name}[{i}]: analytic {grad[i]}, numeric {numeric}");
            }
        }
    }

    [Theory]
    [InlineData(QueryAdapterKind.Linear)]
    [InlineData(QueryAdapterKind.Mlp)]
    public void TheRouterFolderLoadsBackWithQueriesThroughTheAdapterAndDocumentsAsTheBase(QueryAdapterKind kind)
    {
        var baseModel = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var adapter = QueryAdapter.Create(kind, baseModel.Dimension, 16, seed: 3);
        var r = new SkaldRandom(5);
        foreach (var p in adapter.Parameters)
        {
            var span = p.Data.Span;
            for (int i = 0; i < span.Length; i++) span[i] += 0.2f * (float)r.NextGaussian();
        }
        string output = Path.Combine(TestPaths.NewTempDir(), "adapted");
        RouterFolderWriter.Save(baseModel, adapter, output);

        var loaded = SentenceEncoder.Load(output);
        Assert.Equal("document", loaded.Folder.DefaultRoute);
        Assert.Equal(kind == QueryAdapterKind.Linear ? 1 : 2, loaded.QueryDense.Count);
        string[] texts = ["Når går toget til Bergen?", "Legekontoret ligger i andre etasje."];
        var baseVectors = baseModel.Encode(texts);
        var expectedQueries = adapter.Apply(baseVectors);
        var queries = loaded.Encode(texts, new EncodeOptions { Route = "query" });
        var documents = loaded.Encode(texts, new EncodeOptions { Route = "document" });
        var byDefault = loaded.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            for (int j = 0; j < baseModel.Dimension; j++)
            {
                Assert.Equal(expectedQueries[i][j], queries[i][j], 5e-5f);
                Assert.Equal(baseVectors[i][j], documents[i][j], 1e-6f);
            }
            Assert.Equal(documents[i], byDefault[i]);
            Assert.NotEqual(documents[i], queries[i]);
        }

        // The layout sentence-transformers 5's Router.save writes.
        string router = File.ReadAllText(Path.Combine(output, RouterConfig.FileName));
        Assert.Contains("\"document_0_Transformer\"", router);
        Assert.Contains("\"query_3_Dense\"", router);
        Assert.Contains("\"default_route\": \"document\"", router);
        Assert.Contains("sentence_transformers.models.Router", File.ReadAllText(Path.Combine(output, "modules.json")));
        Assert.True(File.Exists(Path.Combine(output, "document_0_Transformer", "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(output, "document_0_Transformer", "modules.json")));
    }

    [Fact]
    public void ARouterWhoseQueryRouteIsNotTheDocumentRoutePlusDenseIsOneClearLine()
    {
        var baseModel = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        string output = Path.Combine(TestPaths.NewTempDir(), "adapted");
        RouterFolderWriter.Save(baseModel, QueryAdapter.Create(QueryAdapterKind.Linear, baseModel.Dimension), output);
        string file = Path.Combine(output, RouterConfig.FileName);
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"query\": [\n      \"document_0_Transformer\",", "\"query\": [", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(output));
        Assert.Contains("router_config.json", e.Message);
        Assert.Contains("followed by Dense modules", e.Message);
    }
}
