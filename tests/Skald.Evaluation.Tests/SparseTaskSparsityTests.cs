using System.Text.Json;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;

namespace Skald.Evaluation.Tests;

/// <summary>
/// A sparse encoder's bitext and mse tasks report sentence-transformers' SparseTranslationEvaluator's and
/// SparseMSEEvaluator's <c>active_dims</c> and <c>sparsity_ratio</c> (the sources and targets; the student's targets),
/// against fixtures/sparse-evaluators/make_sparse_evaluators_reference.py's numpy restatement of upstream, through
/// <see cref="TaskEvaluator.Create"/>; its NanoBEIR run is SparseNanoBEIREvaluator's: every dataset's query and corpus
/// sparsity and average FLOPs, and the collection's (active dims and ratios weighed by the datasets' sizes, FLOPs from
/// the pooled counts), <c>max_active_dims</c> naming them as upstream does. A dense model reports none of them.
/// </summary>
public sealed class SparseTaskSparsityTests
{
    private static readonly JsonElement Root =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "sparse-evaluators", "sparse_evaluators_reference.json"))).RootElement;

    private static Dictionary<string, float[]> Table() => Root.GetProperty("embeddings").EnumerateObject()
        .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray());

    private static string Bitext()
    {
        var t = Root.GetProperty("translation");
        var sources = t.GetProperty("sources").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var targets = t.GetProperty("targets").EnumerateArray().Select(e => e.GetString()!).ToArray();
        string path = Path.Combine(TestPaths.NewTempDir(), "bitext.jsonl");
        File.WriteAllLines(path, sources.Select((s, i) => $"{{\"source\":\"{s} källa\",\"target\":\"{targets[i]} mål\"}}"));
        return path;
    }

    private static void AssertExpected(string task, IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var p in Root.GetProperty("expected").GetProperty(task).EnumerateObject())
        {
            Assert.True(metrics.TryGetValue(p.Name, out double got), $"{task}: no {p.Name}");
            Assert.True(Math.Abs(p.Value.GetDouble() - got) <= 1e-12, $"{task} {p.Name}: {got} != {p.Value.GetDouble()}");
        }
    }

    [Fact]
    public void BitextAndMseTasksReportTheSparsityOfWhatUpstreamEmbedsAndADenseModelNone()
    {
        string path = Bitext();
        var model = new FakeModel(Table(), SimilarityFunction.Dot, sparse: true);
        AssertExpected("translation", TaskEvaluator.Create(TaskDefinition.FromPath(path)).Evaluate(model).Metrics);
        var teacher = new FakeModel(Table().ToDictionary(kv => kv.Key, kv => kv.Value.Select(x => x + 1f).ToArray()), sparse: true); // dense rows: not counted
        var mse = TaskEvaluator.Create(TaskDefinition.FromPath(path, TaskKind.Mse), teacher: teacher).Evaluate(model).Metrics;
        AssertExpected("mse", mse);
        Assert.Equal(4, mse.Count);
        var dense = new FakeModel(Table()); // the same vectors from a dense model: neither task reports sparsity
        Assert.DoesNotContain(TaskEvaluator.Create(TaskDefinition.FromPath(path)).Evaluate(dense).Metrics.Keys, SparsityMetrics.IsSparsityKey);
        Assert.DoesNotContain(TaskEvaluator.Create(TaskDefinition.FromPath(path, TaskKind.Mse), teacher: dense).Evaluate(dense).Metrics.Keys, SparsityMetrics.IsSparsityKey);
    }

    private static NanoBeirData[] Datasets() => [.. Root.GetProperty("nanobeir").EnumerateObject().Select(d =>
    {
        var queries = d.Value.GetProperty("queries").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var corpus = d.Value.GetProperty("corpus").EnumerateArray().Select(e => e.GetString()!).ToArray();
        return new NanoBeirData
        {
            Name = d.Name,
            Corpus = [.. corpus.Select(t => new CorpusDocument(t, "", t))],
            Queries = [.. queries.Select(t => (t, t))],
            Relevant = [.. queries.Select(_ => (IReadOnlySet<string>)new HashSet<string> { corpus[0] })],
        };
    })];

    [Theory]
    [InlineData(null)]
    [InlineData(5)]
    public void EachDatasetAndTheCollectionReportUpstreamsSparsity(int? maxActiveDims)
    {
        var result = new NanoBeirEvaluator(Datasets(), maxActiveDims).Evaluate(new FakeModel(Table(), SimilarityFunction.Dot, sparse: true));
        string suffix = maxActiveDims is { } n ? $"_{n}" : "";
        var expected = Root.GetProperty("expected").GetProperty("nanobeir").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        foreach (var (key, value) in expected)
        {
            string name = key.Replace("NanoA_", $"NanoA{suffix}_", StringComparison.Ordinal).Replace("NanoB_", $"NanoB{suffix}_", StringComparison.Ordinal)
                .Replace("NanoBEIR_mean_", $"NanoBEIR_mean{suffix}_", StringComparison.Ordinal);
            Assert.True(result.Metrics.TryGetValue(name, out double got), $"no {name}");
            Assert.True(Math.Abs(value - got) <= 1e-12, $"{name}: {got} != {value}");
        }
        Assert.DoesNotContain(result.Metrics.Keys, k => k.Contains("_dot_", StringComparison.Ordinal) && k.Contains("active", StringComparison.Ordinal));
        var dense = new NanoBeirEvaluator(Datasets(), maxActiveDims).Evaluate(new FakeModel(Table(), SimilarityFunction.Dot));
        Assert.DoesNotContain(dense.Metrics.Keys, k => k.Contains("active_dims", StringComparison.Ordinal) || k.EndsWith("avg_flops", StringComparison.Ordinal));
    }
}
