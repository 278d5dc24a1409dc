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

    private static EvaluationEmbeddingModel SkaldEvaluateModel(SentenceEncoder encoder, string folder) =>
        new(encoder, folder, new EvaluationEmbeddingOptions { BatchSize = BatchSize });

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
    public void AMissingBeirFolderIsATrainingError()
    {
        var e = Assert.Throws<TrainingException>(() => RetrievalEvaluator.FromBeir(Path.Combine(TestPaths.NewTempDir(), "nope"), null));
        Assert.Contains("evaluation.retrieval", e.Message);
        Assert.Contains("nope", e.Message);
    }
}
