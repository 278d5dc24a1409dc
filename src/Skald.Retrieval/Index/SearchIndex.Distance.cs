using System.Numerics.Tensors;
using Skald.Models.Modules;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Index;

/// <summary>
/// <see cref="SearchIndex"/>'s dense search of a Euclidean or Manhattan index (<see cref="IndexManifest.ByDistance"/>:
/// the model's raw rows stored) without lists or a graph (those rank by the distance themselves:
/// <see cref="InvertedLists.Similarity"/>, <see cref="Hnsw.HnswGraph.Similarity"/>), ranked by the model's negated distance as
/// <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/> gives it, the
/// scores the hits carry.
/// </summary>
public sealed partial class SearchIndex
{
    /// <summary>The dense score of row <paramref name="row"/> for the (prepared) query: its inner product, or its negated distance.</summary>
    private float DenseScore(float[] q, int row) => Manifest.ByDistance
        ? Similarities.Compute(Manifest.SimilarityFunction, q, vectors!.Row(row))
        : TensorPrimitives.Dot(q, vectors!.Row(row));

    /// <summary>
    /// Dense top-k among live rows of a distance index without lists or a graph: float rows scanned (spread over the
    /// cores, <see cref="DistanceSearch"/>); int8 / uint8 rows by the distance of their
    /// dequantized values (<see cref="QuantizedDistanceSearch"/>), PQ codes by distance tables
    /// (<see cref="PqSearch.DistanceTopK"/>), binary rows, which keep signs only, by the Hamming distance of their bits
    /// (<see cref="QuantizedSearch"/>); with <paramref name="rescoreMultiplier"/> m ≥ 1 the best k·m of those rescored with
    /// their float rows (0: the first stage's scores are final, a binary index's the Hamming one's).
    /// </summary>
    private Hit[] DistanceDense(float[] q, int k, int rescoreMultiplier)
    {
        var similarity = Manifest.SimilarityFunction;
        var rows = vectors!;
        int wanted = Math.Min(k + Deleted.Count, rows.Rows);
        Hit[] hits;
        if (codes is null && quantized is null)
            hits = DistanceSearch.TopK(similarity, [q], rows.Rows, rows.Row, wanted, tieKeys)[0]; // the rows spread over the cores
        else
        {
            int pool = (int)Math.Min(rows.Rows, (long)wanted * Math.Max(1, rescoreMultiplier));
            var listed = codes is not null ? PqSearch.DistanceTopK(similarity, [q], codes, pool, tieKeys)[0] // codes that keep the distance (Open checks)
                : EmbeddingQuantizer.IsBinary(quantized!.Precision) ? QuantizedSearch.TopK([q], quantized, pool, 0, tieKeys)[0]
                : QuantizedDistanceSearch.TopK(similarity, [q], quantized, pool, tieKeys)[0];
            hits = rescoreMultiplier == 0 ? listed
                : QuantizedSearch.RescoreBy(1, [listed], wanted, tieKeys, (_, r) => Similarities.Compute(similarity, q, rows.Row(r)))[0];
        }
        return [.. hits.Where(h => !Deleted.Contains(h.Index)).Take(k)];
    }
}
