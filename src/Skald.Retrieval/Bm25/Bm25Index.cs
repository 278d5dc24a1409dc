using Skald.Retrieval.Search;

namespace Skald.Retrieval.Bm25;

/// <summary>
/// An inverted index scored with Okapi BM25:
/// score(q, d) = Σ over query terms t (each occurrence) of idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avgdl)),
/// idf(t) = ln(N/df) (ATIRE) or ln(1 + (N − df + 0.5)/(df + 0.5)) (Lucene); see <see cref="Bm25Idf"/>. Only documents sharing a term with the
/// query are returned. Ties are broken by the caller's tie keys (trec_eval: document id descending).
/// </summary>
public sealed class Bm25Index
{
    private readonly Dictionary<string, int> termIds = new(StringComparer.Ordinal);
    private readonly List<List<(int Doc, int Tf)>> postings = [];
    private readonly int[] docLength;

    /// <summary>Indexes documents (already analysed into terms).</summary>
    public Bm25Index(IReadOnlyList<IReadOnlyList<string>> documents, Bm25Parameters? parameters = null)
    {
        Parameters = parameters ?? new Bm25Parameters();
        docLength = new int[documents.Count];
        var tf = new Dictionary<int, int>();
        for (int d = 0; d < documents.Count; d++)
        {
            tf.Clear();
            foreach (var term in documents[d])
            {
                if (!termIds.TryGetValue(term, out int id))
                {
                    id = termIds.Count;
                    termIds[term] = id;
                    postings.Add([]);
                }
                tf[id] = tf.GetValueOrDefault(id) + 1;
            }
            foreach (var (id, count) in tf.OrderBy(p => p.Key)) postings[id].Add((d, count));
            docLength[d] = documents[d].Count;
        }
        long total = docLength.Sum(l => (long)l);
        AverageLength = documents.Count == 0 ? 0 : (double)total / documents.Count;
    }

    /// <summary>k1 and b.</summary>
    public Bm25Parameters Parameters { get; }

    /// <summary>Number of documents.</summary>
    public int DocumentCount => docLength.Length;

    /// <summary>Distinct terms.</summary>
    public int TermCount => termIds.Count;

    /// <summary>Mean document length in terms.</summary>
    public double AverageLength { get; }

    /// <summary>Document frequency of a term (0 when unknown).</summary>
    public int DocumentFrequency(string term) => termIds.TryGetValue(term, out int id) ? postings[id].Count : 0;

    /// <summary>The idf of a term (<see cref="Bm25Parameters.Idf"/>); 0 for an unknown term.</summary>
    public double Idf(string term)
    {
        int df = DocumentFrequency(term);
        if (df == 0) return 0;
        return Parameters.Idf == Bm25Idf.Atire
            ? Math.Log((double)DocumentCount / df)
            : Math.Log(1 + (DocumentCount - df + 0.5) / (df + 0.5));
    }

    /// <summary>BM25 score of every document for one analysed query (0 where no term matches).</summary>
    public float[] ScoreAll(IReadOnlyList<string> queryTerms)
    {
        var scores = new float[DocumentCount];
        var touched = new bool[DocumentCount];
        Accumulate(queryTerms, scores, touched);
        return scores;
    }

    /// <summary>Top-k documents for one analysed query; <paramref name="tieKeys"/>: higher wins on equal scores.</summary>
    public Hit[] Search(IReadOnlyList<string> queryTerms, int k, IReadOnlyList<int> tieKeys)
    {
        var scores = new float[DocumentCount];
        var touched = new bool[DocumentCount];
        var docs = Accumulate(queryTerms, scores, touched);
        if (docs.Count == 0) return [];
        var heap = new TopKHeap(Math.Min(k, docs.Count));
        foreach (int d in docs) heap.Add(d, scores[d], tieKeys[d]);
        return heap.ToSortedArray();
    }

    private List<int> Accumulate(IReadOnlyList<string> queryTerms, float[] scores, bool[] touched)
    {
        var docs = new List<int>();
        double k1 = Parameters.K1, b = Parameters.B, avg = Math.Max(AverageLength, 1e-9);
        var acc = new double[DocumentCount];
        foreach (var term in queryTerms)
        {
            if (!termIds.TryGetValue(term, out int id)) continue;
            double idf = Idf(term);
            foreach (var (d, tf) in postings[id])
            {
                double norm = k1 * (1 - b + b * docLength[d] / avg);
                acc[d] += idf * tf * (k1 + 1) / (tf + norm);
                if (!touched[d]) { touched[d] = true; docs.Add(d); }
            }
        }
        foreach (int d in docs) scores[d] = (float)acc[d];
        return docs;
    }
}
