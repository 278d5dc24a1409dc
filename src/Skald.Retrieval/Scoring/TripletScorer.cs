using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Scoring;

/// <summary>
/// The one triplet evaluation, shared by <c>skald evaluate</c> and evaluation during training: the share of
/// (anchor, positive, negative) triplets where sim(anchor, positive) &gt; sim(anchor, negative) — strictly, as
/// sentence-transformers' TripletEvaluator, so a tie counts as wrong — under the model's similarity
/// (<c>accuracy</c>) and under cosine (<c>cosine_accuracy</c>). All texts are embedded in one call, role
/// <see cref="TextRole.Text"/>.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/evaluation/TripletEvaluator.py</remarks>
public static class TripletScorer
{
    /// <summary>Both accuracies in [0, 1]; NaN for no triplets.</summary>
    public static SortedDictionary<string, double> Score(IEmbeddingModel model, IReadOnlyList<Triplet> triplets)
    {
        int n = triplets.Count;
        if (n == 0) return new(StringComparer.Ordinal) { ["accuracy"] = double.NaN, ["cosine_accuracy"] = double.NaN };
        var v = model.Embed([.. triplets.Select(t => t.Anchor), .. triplets.Select(t => t.Positive), .. triplets.Select(t => t.Negative)], TextRole.Text);
        int own = 0, cos = 0;
        for (int i = 0; i < n; i++)
        {
            if (Similarities.Compute(model.Similarity, v[i], v[n + i]) > Similarities.Compute(model.Similarity, v[i], v[2 * n + i])) own++;
            if (Similarities.Compute(SimilarityFunction.Cosine, v[i], v[n + i]) > Similarities.Compute(SimilarityFunction.Cosine, v[i], v[2 * n + i])) cos++;
        }
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = (double)own / n,
            ["cosine_accuracy"] = (double)cos / n,
        };
    }
}
