using Skald.Models.Modules;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Scoring;

/// <summary>
/// The one evaluation of text pairs, shared by <c>skald evaluate</c> (STS and pair-classification tasks) and
/// evaluation during training: both texts of every pair embedded in one call (role <see cref="TextRole.Text"/>), then
/// scored under cosine and under the model's own similarity. <see cref="Sts"/>: Spearman and Pearson correlation with
/// gold scores (MTEB's STSEvaluator, sentence-transformers' EmbeddingSimilarityEvaluator); <see cref="Binary"/>:
/// average precision and best-threshold accuracy and F1 against 0/1 labels (MTEB's PairClassificationEvaluator,
/// sentence-transformers' BinaryClassificationEvaluator).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/STSEvaluator.py,
/// https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/PairClassificationEvaluator.py
/// </remarks>
public static class PairScorer
{
    /// <summary>Per pair, the cosine similarity and the model's similarity of the two texts' embeddings.</summary>
    public static (double[] Cosine, double[] Model) Similarities(IEmbeddingModel model, IReadOnlyList<string> first, IReadOnlyList<string> second) =>
        Similarities(model, first, second, out _);

    /// <summary><see cref="Similarities(IEmbeddingModel, IReadOnlyList{string}, IReadOnlyList{string})"/>, with <paramref name="all"/> the embeddings of the first texts, then of the second.</summary>
    private static (double[] Cosine, double[] Model) Similarities(IEmbeddingModel model, IReadOnlyList<string> first, IReadOnlyList<string> second, out float[][] all)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (first.Count != second.Count) throw new ArgumentException($"{first.Count} first texts for {second.Count} second ones", nameof(second));
        all = model.Embed([.. first, .. second], TextRole.Text);
        var cos = new double[first.Count];
        var own = new double[first.Count];
        for (int i = 0; i < first.Count; i++)
        {
            cos[i] = Skald.Models.Modules.Similarities.Compute(SimilarityFunction.Cosine, all[i], all[first.Count + i]);
            own[i] = Skald.Models.Modules.Similarities.Compute(model.Similarity, all[i], all[first.Count + i]);
        }
        return (cos, own);
    }

    /// <summary>
    /// <c>cosine_spearman</c> (MTEB's main), <c>cosine_pearson</c>, <c>spearman</c>, <c>pearson</c> against
    /// <paramref name="gold"/>; <paramref name="undefined"/> says why the correlations are NaN when they are (constant scores).
    /// A sparse encoder adds SparseEmbeddingSimilarityEvaluator's <c>active_dims</c> and <c>sparsity_ratio</c> over
    /// every first and second text (upstream embeds each column in its own call and averages the two calls' means, which
    /// for columns of one length is the mean over both; <see cref="SparsityMetrics"/>).
    /// </summary>
    public static SortedDictionary<string, double> Sts(IEmbeddingModel model, IReadOnlyList<string> first, IReadOnlyList<string> second,
        IReadOnlyList<double> gold, out string? undefined)
    {
        var (cos, own) = Similarities(model, first, second, out var all);
        undefined = Correlation.Undefined(gold, cos);
        var m = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["cosine_spearman"] = Correlation.Spearman(gold, cos),
            ["cosine_pearson"] = Correlation.Pearson(gold, cos),
            ["spearman"] = Correlation.Spearman(gold, own),
            ["pearson"] = Correlation.Pearson(gold, own),
        };
        SparsityMetrics.AddIfSparse(m, model, "", all);
        return m;
    }

    /// <summary>
    /// <c>ap</c> (main), <c>accuracy</c> (+ <c>_threshold</c>), <c>f1</c> (+ <c>_threshold</c>, <c>precision</c>,
    /// <c>recall</c>) and <c>mcc</c> (Matthews' correlation at the F1 threshold, sentence-transformers'
    /// BinaryClassificationEvaluator's) under the model's similarity, and the same with the prefix <c>cosine_</c>, against 0/1 <paramref name="labels"/>.
    /// A sparse encoder adds SparseBinaryClassificationEvaluator's <c>active_dims</c> and <c>sparsity_ratio</c> over the
    /// distinct texts (upstream embeds the set of both columns' texts once; <see cref="SparsityMetrics"/>).
    /// </summary>
    public static SortedDictionary<string, double> Binary(IEmbeddingModel model, IReadOnlyList<string> first, IReadOnlyList<string> second,
        IReadOnlyList<int> labels)
    {
        var (cos, own) = Similarities(model, first, second, out var all);
        var m = new SortedDictionary<string, double>(StringComparer.Ordinal);
        Add(m, "cosine_", cos, labels);
        Add(m, "", own, labels);
        if (model.IsSparse)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var distinct = new List<float[]>();
            for (int i = 0; i < all.Length; i++)
                if (seen.Add(i < first.Count ? first[i] : second[i - first.Count])) distinct.Add(all[i]);
            SparsityMetrics.AddIfSparse(m, model, "", distinct);
        }
        return m;
    }

    private static void Add(IDictionary<string, double> m, string prefix, IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        var acc = BinaryMetrics.BestAccuracy(scores, labels);
        var f1 = BinaryMetrics.BestF1(scores, labels);
        m[prefix + "ap"] = BinaryMetrics.AveragePrecision(scores, labels);
        m[prefix + "accuracy"] = acc.Value;
        m[prefix + "accuracy_threshold"] = acc.Threshold;
        m[prefix + "f1"] = f1.Value;
        m[prefix + "f1_threshold"] = f1.Threshold;
        m[prefix + "precision"] = f1.Precision;
        m[prefix + "recall"] = f1.Recall;
        m[prefix + "mcc"] = BinaryMetrics.MatthewsCorrelation(scores, labels, f1.Threshold);
    }
}
