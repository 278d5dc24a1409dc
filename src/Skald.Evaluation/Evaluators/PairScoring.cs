using Skald.Models.Modules;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>Similarity helpers shared by the pair evaluators.</summary>
internal static class PairScoring
{
    public static (double[] Cosine, double[] Model) Score(IEmbeddingModel model, IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var all = model.Embed([.. a, .. b], TextRole.Text);
        var cos = new double[a.Count];
        var own = new double[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            cos[i] = Similarities.Compute(SimilarityFunction.Cosine, all[i], all[a.Count + i]);
            own[i] = Similarities.Compute(model.Similarity, all[i], all[a.Count + i]);
        }
        return (cos, own);
    }
}
