using Skald.Models.LateInteraction;
using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Scoring;

/// <summary>
/// The one triplet evaluation, shared by <c>skald evaluate</c> and evaluation during training: the share of
/// (anchor, positive, negative) triplets where sim(anchor, positive) &gt; sim(anchor, negative) — strictly, as
/// sentence-transformers' TripletEvaluator, so a tie counts as wrong — under the model's similarity
/// (<c>accuracy</c>) and under cosine (<c>cosine_accuracy</c>). All texts are embedded in one call, role
/// <see cref="TextRole.Text"/>. With a margin m a triplet counts only when sim(anchor, positive) &gt;
/// sim(anchor, negative) + m, upstream's <c>margin</c> (0 by default).
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/TripletEvaluator.py</remarks>
public static class TripletScorer
{
    /// <summary>
    /// Both accuracies in [0, 1] at <paramref name="margin"/>; NaN for no triplets. A sparse encoder adds
    /// SparseTripletEvaluator's <c>anchor_active_dims</c>, <c>anchor_sparsity_ratio</c> and the same of the positives
    /// and of the negatives, each over its column (<see cref="SparsityMetrics"/>).
    /// </summary>
    /// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseTripletEvaluator.py</remarks>
    public static SortedDictionary<string, double> Score(IEmbeddingModel model, IReadOnlyList<Triplet> triplets, double margin = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = triplets.Count;
        if (n == 0) return new(StringComparer.Ordinal) { ["accuracy"] = double.NaN, ["cosine_accuracy"] = double.NaN };
        var v = model.Embed([.. triplets.Select(t => t.Anchor), .. triplets.Select(t => t.Positive), .. triplets.Select(t => t.Negative)], TextRole.Text);
        var m = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = Accuracy(n, i => (Similarities.Compute(model.Similarity, v[i], v[n + i]), Similarities.Compute(model.Similarity, v[i], v[2 * n + i])), margin),
            ["cosine_accuracy"] = Accuracy(n, i => (Similarities.Compute(SimilarityFunction.Cosine, v[i], v[n + i]), Similarities.Compute(SimilarityFunction.Cosine, v[i], v[2 * n + i])), margin),
        };
        SparsityMetrics.AddIfSparse(m, model, "anchor_", v[..n]);
        SparsityMetrics.AddIfSparse(m, model, "positive_", v[n..(2 * n)]);
        SparsityMetrics.AddIfSparse(m, model, "negative_", v[(2 * n)..]);
        return m;
    }

    /// <summary>
    /// A late-interaction model's accuracy (PyLate's ColBERTTripletEvaluator): anchors encoded as queries, positives
    /// and negatives as documents, each pair scored by MaxSim; NaN for no triplets.
    /// </summary>
    /// <remarks>Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/evaluation/colbert_triplet.py</remarks>
    public static double Accuracy(IMultiVectorEncoder model, IReadOnlyList<Triplet> triplets, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(triplets);
        int n = triplets.Count;
        if (n == 0) return double.NaN;
        var anchors = model.EncodeQueries([.. triplets.Select(t => t.Anchor)], batchSize);
        var documents = model.EncodeDocuments([.. triplets.Select(t => t.Positive), .. triplets.Select(t => t.Negative)], batchSize);
        return Accuracy(n, i => (ColbertEncoder.Score(anchors[i], documents[i]), ColbertEncoder.Score(anchors[i], documents[n + i])));
    }

    /// <summary>
    /// The share of the <paramref name="n"/> triplets whose positive scores strictly above their negative plus
    /// <paramref name="margin"/> (a tie counts as wrong).
    /// </summary>
    public static double Accuracy(int n, Func<int, (double Positive, double Negative)> scores, double margin = 0)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (n == 0) return double.NaN;
        int right = 0;
        for (int i = 0; i < n; i++)
        {
            var (positive, negative) = scores(i);
            if (positive > negative + margin) right++;
        }
        return (double)right / n;
    }
}
