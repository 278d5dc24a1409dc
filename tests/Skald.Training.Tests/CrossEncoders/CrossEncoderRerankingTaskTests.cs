using System.Text.Json;
using Skald.Evaluation.Evaluators;
using Skald.Models.CrossEncoders;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// <c>evaluation.tasks</c> under a cross-encoder loss: reranking tasks scored by the cross-encoder being trained, as
/// sentence-transformers' CrossEncoderTrainer runs a CrossEncoderRerankingEvaluator per task — upstream's keys
/// (<c>eval_TASK_ndcg@10</c>, <c>mrr@10</c>, <c>map</c>, and <c>base_*</c> for a first stage's <c>documents</c>),
/// the <c>base_*</c> numbers fixtures/cross-encoder-reranking/make_reranking_reference.py's (they read no model), the
/// others what <see cref="CrossEncoderRerankingEvaluator"/> gives for the saved model; the best model picked by them;
/// any other kind of task, or a model of several labels, one line.
/// </summary>
public sealed class CrossEncoderRerankingTaskTests
{
    private static readonly string Bert = CorePaths.FixtureModel("bert-cased-mean");
    private static readonly string Fixture = Path.Combine(TestPaths.RepoRoot, "fixtures", "cross-encoder-reranking");

    private static TrainingConfig Config(string dir, string tasks, string extra = "") => ConfigLoader.Parse($$"""
        model: {path: {{Bert}}, dropout: 0.1}
        data: {train: {{CrossEncoderRunTests.Rows(dir, "train.jsonl", 24)}}}
        training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 4}
        loss: {type: bce}
        evaluation: {steps: 2, tasks: {{tasks}}{{extra}}}
        output: {dir: {{Path.Combine(dir, "out")}}, save_steps: 0, tensorboard: false}
        """, "ce.yaml");

    [Fact]
    public void ARerankingTaskIsScoredByTheCrossEncoderBeingTrained()
    {
        string dir = TestPaths.NewTempDir();
        string ranked = Path.Combine(Fixture, "ranked.jsonl"), paired = Path.Combine(Fixture, "paired.jsonl");
        var run = new SentenceTrainer(TrainingRun.Build(Config(dir, $"[{ranked}, {{path: {paired}, at_k: 3}}]",
            ", metric_for_best_model: eval_ranked_ndcg@10, load_best_model_at_end: false"))).Run();
        var m = run.FinalMetrics;
        Assert.Equal("eval_ranked_ndcg@10", run.BestMetricName);
        string[] rankedKeys = ["map", "mrr@10", "ndcg@10", "base_map", "base_mrr@10", "base_ndcg@10"];
        Assert.Equal([.. rankedKeys.Select(k => "eval_ranked_" + k).Order(StringComparer.Ordinal)],
            m.Keys.Where(k => k.StartsWith("eval_ranked_", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(["eval_paired_map", "eval_paired_mrr@3", "eval_paired_ndcg@3"],
            m.Keys.Where(k => k.StartsWith("eval_paired_", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(m["eval_paired_ndcg@3"], m["eval_sequential_score"]); // the last evaluator's primary metric

        // The first stage's order reads no model: the reference's numbers.
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixture, "reranking_reference.json"))).RootElement
            .GetProperty("expected").GetProperty("ranked_at10");
        foreach (string k in rankedKeys.Where(k => k.StartsWith("base_", StringComparison.Ordinal)))
            Assert.Equal(reference.GetProperty(k).GetDouble(), m["eval_ranked_" + k], 12);

        // The rest: the library evaluator over the saved cross-encoder (the weights of the last evaluation).
        var model = CrossEncoder.Load(run.ModelPath);
        var saved = new CrossEncoderRerankingEvaluator(CrossEncoderRerankingEvaluator.LoadSamples(ranked)).Evaluate(model);
        foreach (string k in new[] { "map", "mrr@10", "ndcg@10" }) Assert.Equal(saved[k], m["eval_ranked_" + k], 6);
        var savedPaired = new CrossEncoderRerankingEvaluator(CrossEncoderRerankingEvaluator.LoadSamples(paired), atK: 3).Evaluate(model);
        foreach (string k in new[] { "map", "mrr@3", "ndcg@3" }) Assert.Equal(savedPaired[k], m["eval_paired_" + k], 6);
    }

    [Fact]
    public void ListedOnlyLeavesAPositiveTheFirstStageMissedOut()
    {
        string dir = TestPaths.NewTempDir();
        string ranked = Path.Combine(Fixture, "ranked.jsonl");
        var setup = TrainingRun.Build(Config(dir, $"[{{path: {ranked}, always_rerank_positives: false}}]"));
        var evaluator = Assert.IsType<Skald.Training.CrossEncoders.CrossEncoderTaskEvaluator>(Assert.Single(setup.Evaluators));
        var m = evaluator.Evaluate(setup.Model, 8);
        // The museum query's positive is not among its documents: it scores 0 there, whatever the model.
        var samples = CrossEncoderRerankingEvaluator.LoadSamples(ranked);
        var scored = new CrossEncoderRerankingEvaluator([.. samples.Where(s => s.Documents!.Intersect(s.Positive).Any())], alwaysRerankPositives: false);
        var loss = (Skald.Training.CrossEncoders.CrossEncoderLoss)setup.Loss;
        var rest = scored.Evaluate(pairs => loss.Scores((Skald.Training.Modeling.TrainableEncoder)setup.Model, pairs, 8));
        Assert.Equal(rest["map"] * scored.Samples.Count / samples.Count, m["eval_ranked_map"], 12);
        setup.Dispose();
    }

    [Fact]
    public void AnotherKindOfTaskOrAModelOfSeveralLabelsIsOneLine()
    {
        string dir = TestPaths.NewTempDir();
        string triplets = Path.Combine(dir, "triplets.jsonl");
        File.WriteAllLines(triplets, ["{\"anchor\": \"Hvor ligger huset?\", \"positive\": \"Huset ligger ved sjøen.\", \"negative\": \"Katten sover.\"}"]);
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(dir, $"[{triplets}]")));
        Assert.Equal($"evaluation.tasks: {triplets}: a triplets task; a cross-encoder is evaluated during training on reranking tasks (query, positive and negative " +
            "or a first stage's documents), as sentence-transformers' CrossEncoderRerankingEvaluator, and on retrieval folders (BM25's first rerank_k " +
            "documents reranked, as its CrossEncoderNanoBEIREvaluator)", e.Message);

        var config = Config(dir, $"[{Path.Combine(Fixture, "ranked.jsonl")}]");
        e = Assert.Throws<TrainingException>(() => TrainingRun.Build(config with { Loss = config.Loss with { NumLabels = 3, Type = "cross_entropy" } }));
        Assert.Equal("evaluation.tasks: a reranking task is scored by a one-label cross-encoder; this one has 3 labels", e.Message);
    }

    /// <summary>
    /// A retrieval folder is one dataset of CrossEncoderNanoBEIREvaluator: BM25's first <c>rerank_k</c> documents per
    /// query reranked, <c>base_*</c> BM25's own order (fixtures/cross-encoder-nanobeir/make_nanobeir_reference.py's
    /// numbers: they read no model), the rest the library evaluator's with the same model; <c>rerank_k</c> on a task
    /// that lists its own candidates is one line.
    /// </summary>
    [Fact]
    public void ARetrievalFolderIsRerankedFromBm25sFirstDocuments()
    {
        string dir = TestPaths.NewTempDir(), nano = Path.Combine(TestPaths.RepoRoot, "fixtures", "cross-encoder-nanobeir"), alpha = Path.Combine(nano, "alpha");
        var setup = TrainingRun.Build(Config(dir, $"[{{path: {alpha}, rerank_k: 3, at_k: 2}}]"));
        var evaluator = Assert.IsType<Skald.Training.CrossEncoders.CrossEncoderTaskEvaluator>(Assert.Single(setup.Evaluators));
        var m = evaluator.Evaluate(setup.Model, 8);
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(nano, "nanobeir_reference.json"))).RootElement.GetProperty("expected").GetProperty("r3_at2");
        foreach (string k in new[] { "base_map", "base_mrr@2", "base_ndcg@2" }) Assert.Equal(reference.GetProperty("alpha_R3_" + k).GetDouble(), m["eval_alpha_" + k], 12);
        var loss = (Skald.Training.CrossEncoders.CrossEncoderLoss)setup.Loss;
        var library = new CrossEncoderNanoBeirEvaluator([NanoBeirData.FromTask(Skald.Evaluation.Data.TaskDefinition.FromPath(alpha))], rerankK: 3, atK: 2)
            .Evaluate(pairs => loss.Scores((Skald.Training.Modeling.TrainableEncoder)setup.Model, pairs, 8));
        foreach (string k in new[] { "map", "mrr@2", "ndcg@2" }) Assert.Equal(library["alpha_R3_" + k], m["eval_alpha_" + k], 12);
        Assert.Equal(6, m.Count);
        setup.Dispose();
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(dir, $"[{{path: {Path.Combine(Fixture, "ranked.jsonl")}, rerank_k: 5}}]")));
        Assert.Contains("rerank_k applies to a retrieval folder", e.Message);
    }

    /// <summary>An embedding task's keys on a cross-encoder's reranking task were left unread without a word; one line now.</summary>
    [Theory]
    [InlineData("margin: 0.2", "margin")]
    [InlineData("add_transitive_closure: true", "add_transitive_closure")]
    [InlineData("teacher: some/teacher", "teacher")]
    public void AnEmbeddingTasksKeyIsOneLine(string key, string name)
    {
        string dir = TestPaths.NewTempDir();
        var e = Assert.Throws<TrainingException>(() => Config(dir, $"[{{path: {Path.Combine(Fixture, "ranked.jsonl")}, {key}}}]"));
        Assert.StartsWith("ce.yaml:", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{name} is an embedding model's task's; under a cross-encoder loss", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
