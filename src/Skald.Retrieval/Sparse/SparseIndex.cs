using Skald.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Sparse;

/// <summary>
/// An inverted index over sparse embeddings (a SPLADE model's): for every vocabulary entry the documents holding it
/// and their weights, in compressed rows ([V + 1] starts, then document ids and weights). A query's score for document d
/// is the dot product Σ_t q[t]·d[t] over the query's entries, accumulated posting list by posting list; exact top-k
/// then picks from every document, so the ranking equals a dense dot-product search of the same vectors (documents
/// sharing no entry score 0). Work per query is the length of its terms' lists, not the corpus size.
/// </summary>
public sealed class SparseIndex
{
    private readonly int[] starts;   // [V + 1]
    private readonly int[] documents; // [nnz], ascending within a list
    private readonly float[] weights; // [nnz]

    private SparseIndex(int count, int[] starts, int[] documents, float[] weights)
    {
        Count = count;
        this.starts = starts;
        this.documents = documents;
        this.weights = weights;
    }

    /// <summary>Documents indexed.</summary>
    public int Count { get; }

    /// <summary>Vocabulary size (the embedding width).</summary>
    public int Dimension => starts.Length - 1;

    /// <summary>Stored (document, term) weights.</summary>
    public long Entries => documents.Length;

    /// <summary>Indexes <paramref name="docs"/> (document i is row i) over a vocabulary of <paramref name="dimension"/>.</summary>
    public static SparseIndex Build(IReadOnlyList<SparseEmbedding> docs, int dimension)
    {
        ArgumentNullException.ThrowIfNull(docs);
        var starts = new int[dimension + 1];
        foreach (var d in docs)
        {
            foreach (int t in d.Indices)
            {
                if ((uint)t >= (uint)dimension) throw new ArgumentOutOfRangeException(nameof(docs), $"term {t} is outside the vocabulary of {dimension}");
                starts[t + 1]++;
            }
        }
        for (int t = 0; t < dimension; t++) starts[t + 1] += starts[t];
        var fill = starts[..^1];
        var ids = new int[starts[dimension]];
        var values = new float[ids.Length];
        for (int i = 0; i < docs.Count; i++)
        {
            var d = docs[i];
            for (int j = 0; j < d.Count; j++)
            {
                int slot = fill[d.Indices[j]]++;
                ids[slot] = i;
                values[slot] = d.Values[j];
            }
        }
        return new SparseIndex(docs.Count, starts, ids, values);
    }

    /// <summary>
    /// The <paramref name="k"/> best documents for each query (dot product; ties by <paramref name="tie"/>, higher key
    /// first, as <see cref="ExactSearch"/> breaks them), queries in parallel.
    /// </summary>
    public Hit[][] TopK(IReadOnlyList<SparseEmbedding> queries, int k, IReadOnlyList<int> tie)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (tie.Count != Count) throw new ArgumentException($"{tie.Count} tie keys for {Count} documents", nameof(tie));
        var result = new Hit[queries.Count][];
        k = Math.Min(k, Count);
        if (k <= 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        Parallel.For(0, queries.Count, () => new float[Count], (q, _, scores) =>
        {
            Array.Clear(scores);
            Accumulate(queries[q], scores);
            var heap = new TopKHeap(k);
            for (int d = 0; d < scores.Length; d++)
            {
                if (scores[d] >= heap.Threshold) heap.Add(d, scores[d], tie[d]);
            }
            result[q] = heap.ToSortedArray();
            return scores;
        }, _ => { });
        return result;
    }

    /// <summary>scores[d] += Σ_t q[t]·d[t] over the query's entries.</summary>
    public void Accumulate(SparseEmbedding query, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(query);
        for (int j = 0; j < query.Count; j++)
        {
            int t = query.Indices[j];
            if ((uint)t >= (uint)Dimension) continue; // a term no document can hold
            float w = query.Values[j];
            for (int p = starts[t]; p < starts[t + 1]; p++) scores[documents[p]] += w * weights[p];
        }
    }
}
