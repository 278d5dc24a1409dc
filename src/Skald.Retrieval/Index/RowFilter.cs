using System.Numerics.Tensors;
using Skald.Models.Modules;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Index;

/// <summary>The rows of an index a filtered search may return (live rows a <see cref="IndexFilter"/> passes).</summary>
internal sealed class RowFilter
{
    private readonly bool[] pass;
    private readonly int[] rows;

    /// <summary>Over <paramref name="pass"/>[row]: whether each row may be returned.</summary>
    public RowFilter(bool[] pass)
    {
        this.pass = pass;
        rows = [.. Enumerable.Range(0, pass.Length).Where(r => pass[r])];
    }

    /// <summary>Rows that may not be returned (deleted ones included): how many more hits to ask of an unfiltered search.</summary>
    public int Excluded => pass.Length - rows.Length;

    /// <summary>Rows that may be returned.</summary>
    public int Count => rows.Length;

    /// <summary>Whether <paramref name="row"/> may be returned.</summary>
    public bool Passes(int row) => pass[row];

    /// <summary>
    /// The best <paramref name="k"/> passing rows by their dot product with <paramref name="q"/> (an index of
    /// <paramref name="similarity"/> Euclidean or Manhattan: by its negated distance; equal scores: <paramref name="tieKeys"/>).
    /// </summary>
    public Hit[] Exact(float[] q, int k, FloatRow row, int[] tieKeys, SimilarityFunction similarity)
    {
        if (rows.Length == 0) return [];
        var heap = new TopKHeap(Math.Min(k, rows.Length));
        bool distance = similarity is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan;
        foreach (int r in rows) heap.Add(r, distance ? Similarities.Compute(similarity, q, row(r)) : TensorPrimitives.Dot(q, row(r)), tieKeys[r]);
        return heap.ToSortedArray();
    }
}
