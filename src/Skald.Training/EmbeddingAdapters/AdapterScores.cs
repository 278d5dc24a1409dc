using System.Numerics.Tensors;

namespace Skald.Training.EmbeddingAdapters;

/// <summary>
/// Hit rate@k and MRR@k of queries against a corpus by cosine similarity, llama_index's adapter evaluation: each query
/// has one relevant corpus row; its rank is 1 + the number of rows scoring strictly higher (ties go to the relevant
/// one); hit when rank ≤ k; reciprocal rank 1/rank when rank ≤ k, else 0.
/// </summary>
/// <param name="HitRate">Share of queries whose passage is in the top k.</param>
/// <param name="Mrr">Mean reciprocal rank, cut at k.</param>
/// <param name="K">The cut-off.</param>
public sealed record AdapterScores(double HitRate, double Mrr, int K)
{
    /// <summary>Scores <paramref name="queries"/> against <paramref name="corpus"/>; <paramref name="relevant"/>[i] is query i's corpus row.</summary>
    public static AdapterScores Compute(IReadOnlyList<float[]> queries, IReadOnlyList<float[]> corpus, IReadOnlyList<int> relevant, int k = 10)
    {
        if (queries.Count == 0) return new AdapterScores(double.NaN, double.NaN, k);
        var units = corpus.Select(Unit).ToArray();
        double hits = 0, rr = 0;
        for (int i = 0; i < queries.Count; i++)
        {
            var q = Unit(queries[i]);
            float target = TensorPrimitives.Dot(q, units[relevant[i]]);
            int rank = 1;
            for (int j = 0; j < units.Length; j++)
            {
                if (j != relevant[i] && TensorPrimitives.Dot(q, units[j]) > target) rank++;
            }
            if (rank <= k)
            {
                hits++;
                rr += 1.0 / rank;
            }
        }
        return new AdapterScores(hits / queries.Count, rr / queries.Count, k);
    }

    private static float[] Unit(float[] v)
    {
        float norm = TensorPrimitives.Norm(v);
        var u = new float[v.Length];
        TensorPrimitives.Divide(v, norm > 0 ? norm : 1, u);
        return u;
    }
}
