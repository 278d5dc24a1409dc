namespace Skald.Models;

/// <summary>
/// A sparse embedding: the non-zero entries of a vector over the vocabulary, indices ascending (what a sparse encoder
/// gives, and sentence-transformers' sparse COO rows hold).
/// </summary>
/// <param name="Indices">Vocabulary ids with a non-zero value, ascending.</param>
/// <param name="Values">Their values.</param>
public sealed record SparseEmbedding(int[] Indices, float[] Values)
{
    /// <summary>Non-zero entries (sentence-transformers' active dims).</summary>
    public int Count => Indices.Length;

    /// <summary>
    /// The non-zero entries of <paramref name="dense"/>; with <paramref name="maxActiveDims"/> only that many of the
    /// largest (sentence-transformers' <c>max_active_dims</c>: the top-k values kept, ties to the lower index).
    /// </summary>
    public static SparseEmbedding FromDense(ReadOnlySpan<float> dense, int? maxActiveDims = null)
    {
        if (maxActiveDims is < 1) throw new ArgumentOutOfRangeException(nameof(maxActiveDims), "max_active_dims must be at least 1");
        var indices = new List<int>();
        for (int i = 0; i < dense.Length; i++)
        {
            if (dense[i] != 0f) indices.Add(i);
        }
        if (maxActiveDims is { } k && indices.Count > k)
        {
            var values = dense.ToArray();
            indices = [.. indices.OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).Order()];
        }
        var kept = indices.ToArray();
        var v = new float[kept.Length];
        for (int j = 0; j < kept.Length; j++) v[j] = dense[kept[j]];
        return new SparseEmbedding(kept, v);
    }

    /// <summary>This embedding at unit length (values over their L2 norm; an empty one stays empty), so that dot products are cosines.</summary>
    public SparseEmbedding Normalized()
    {
        double ss = 0;
        foreach (float v in Values) ss += (double)v * v;
        if (ss == 0) return this;
        float scale = (float)(1.0 / Math.Sqrt(ss));
        return new SparseEmbedding(Indices, [.. Values.Select(v => v * scale)]);
    }

    /// <summary>Σ a[i]·b[i] over the entries both hold (the dot product of the dense vectors).</summary>
    public static float Dot(SparseEmbedding a, SparseEmbedding b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double s = 0;
        for (int i = 0, j = 0; i < a.Indices.Length && j < b.Indices.Length;)
        {
            int x = a.Indices[i], y = b.Indices[j];
            if (x == y) s += (double)a.Values[i++] * b.Values[j++];
            else if (x < y) i++;
            else j++;
        }
        return (float)s;
    }

    /// <summary>
    /// The entries <paramref name="a"/> and <paramref name="b"/> share, each the product of their two values, keeping
    /// only positive products (sentence-transformers' <c>SparseEncoder.intersection</c>: which vocabulary entries, with
    /// what weight, make a query and a document match; the values sum to <see cref="Dot"/> when no product is negative).
    /// </summary>
    public static SparseEmbedding Intersection(SparseEmbedding a, SparseEmbedding b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var indices = new List<int>();
        var values = new List<float>();
        for (int i = 0, j = 0; i < a.Indices.Length && j < b.Indices.Length;)
        {
            int x = a.Indices[i], y = b.Indices[j];
            if (x == y)
            {
                float p = a.Values[i++] * b.Values[j++];
                if (p > 0f)
                {
                    indices.Add(x);
                    values.Add(p);
                }
            }
            else if (x < y) i++;
            else j++;
        }
        return new SparseEmbedding([.. indices], [.. values]);
    }

    /// <summary>
    /// The mean number of non-zero entries of <paramref name="embeddings"/> and the mean share of zeros over
    /// <paramref name="dimension"/> entries (sentence-transformers' <c>SparseEncoder.sparsity</c>; a sparse encoder's
    /// dimension is its <see cref="SentenceEncoder.Dimension"/>). No embeddings give 0 active and a ratio of 1. A
    /// dimension below 1 is an <see cref="ArgumentOutOfRangeException"/>, a null embedding an <see cref="ArgumentException"/>.
    /// </summary>
    public static SparsityStatistics Sparsity(IReadOnlyList<SparseEmbedding> embeddings, int dimension)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        long active = 0;
        for (int i = 0; i < embeddings.Count; i++)
            active += (embeddings[i] ?? throw new ArgumentException($"embedding {i} is null", nameof(embeddings))).Count;
        return Statistics(active, embeddings.Count, dimension);
    }

    /// <summary>
    /// <see cref="Sparsity(IReadOnlyList{SparseEmbedding}, int)"/> of a sparse encoder's rows as dense vectors of
    /// <paramref name="dimension"/> entries (what an <c>IEmbeddingModel</c> returns): an entry is active when it is not 0.
    /// A row of another length is an <see cref="ArgumentException"/>.
    /// </summary>
    public static SparsityStatistics Sparsity(IReadOnlyList<float[]> rows, int dimension)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        long active = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row is null || row.Length != dimension)
                throw new ArgumentException($"row {i} has {row?.Length ?? 0} entries, not {dimension}", nameof(rows));
            foreach (float v in row) if (v != 0f) active++;
        }
        return Statistics(active, rows.Count, dimension);
    }

    /// <summary>The one formula: the mean active entries of <paramref name="count"/> rows and 1 − that / <paramref name="dimension"/>; no rows: 0 and 1.</summary>
    private static SparsityStatistics Statistics(long active, int count, int dimension)
    {
        if (count == 0) return new SparsityStatistics(0, 1);
        double mean = (double)active / count;
        return new SparsityStatistics(mean, 1.0 - mean / dimension);
    }
}
