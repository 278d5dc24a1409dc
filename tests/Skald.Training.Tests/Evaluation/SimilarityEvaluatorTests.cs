using System.Text.Json;
using Skald.Models.Modules;
using Skald.Training.Evaluation;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// The evaluators during training score with the model's own similarity and name it as sentence-transformers'
/// evaluators do, against fixtures/training/similarity_evaluators_reference.json (make_nanobeir_reference.py's
/// restatement of upstream's InformationRetrievalEvaluator, BinaryClassificationEvaluator,
/// EmbeddingSimilarityEvaluator and TripletEvaluator): a cosine model keeps the keys it always had, a dot, Euclidean or
/// Manhattan model's keys carry the function's name and its primary metrics are the function's, as upstream's.
/// </summary>
public sealed class SimilarityEvaluatorTests
{
    private static readonly JsonElement Root =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "fixtures", "training", "similarity_evaluators_reference.json"))).RootElement;

    private static VectorTableModel Model(SimilarityFunction similarity) => new(Root.GetProperty("vectors").EnumerateObject()
        .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray()), similarity);

    private static double Expected(string fn, string evaluator, string metric) =>
        Root.GetProperty("expected").GetProperty(fn).GetProperty(evaluator).GetProperty(metric).GetDouble();

    private static string[] Column(string property, int i) => [.. Root.GetProperty(property).EnumerateArray().Select(r => r[i].GetString()!)];

    /// <summary>The reference's retrieval set as a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).</summary>
    private static string BeirFolder()
    {
        string dir = TestPaths.NewTempDir();
        var set = Root.GetProperty("retrieval");
        File.WriteAllLines(Path.Combine(dir, "corpus.jsonl"), set.GetProperty("corpus").EnumerateArray().Select(r => JsonSerializer.Serialize(r)));
        File.WriteAllLines(Path.Combine(dir, "queries.jsonl"), set.GetProperty("queries").EnumerateArray().Select(r => JsonSerializer.Serialize(r)));
        Directory.CreateDirectory(Path.Combine(dir, "qrels"));
        File.WriteAllLines(Path.Combine(dir, "qrels", "test.tsv"), ["query-id\tcorpus-id\tscore",
            .. set.GetProperty("qrels").EnumerateArray().Select(r => $"{r.GetProperty("query-id").GetString()}\t{r.GetProperty("corpus-id").GetString()}\t{r.GetProperty("score").GetInt32()}")]);
        return dir;
    }

    private static void Near(double expected, IReadOnlyDictionary<string, double> metrics, string key, double tolerance = 1e-5)
    {
        Assert.True(metrics.ContainsKey(key), $"no {key} among {string.Join(", ", metrics.Keys)}");
        Assert.True(Math.Abs(expected - metrics[key]) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{key}: {metrics[key]} != {expected}");
    }

    [Theory]
    [InlineData(SimilarityFunction.Cosine)]
    [InlineData(SimilarityFunction.Dot)]
    [InlineData(SimilarityFunction.Euclidean)]
    [InlineData(SimilarityFunction.Manhattan)]
    public void EachEvaluatorScoresAndNamesTheModelsSimilarityAsUpstream(SimilarityFunction similarity)
    {
        string fn = Similarities.Name(similarity);
        bool cosine = similarity == SimilarityFunction.Cosine;
        var model = Model(similarity);

        var retrieval = RetrievalEvaluator.FromBeir(BeirFolder(), null, similarity: similarity);
        var r = retrieval.Evaluate(model, 8);
        string ir = cosine ? "eval_retrieval_" : $"eval_retrieval_{fn}_";
        // upstream's fifteen metrics in its order (a grade-2 judgement relevant with gain 1, q6 with only a grade-0 one left out)
        var upstream = Root.GetProperty("expected").GetProperty(fn).GetProperty("retrieval").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(15, upstream.Length);
        Assert.Equal(upstream.Select(m => ir + m), retrieval.MetricNames);
        Assert.Equal(retrieval.MetricNames.Append(ir + "hit_rate@10").Order(StringComparer.Ordinal), r.Keys.Order(StringComparer.Ordinal));
        foreach (var metric in upstream) Near(Expected(fn, "retrieval", metric), r, ir + metric, 1e-9);
        Near(Expected(fn, "retrieval", "accuracy@10"), r, ir + "hit_rate@10", 1e-9); // the key before upstream's set, kept
        Assert.True(((IEvaluator)retrieval).Provides(ir + "hit_rate@10"));
        Assert.Equal(ir + "ndcg@10", retrieval.PrimaryMetric);

        var labels = Root.GetProperty("pair_labels").EnumerateArray().Select(x => (double)x.GetInt32()).ToArray();
        var binary = new LabelledPairsEvaluator(Column("pairs", 0), Column("pairs", 1), labels, binary: true, similarity);
        var b = binary.Evaluate(model, 8);
        Assert.Equal(binary.MetricNames.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        foreach (var metric in new[] { "ap", "accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall", "mcc" })
        {
            Near(Expected(fn, "pair_classification", metric), b, cosine ? $"eval_pair_classification_{metric}" : $"eval_pair_classification_{fn}_{metric}");
            Near(Expected("cosine", "pair_classification", metric), b, $"eval_pair_classification_cosine_{metric}");
        }
        Assert.Equal(cosine ? "eval_pair_classification_cosine_ap" : $"eval_pair_classification_{fn}_ap", binary.PrimaryMetric);

        var gold = Root.GetProperty("gold").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var sts = new LabelledPairsEvaluator(Column("pairs", 0), Column("pairs", 1), gold, binary: false, similarity);
        var s = sts.Evaluate(model, 8);
        Assert.Equal(sts.MetricNames.Order(StringComparer.Ordinal), s.Keys.Order(StringComparer.Ordinal));
        Near(Expected(fn, "sts", "spearman"), s, cosine ? "eval_sts_spearman" : $"eval_sts_spearman_{fn}");
        Near(Expected(fn, "sts", "pearson"), s, cosine ? "eval_sts_pearson" : $"eval_sts_pearson_{fn}");
        Near(Expected("cosine", "sts", "spearman"), s, "eval_sts_cosine_spearman");
        Assert.Equal(cosine ? "eval_sts_cosine_spearman" : $"eval_sts_spearman_{fn}", sts.PrimaryMetric);

        var triplet = new TripletEvaluator([.. Root.GetProperty("triplets").EnumerateArray().Select(t => t.EnumerateArray().Select(x => x.GetString()!).ToArray())],
            similarity: similarity);
        var t = triplet.Evaluate(model, 8);
        string accuracy = cosine ? "eval_triplet_accuracy" : $"eval_triplet_{fn}_accuracy";
        Assert.Equal([accuracy], t.Keys);
        Near(Expected(fn, "triplet", "accuracy"), t, accuracy, 1e-12);
        Assert.Equal(accuracy, ((IEvaluator)triplet).PrimaryMetric);
    }

    /// <summary>
    /// Scores whose only positive is the lowest: no cut of the F1 sweep holds a positive, so upstream's F1 threshold
    /// stays 0 and its <c>mcc</c> is Matthews' correlation of score ≥ 0 with the labels (the reference's <c>pair_edge</c>).
    /// </summary>
    [Fact]
    public void WithoutAnF1CutTheThresholdIsZeroAndMccIsTakenThereAsUpstream()
    {
        var edge = Root.GetProperty("pair_edge");
        double[] scores = [.. edge.GetProperty("scores").EnumerateArray().Select(x => x.GetDouble())];
        int[] labels = [.. edge.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32())];
        var expected = edge.GetProperty("expected");
        var f1 = Skald.Retrieval.Metrics.BinaryMetrics.BestF1(scores, labels);
        Assert.Equal(expected.GetProperty("f1").GetDouble(), f1.Value);
        Assert.Equal(expected.GetProperty("f1_threshold").GetDouble(), f1.Threshold);
        Assert.Equal(expected.GetProperty("mcc").GetDouble(), Skald.Retrieval.Metrics.BinaryMetrics.MatthewsCorrelation(scores, labels, f1.Threshold), 12);
    }

    /// <summary>A BEIR folder whose judgements are all grade 0 has no query upstream would keep: one line before training.</summary>
    [Fact]
    public void AFolderWithoutARelevantJudgementIsOneLine()
    {
        string dir = BeirFolder();
        File.WriteAllLines(Path.Combine(dir, "qrels", "test.tsv"), ["query-id\tcorpus-id\tscore", "q0\td3\t0", "q1\td0\t0"]);
        var e = Assert.Throws<Skald.Training.Config.TrainingException>(() => RetrievalEvaluator.FromBeir(dir, null));
        Assert.Equal($"evaluation.retrieval: {dir}: no query has a relevant document (a judgement of grade 1 or more) to evaluate retrieval by", e.Message);
    }

    /// <summary>
    /// An <c>evaluation.tasks</c> entry's <c>margin</c> is TripletEvaluator's: a triplet counts when the positive's
    /// similarity exceeds the negative's by more than it, under the model's similarity and under cosine; on any other
    /// kind of task it is one line.
    /// </summary>
    [Theory]
    [InlineData(SimilarityFunction.Cosine)]
    [InlineData(SimilarityFunction.Dot)]
    [InlineData(SimilarityFunction.Euclidean)]
    public void ATripletTasksMarginIsUpstreams(SimilarityFunction similarity)
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "triplets.jsonl");
        File.WriteAllLines(file, Root.GetProperty("triplets").EnumerateArray().Select(t => JsonSerializer.Serialize(new
        {
            anchor = t[0].GetString(), positive = t[1].GetString(), negative = t[2].GetString(),
        })));
        double margin = Root.GetProperty("triplet_margin").GetDouble();
        var config = Skald.Training.Config.ConfigLoader.Parse(Skald.Training.Tests.Config.MinimalConfig.Yaml.Replace("output:",
            $"evaluation:\n  tasks:\n    - {{path: {file}, margin: {margin.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}\noutput:", StringComparison.Ordinal), "c.yaml");
        var evaluator = Assert.IsType<TaskFileEvaluator>(Assert.Single(Skald.Training.Trainer.TrainingRun.CreateEvaluators(config, null)));
        var m = evaluator.Evaluate(Model(similarity), 8);
        Near(Expected(Similarities.Name(similarity), "triplet", "margin_accuracy"), m, "eval_triplets_accuracy", 1e-12);
        Near(Expected("cosine", "triplet", "margin_accuracy"), m, "eval_triplets_cosine_accuracy", 1e-12);

        string folder = BeirFolder();
        var e = Assert.Throws<Skald.Training.Config.TrainingException>(() => new TaskFileEvaluator(folder, entry: new Skald.Training.Config.EvaluationTaskEntry { Margin = margin }));
        Assert.Equal($"evaluation.tasks: {folder}: margin applies to triplets tasks; this one is retrieval", e.Message);
    }
}
