using Skald.Models.Modules;
using Skald.Retrieval.Scoring;
using Skald.Training.Data;

namespace Skald.Training.Evaluation;

/// <summary>
/// Evaluation rows of (sentence1, sentence2, label) scored by the shared <see cref="PairScorer"/>, as
/// <c>skald evaluate</c> scores an STS or pair-classification task, under cosine and under the model's own similarity.
/// With 0/1 labels, sentence-transformers' BinaryClassificationEvaluator: keys <c>eval_pair_classification_cosine_ap</c>,
/// <c>_cosine_accuracy</c>, <c>_cosine_f1</c>, <c>_cosine_mcc</c>, ... and the model's forms, bare for a cosine model
/// (<c>eval_pair_classification_ap</c>) and named as upstream names them for any other (<c>_dot_ap</c>,
/// <c>_euclidean_ap</c>); the primary metric is the model's AP, upstream's <c>{fn}_ap</c>. With any other scores, its
/// EmbeddingSimilarityEvaluator: <c>eval_sts_cosine_spearman</c>, <c>_cosine_pearson</c> and the model's
/// <c>_spearman</c>, <c>_pearson</c> (for a non-cosine model <c>_spearman_dot</c>, <c>_pearson_dot</c>, as upstream's
/// <c>spearman_{fn}</c>); the primary metric is the model's Spearman, the one a CoSENT, AnglE or CosineSimilarityLoss
/// run is selected by (<c>eval_sts_cosine_spearman</c> for a cosine model, as it always was). A sparse encoder adds
/// upstream's SparseBinaryClassificationEvaluator's or SparseEmbeddingSimilarityEvaluator's <c>eval_NAME_active_dims</c>
/// and <c>eval_NAME_sparsity_ratio</c>, named without a similarity as upstream names them (<see cref="SparsityMetrics"/>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/BinaryClassificationEvaluator.py,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/EmbeddingSimilarityEvaluator.py
/// </remarks>
public sealed class LabelledPairsEvaluator : IEmbeddingEvaluator
{
    private readonly string[] first, second;
    private readonly double[] labels;
    private readonly bool binary;
    private readonly SimilarityFunction similarity;

    /// <summary>
    /// Pairs and their labels; <paramref name="binary"/>: the labels are classes 0/1; <paramref name="similarity"/>: the
    /// similarity of the model it evaluates, which names its keys.
    /// </summary>
    public LabelledPairsEvaluator(IReadOnlyList<string> first, IReadOnlyList<string> second, IReadOnlyList<double> labels, bool binary,
        SimilarityFunction similarity = SimilarityFunction.Cosine)
    {
        if (first.Count != second.Count || first.Count != labels.Count)
            throw new ArgumentException($"{first.Count} / {second.Count} texts for {labels.Count} labels");
        this.first = [.. first];
        this.second = [.. second];
        this.labels = [.. labels];
        this.binary = binary;
        this.similarity = similarity;
        Name = binary ? "pair_classification" : "sts";
        MetricNames = [.. (binary
            ? new[] { "ap", "accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall", "mcc" }.SelectMany(m => new[] { "cosine_" + m, m })
            : ["cosine_spearman", "cosine_pearson", "spearman", "pearson"]).Select(Key).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The evaluator for a dataset of two text columns and one label per row (null otherwise): binary when every label
    /// is 0 or 1.
    /// </summary>
    public static LabelledPairsEvaluator? FromDataset(TextDataset d, SimilarityFunction similarity = SimilarityFunction.Cosine)
    {
        if (d.Columns.Count != 2 || d.Labels is not { } labels || d.LabelWidth != 1 || labels.Count != d.Count) return null;
        bool binary = labels.All(y => y is 0f or 1f);
        return new LabelledPairsEvaluator([.. d.Rows.Select(r => r[0])], [.. d.Rows.Select(r => r[1])], [.. labels.Select(y => (double)y)], binary, similarity);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string? Task => binary ? "Binary Classification" : "Semantic Similarity";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Upstream's BinaryClassificationEvaluator's <c>{fn}_ap</c>, or EmbeddingSimilarityEvaluator's <c>spearman_{fn}</c>,
    /// of the model's similarity (for a cosine model the cosine keys it always had).
    /// </remarks>
    public string PrimaryMetric => Key((similarity == SimilarityFunction.Cosine ? "cosine_" : "") + (binary ? "ap" : "spearman"));

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize) => Evaluate(TrainingEmbeddingModel.For(model, batchSize));

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(TrainingEmbeddingModel embeddings)
    {
        var scores = binary
            ? PairScorer.Binary(embeddings, first, second, [.. labels.Select(y => (int)y)])
            : PairScorer.Sts(embeddings, first, second, labels, out _);
        return scores.ToDictionary(kv => Key(kv.Key), kv => kv.Value);
    }

    /// <summary>
    /// The key of a <see cref="PairScorer"/> metric: its <c>cosine_</c> forms as they are, the model's (bare) named by its
    /// similarity unless that is cosine (<see cref="SimilarityKeys"/>): <c>dot_ap</c>, <c>spearman_dot</c>.
    /// </summary>
    private string Key(string metric) => $"eval_{Name}_" + (metric.StartsWith("cosine_", StringComparison.Ordinal) || SparsityMetrics.IsSparsityKey(metric) ? metric
        : binary ? SimilarityKeys.Prefix(similarity) + metric : metric + SimilarityKeys.Suffix(similarity));

    /// <inheritdoc />
    /// <remarks><c>eval_NAME_active_dims</c> and <c>eval_NAME_sparsity_ratio</c>.</remarks>
    public IReadOnlyList<string> SparsityMetricNames => [Key(SparsityMetrics.ActiveDims), Key(SparsityMetrics.SparsityRatio)];
}
