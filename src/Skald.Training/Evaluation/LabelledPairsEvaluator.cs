using Skald.Retrieval.Scoring;
using Skald.Training.Data;

namespace Skald.Training.Evaluation;

/// <summary>
/// Evaluation rows of (sentence1, sentence2, label) scored by the shared <see cref="PairScorer"/>, as
/// <c>skald evaluate</c> scores an STS or pair-classification task: with 0/1 labels, sentence-transformers'
/// BinaryClassificationEvaluator (keys <c>eval_pair_classification_ap</c>, <c>_accuracy</c>, <c>_f1</c>, ... and
/// their <c>cosine_</c> forms); with any other scores, its EmbeddingSimilarityEvaluator (keys
/// <c>eval_sts_cosine_spearman</c>, <c>_cosine_pearson</c>, <c>_spearman</c>, <c>_pearson</c>), the metric a CoSENT,
/// AnglE or CosineSimilarityLoss run is selected by.
/// </summary>
public sealed class LabelledPairsEvaluator : IEvaluator
{
    private readonly string[] first, second;
    private readonly double[] labels;
    private readonly bool binary;

    /// <summary>Pairs and their labels; <paramref name="binary"/>: the labels are classes 0/1.</summary>
    public LabelledPairsEvaluator(IReadOnlyList<string> first, IReadOnlyList<string> second, IReadOnlyList<double> labels, bool binary)
    {
        if (first.Count != second.Count || first.Count != labels.Count)
            throw new ArgumentException($"{first.Count} / {second.Count} texts for {labels.Count} labels");
        this.first = [.. first];
        this.second = [.. second];
        this.labels = [.. labels];
        this.binary = binary;
        Name = binary ? "pair_classification" : "sts";
        MetricNames = [.. (binary
            ? new[] { "ap", "accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall" }.SelectMany(m => new[] { "cosine_" + m, m })
            : ["cosine_spearman", "cosine_pearson", "spearman", "pearson"]).Select(m => $"eval_{Name}_{m}").Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The evaluator for a dataset of two text columns and one label per row (null otherwise): binary when every label
    /// is 0 or 1.
    /// </summary>
    public static LabelledPairsEvaluator? FromDataset(TextDataset d)
    {
        if (d.Columns.Count != 2 || d.Labels is not { } labels || d.LabelWidth != 1 || labels.Count != d.Count) return null;
        bool binary = labels.All(y => y is 0f or 1f);
        return new LabelledPairsEvaluator([.. d.Rows.Select(r => r[0])], [.. d.Rows.Select(r => r[1])], [.. labels.Select(y => (double)y)], binary);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string? Task => binary ? "Binary Classification" : "Semantic Similarity";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames { get; }

    /// <inheritdoc />
    /// <remarks>Upstream's BinaryClassificationEvaluator's cosine AP, or EmbeddingSimilarityEvaluator's cosine Spearman.</remarks>
    public string PrimaryMetric => $"eval_{Name}_" + (binary ? "cosine_ap" : "cosine_spearman");

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        var embeddings = TrainingEmbeddingModel.For(model, batchSize);
        var scores = binary
            ? PairScorer.Binary(embeddings, first, second, [.. labels.Select(y => (int)y)])
            : PairScorer.Sts(embeddings, first, second, labels, out _);
        return scores.ToDictionary(kv => $"eval_{Name}_{kv.Key}", kv => kv.Value);
    }
}
