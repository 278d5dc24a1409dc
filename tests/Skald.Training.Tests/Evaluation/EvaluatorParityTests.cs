using Skald.Evaluation.Data;
using Skald.Evaluation.Models;
using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Evaluation;
using Skald.Training.Modeling;
using SkaldEvaluateRetrieval = Skald.Evaluation.Evaluators.RetrievalEvaluator;
using SkaldEvaluateTriplets = Skald.Evaluation.Evaluators.TripletEvaluator;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// Evaluation during training and <c>skald evaluate</c> run one evaluation core (Skald.Retrieval): same reader, same
/// ranking and tie rule, same metrics — so for the same model and task they print the same numbers.
/// </summary>
public sealed class EvaluatorParityTests
{
    private const int BatchSize = 16;

    private static string SampleRetrieval => Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval");

    private static string SampleTriplets => Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "triplets.jsonl");

    /// <summary><c>skald evaluate</c>'s model of a folder's encoder.</summary>
    internal static EvaluationEmbeddingModel SkaldEvaluateModel(SentenceEncoder encoder, string folder) =>
        new(encoder, folder, new EvaluationEmbeddingOptions { BatchSize = BatchSize });

    /// <summary>Writes a four-pair STS task, <c>sts-mini.tsv</c>, into <paramref name="dir"/>; its path.</summary>
    internal static string StsMini(string dir)
    {
        string sts = Path.Combine(dir, "sts-mini.tsv");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\nBussen går klokka sju.\tBussen kjører sju.\t4.5\nKatten sover.\tFerja går.\t0.5\n" +
            "Huset ligger ved sjøen.\tHuset står ved vannet.\t4\nJeg liker kaffe.\tDet regner.\t1\n");
        return sts;
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("xlmr-cls-f16")]
    public void RetrievalDuringTrainingEqualsSkaldEvaluateOnTheBundledTask(string fixture)
    {
        string folder = TestPaths.FixtureModel(fixture);
        var encoder = SentenceEncoder.Load(folder);
        var during = RetrievalEvaluator.FromBeir(SampleRetrieval, maxQueries: null).Evaluate(new EncoderBackedModel(encoder), BatchSize);
        var printed = new SkaldEvaluateRetrieval(TaskDefinition.FromPath(SampleRetrieval)).Evaluate(SkaldEvaluateModel(encoder, folder));

        Assert.Equal(printed.MainScore, during["eval_retrieval_ndcg@10"]);
        Assert.Equal(printed.Metrics["ndcg_at_10"], during["eval_retrieval_ndcg@10"]);
        Assert.Equal(printed.Metrics["mrr_at_10"], during["eval_retrieval_mrr@10"]);
        Assert.Equal(printed.Metrics["hit_rate_at_10"], during["eval_retrieval_hit_rate@10"]);
        Assert.Equal("528", printed.Metadata["queries"]);
        Assert.InRange(printed.MainScore, 0.001, 0.999); // a real, non-degenerate number
    }

    [Fact]
    public void TheTrainableEncoderItselfGivesTheSkaldEvaluateNumbers()
    {
        string folder = TestPaths.FixtureModel("bert-cased-mean");
        var during = RetrievalEvaluator.FromBeir(SampleRetrieval, maxQueries: 100).Evaluate(TrainableEncoder.Load(folder), BatchSize);
        var task = TaskDefinition.FromPath(SampleRetrieval, limit: 100);
        var printed = new SkaldEvaluateRetrieval(task).Evaluate(SkaldEvaluateModel(SentenceEncoder.Load(folder), folder));
        // The training forward matches inference within 1e-5 per value (EncoderTests), not bit for bit.
        Assert.Equal(printed.Metrics["ndcg_at_10"], during["eval_retrieval_ndcg@10"], 3);
        Assert.Equal(printed.Metrics["mrr_at_10"], during["eval_retrieval_mrr@10"], 3);
    }

    [Fact]
    public void TripletAccuracyDuringTrainingEqualsSkaldEvaluate()
    {
        string folder = TestPaths.FixtureModel("bert-uncased-max");
        var encoder = SentenceEncoder.Load(folder);
        var rows = Skald.Retrieval.Data.Datasets.LoadTriplets(SampleTriplets);
        var during = new TripletEvaluator([.. rows.Select(t => new[] { t.Anchor, t.Positive, t.Negative })])
            .Evaluate(new EncoderBackedModel(encoder), BatchSize);
        var printed = new SkaldEvaluateTriplets(TaskDefinition.FromPath(SampleTriplets)).Evaluate(SkaldEvaluateModel(encoder, folder));
        Assert.Equal(printed.Metrics["accuracy"], during["eval_triplet_accuracy"]);
    }

    /// <summary>
    /// Scored pairs as evaluation rows give the STS task's numbers of <c>skald evaluate</c>; 0/1 pairs the pair
    /// classification task's (the one <see cref="Skald.Retrieval.Scoring.PairScorer"/>).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LabelledPairsDuringTrainingEqualSkaldEvaluate(bool binary)
    {
        (string, string, double)[] pairs =
        [
            ("Bussen går klokka sju.", "Bussen kjører sju om morgenen.", 4.5), ("Katten sover.", "Ferja går over fjorden.", 0.5),
            ("Huset ligger ved sjøen.", "Huset står ved vannet.", 4.0), ("Jeg liker kaffe.", "Det regner i dag.", 1.0),
            ("Toget er forsinket.", "Toget kommer for sent.", 3.5), ("Barna leker ute.", "Skipet seiler nordover.", 0.0),
        ];
        if (binary) pairs = [.. pairs.Select(p => (p.Item1, p.Item2, p.Item3 >= 2.5 ? 1.0 : 0.0))];
        string file = Path.Combine(TestPaths.NewTempDir(), binary ? "pairs.tsv" : "sts.tsv");
        File.WriteAllText(file, (binary ? "sentence1\tsentence2\tlabel\n" : "sentence1\tsentence2\tscore\n")
            + string.Concat(pairs.Select(p => FormattableString.Invariant($"{p.Item1}\t{p.Item2}\t{p.Item3}\n"))));
        string folder = TestPaths.FixtureModel("bert-cased-mean");
        var encoder = SentenceEncoder.Load(folder);
        var during = new LabelledPairsEvaluator([.. pairs.Select(p => p.Item1)], [.. pairs.Select(p => p.Item2)], [.. pairs.Select(p => p.Item3)], binary)
            .Evaluate(new EncoderBackedModel(encoder), BatchSize);
        var task = TaskDefinition.FromPath(file, binary ? TaskKind.Pairs : TaskKind.Sts);
        var printed = (binary ? (Skald.Evaluation.Evaluators.TaskEvaluator)new Skald.Evaluation.Evaluators.PairClassificationEvaluator(task)
            : new Skald.Evaluation.Evaluators.StsEvaluator(task)).Evaluate(SkaldEvaluateModel(encoder, folder));
        string prefix = binary ? "eval_pair_classification_" : "eval_sts_";
        Assert.Equal(printed.Metrics.Count, during.Count);
        foreach (var (key, value) in printed.Metrics) Assert.Equal(value, during[prefix + key]);
        if (!binary)
        {
            // Against a direct computation: Spearman's ρ of the gold scores and the cosines of the embeddings.
            var v = encoder.Encode([.. pairs.Select(p => p.Item1), .. pairs.Select(p => p.Item2)]);
            var cos = pairs.Select((_, i) => (double)System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(v[i], v[pairs.Length + i])).ToArray();
            Assert.Equal(Skald.Retrieval.Metrics.Correlation.Spearman([.. pairs.Select(p => p.Item3)], cos), during["eval_sts_cosine_spearman"], 9);
        }
    }

    [Fact]
    public void ACoSentRunIsEvaluatedAndSelectedBySpearman()
    {
        string dir = TestPaths.NewTempDir();
        string Rows(int n, int offset) => string.Concat(Enumerable.Range(offset, n).Select(i => FormattableString.Invariant(
            $"{{\"sentence1\": \"Hus {i} ligger ved sjøen.\", \"sentence2\": \"{(i % 2 == 0 ? $"Huset {i} står ved vannet." : $"Bussen {i} går nå.")}\", \"score\": {(i % 2 == 0 ? 0.9 : 0.1) + 0.01 * (i % 5)}}}\n")));
        string train = Path.Combine(dir, "train.jsonl"), eval = Path.Combine(dir, "eval.jsonl"), outDir = Path.Combine(dir, "run");
        File.WriteAllText(train, Rows(16, 0));
        File.WriteAllText(eval, Rows(8, 100));
        string config = Path.Combine(dir, "c.yaml");
        File.WriteAllText(config, $"""
            model:
              path: {TestPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {train}
              eval: {eval}
            training:
              batch_size: 4
              max_steps: 4
            loss:
              type: cosent
            evaluation:
              steps: 2
              retrieval: null
              metric_for_best_model: eval_sts_cosine_spearman
              load_best_model_at_end: true
            output:
              dir: {outDir}
            """);
        var r = SkaldProcess.RunIn(dir, "train", "--config", config, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string metrics = File.ReadAllText(Path.Combine(outDir, "metrics.jsonl"));
        Assert.Contains("\"eval_sts_cosine_spearman\"", metrics);
        Assert.DoesNotContain("eval_pairs_", metrics); // scored pairs are not a retrieval set
        string card = File.ReadAllText(Path.Combine(outDir, "final", "README.md"));
        Assert.Contains("Semantic Similarity", card);
        Assert.Contains("Best `eval_sts_cosine_spearman`", card);
    }

    /// <summary>
    /// <c>evaluation.tasks</c>: any task file is scored during training with <c>skald evaluate</c>'s numbers (an STS TSV
    /// and the bundled retrieval folder here), every metric keyed <c>eval_TASK_METRIC</c> and any of them choosing the
    /// best model; a task that cannot be read is one line naming it.
    /// </summary>
    [Fact]
    public void TaskFilesAreEvaluatedDuringTrainingAsSkaldEvaluateScoresThem()
    {
        string dir = TestPaths.NewTempDir();
        string sts = StsMini(dir);
        string folder = TestPaths.FixtureModel("bert-cased-mean");
        var during = new TaskFileEvaluator(sts).Evaluate(TrainableEncoder.Load(folder), BatchSize);
        var printed = new Skald.Evaluation.Evaluators.StsEvaluator(TaskDefinition.FromPath(sts)).Evaluate(SkaldEvaluateModel(SentenceEncoder.Load(folder), folder));
        foreach (var (key, value) in printed.Metrics) Assert.Equal(value, during["eval_sts-mini_" + key], 4); // training forward vs inference: within 1e-5 per value

        string train = Path.Combine(dir, "train.jsonl"), outDir = Path.Combine(dir, "run");
        File.WriteAllText(train, string.Concat(Enumerable.Range(0, 12).Select(i => $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\"}}\n")));
        string Config(string tasks, string best) => InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
            model:
              path: {folder}
            data:
              train: {train}
            training:
              batch_size: 4
              max_steps: 2
            evaluation:
              retrieval: null
              tasks: {tasks}
              task_limit: 20
              metric_for_best_model: {best}
            output:
              dir: {outDir}
            """);
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config($"[{sts}, {SampleRetrieval}]", "eval_retrieval_map_at_10"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string metrics = File.ReadAllText(Path.Combine(outDir, "metrics.jsonl"));
        Assert.Contains("\"eval_sts-mini_cosine_spearman\"", metrics);
        Assert.Contains("\"eval_retrieval_ndcg_at_10\"", metrics);
        Assert.Contains("Best `eval_retrieval_map_at_10`", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
        TrainConfigs.AssertRefused(dir, Config($"[{Path.Combine(dir, "nope.tsv")}]", "eval_nope_ap"), "evaluation.tasks:");
        // a metric of the task's that it never reports: one line, and the run trains on (BestMetricNotReportedTests)
        var unreported = SkaldProcess.RunIn(dir, "train", "--config", Config($"[{sts}]", "eval_sts-mini_nothing_here"));
        Assert.True(unreported.ExitCode == 0, unreported.Stderr);
        Assert.Contains("the best model is not tracked: evaluation.metric_for_best_model 'eval_sts-mini_nothing_here' was not reported (reported: eval_sts-mini_", unreported.Stderr);
    }

    [Fact]
    public void TiedScoresAreBrokenTheSameWayByDocumentIdDescending()
    {
        // d-a and d-b have the same text, so every model scores them equally. trec_eval (and MTEB) put the larger id
        // first: the relevant d-a ranks second, nDCG@10 = 1/log2(3), MRR@10 = 1/2 — on both sides.
        string dir = BeirFolder.Write(
            "{\"_id\":\"d-a\",\"text\":\"Legekontoret ligger i sentrum.\"}\n" +
            "{\"_id\":\"d-b\",\"text\":\"Legekontoret ligger i sentrum.\"}\n" +
            "{\"_id\":\"d-c\",\"text\":\"Ferja går hver time fra kaia.\"}\n",
            "{\"_id\":\"q1\",\"text\":\"Hvor ligger legekontoret?\"}\n",
            "query-id\tcorpus-id\tscore\nq1\td-a\t1\n");
        string folder = TestPaths.FixtureModel("bert-cased-mean");
        var encoder = SentenceEncoder.Load(folder);
        var during = RetrievalEvaluator.FromBeir(dir, maxQueries: null).Evaluate(new EncoderBackedModel(encoder), BatchSize);
        var printed = new SkaldEvaluateRetrieval(TaskDefinition.FromPath(dir)).Evaluate(SkaldEvaluateModel(encoder, folder));

        var vectors = encoder.Encode(["Legekontoret ligger i sentrum.", "Hvor ligger legekontoret?", "Ferja går hver time fra kaia."]);
        Assert.True(encoder.Similarity(vectors[1], vectors[0]) > encoder.Similarity(vectors[1], vectors[2]),
            "the tied pair must be the top two for this test to check the tie rule");
        double expected = 1 / Math.Log2(3);
        Assert.Equal(expected, printed.Metrics["ndcg_at_10"], 12);
        Assert.Equal(printed.Metrics["ndcg_at_10"], during["eval_retrieval_ndcg@10"]);
        Assert.Equal(0.5, during["eval_retrieval_mrr@10"]);
        Assert.Equal(printed.Metrics["mrr_at_10"], during["eval_retrieval_mrr@10"]);
    }

    [Fact]
    public void TheTrainingAdapterPutsTheModelsRolePromptsInFront()
    {
        var seen = new List<string>();
        var model = new TrainingEmbeddingModel(texts =>
        {
            seen.AddRange(texts);
            return [.. texts.Select(_ => new float[] { 1, 0 })];
        }, 2, Skald.Models.Modules.SimilarityFunction.Cosine, new Dictionary<string, string> { ["query"] = "query: ", ["passage"] = "passage: " });
        model.Embed(["hvor?"], Skald.Retrieval.Models.TextRole.Query);
        model.Embed(["her."], Skald.Retrieval.Models.TextRole.Document);
        model.Embed(["tekst"], Skald.Retrieval.Models.TextRole.Text);
        Assert.Equal(["query: hvor?", "passage: her.", "tekst"], seen);
    }

    [Fact]
    public void AMissingTaskFileIsNamedOnce()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "nope.tsv");
        var e = Assert.Throws<TrainingException>(() => new TaskFileEvaluator(missing));
        Assert.StartsWith($"evaluation.tasks: {missing}: ", e.Message);
        Assert.Single(e.Message.Split(missing).Skip(1)); // it read "evaluation.tasks: nope.tsv: nope.tsv: task folder or file not found"
    }

    [Fact]
    public void AMissingBeirFolderIsATrainingError()
    {
        var e = Assert.Throws<TrainingException>(() => RetrievalEvaluator.FromBeir(Path.Combine(TestPaths.NewTempDir(), "nope"), null));
        Assert.Contains("evaluation.retrieval", e.Message);
        Assert.Contains("nope", e.Message);
    }
}
