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

    private Bm25Index(Bm25Parameters parameters, int[] docLength)
    {
        Parameters = parameters;
        this.docLength = docLength;
        long total = docLength.Sum(l => (long)l);
        AverageLength = docLength.Length == 0 ? 0 : (double)total / docLength.Length;
    }

    private const string Magic = "skald-bm25-1";

    /// <summary>
    /// Saves the index (parameters, document lengths, terms and their postings) in a little-endian binary layout that
    /// <see cref="Read"/> loads back without re-analysing any text.
    /// </summary>
    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Parameters.K1);
        w.Write(Parameters.B);
        w.Write((int)Parameters.Idf);
        w.Write(docLength.Length);
        foreach (int l in docLength) w.Write(l);
        w.Write(termIds.Count);
        foreach (var (term, id) in termIds)
        {
            w.Write(term);
            var list = postings[id];
            w.Write(list.Count);
            foreach (var (d, tf) in list) { w.Write(d); w.Write(tf); }
        }
    }

    /// <summary>Loads an index saved by <see cref="Write"/>; a damaged file throws <see cref="EvaluationException"/> naming <paramref name="name"/>.</summary>
    public static Bm25Index Read(Stream stream, string name)
    {
        try
        {
            using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (r.ReadString() != Magic) throw new EvaluationException($"{name}: not a Skald BM25 index");
            var parameters = new Bm25Parameters(r.ReadDouble(), r.ReadDouble(), (Bm25Idf)r.ReadInt32());
            var lengths = new int[Count(r.ReadInt32())];
            for (int i = 0; i < lengths.Length; i++) lengths[i] = r.ReadInt32();
            var index = new Bm25Index(parameters, lengths);
            int terms = Count(r.ReadInt32());
            for (int t = 0; t < terms; t++)
            {
                string term = r.ReadString();
                var list = new List<(int, int)>(Count(r.ReadInt32()));
                for (int i = list.Capacity; i > 0; i--)
                {
                    int d = r.ReadInt32(), tf = r.ReadInt32();
                    if ((uint)d >= (uint)lengths.Length) throw new EvaluationException($"{name}: posting of '{term}' names document {d} of {lengths.Length}");
                    list.Add((d, tf));
                }
                index.termIds[term] = index.postings.Count;
                index.postings.Add(list);
            }
            return index;
        }
        catch (EndOfStreamException)
        {
            throw new EvaluationException($"{name}: BM25 index is truncated");
        }

        int Count(int n) => n >= 0 ? n : throw new EvaluationException($"{name}: BM25 index has a negative count");
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
