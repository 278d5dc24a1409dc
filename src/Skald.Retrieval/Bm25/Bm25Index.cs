using Skald.Retrieval.Search;

namespace Skald.Retrieval.Bm25;

/// <summary>
/// An inverted index scored with Okapi BM25:
/// score(q, d) = Σ over query terms t (each occurrence) of idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avgdl)),
/// idf(t) = ln(N/df) (ATIRE) or ln(1 + (N − df + 0.5)/(df + 0.5)) (Lucene); see <see cref="Bm25Idf"/>. Only documents sharing a term with the
/// query are returned. Ties are broken by the caller's tie keys (trec_eval: document id descending).
/// An index may hold several <em>fields</em>, one per language of a mixed collection (each document in exactly one,
/// analysed with its own stemmer), as a Lucene/Elasticsearch index holds one analysed field per language: a query,
/// analysed once per field with that field's analyzer, is scored against every field (a document's score comes from
/// its own field alone). The statistics are those of the whole collection seen as one field in which every document
/// is stemmed in its own language: a query word's document frequency is the number of documents it matches in their
/// own field (the sum over the fields of the frequency of its stem there), N and avgdl are the whole index's. As the
/// fields partition the documents, this is what Elasticsearch's <c>combined_fields</c> (BM25F) takes for them, and a
/// collection of one language scores exactly as that language's one field. Lucene's own per-field statistics (each
/// field's docCount and avgdl, BM25Similarity at apache/lucene 93df031c, which a <c>multi_match</c> over language
/// fields gives) and a mix of per-field frequencies with the whole index's N (Skald's before 2026-12) both scored
/// lower on the Scandinavian tasks (docs/performance.md, 2026-12-07): a small field inflates its words' idf.
/// </summary>
public sealed class Bm25Index
{
    private readonly Dictionary<string, int>[] termIds; // per field
    private readonly List<List<(int Doc, int Tf)>> postings = [];
    private readonly int[] docLength;
    private readonly byte[]? fieldOf; // null: one field
    private readonly string[] fields;

    /// <summary>The most fields (languages) an index holds.</summary>
    public const int MaxFields = 255;

    /// <summary>Indexes documents (already analysed into terms) as one field.</summary>
    public Bm25Index(IReadOnlyList<IReadOnlyList<string>> documents, Bm25Parameters? parameters = null)
        : this(documents, null, [""], parameters)
    {
    }

    /// <summary>
    /// Indexes documents (already analysed into terms) into fields: document d belongs to field
    /// <paramref name="fieldOf"/>[d] of <paramref name="fieldNames"/> (null: all to the one field; names are the fields'
    /// analyzers, e.g. a Snowball algorithm, stored with the index).
    /// </summary>
    public Bm25Index(IReadOnlyList<IReadOnlyList<string>> documents, IReadOnlyList<int>? fieldOf, IReadOnlyList<string> fieldNames, Bm25Parameters? parameters = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(fieldNames.Count, nameof(fieldNames));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fieldNames.Count, MaxFields, nameof(fieldNames));
        if (fieldOf is not null && fieldOf.Count != documents.Count) throw new ArgumentException("one field per document", nameof(fieldOf));
        Parameters = parameters ?? new Bm25Parameters();
        fields = [.. fieldNames];
        termIds = [.. fields.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal))];
        docLength = new int[documents.Count];
        this.fieldOf = fieldOf is null ? null : new byte[documents.Count];
        var tf = new Dictionary<int, int>();
        for (int d = 0; d < documents.Count; d++)
        {
            int f = fieldOf?[d] ?? 0;
            if ((uint)f >= (uint)fields.Length) throw new ArgumentOutOfRangeException(nameof(fieldOf), f, $"document {d}'s field is not one of {fields.Length}");
            if (this.fieldOf is not null) this.fieldOf[d] = (byte)f;
            var ids = termIds[f];
            tf.Clear();
            foreach (var term in documents[d])
            {
                if (!ids.TryGetValue(term, out int id))
                {
                    id = postings.Count;
                    ids[term] = id;
                    postings.Add([]);
                }
                tf[id] = tf.GetValueOrDefault(id) + 1;
            }
            foreach (var (id, count) in tf.OrderBy(p => p.Key)) postings[id].Add((d, count));
            docLength[d] = documents[d].Count;
        }
        AverageLength = Average(docLength);
    }

    private Bm25Index(Bm25Parameters parameters, int[] docLength, byte[]? fieldOf, string[] fields)
    {
        Parameters = parameters;
        this.docLength = docLength;
        this.fieldOf = fieldOf;
        this.fields = fields;
        termIds = [.. fields.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal))];
        AverageLength = Average(docLength);
    }

    private static double Average(int[] docLength) => docLength.Length == 0 ? 0 : (double)docLength.Sum(l => (long)l) / docLength.Length;

    private const string Magic = "skald-bm25-1";
    private const string FieldsMagic = "skald-bm25-2";

    /// <summary>
    /// Saves the index (parameters, document lengths, terms and their postings) in a little-endian binary layout that
    /// <see cref="Read"/> loads back without re-analysing any text. An index of one field made without field names
    /// (<see cref="Bm25Index(IReadOnlyList{IReadOnlyList{string}}, Bm25Parameters?)"/>) is written as format 1, byte for
    /// byte as before fields existed; an index with fields as format 2 (their names, each document's field, then each
    /// term with its field).
    /// </summary>
    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        bool plain = fieldOf is null && fields is [""];
        w.Write(plain ? Magic : FieldsMagic);
        w.Write(Parameters.K1);
        w.Write(Parameters.B);
        w.Write((int)Parameters.Idf);
        if (!plain)
        {
            w.Write(fields.Length);
            foreach (string f in fields) w.Write(f);
        }
        w.Write(docLength.Length);
        foreach (int l in docLength) w.Write(l);
        if (!plain)
            for (int d = 0; d < docLength.Length; d++) w.Write(fieldOf?[d] ?? (byte)0);
        w.Write(termIds.Sum(t => t.Count));
        for (int f = 0; f < fields.Length; f++)
            foreach (var (term, id) in termIds[f])
            {
                if (!plain) w.Write((byte)f);
                w.Write(term);
                var list = postings[id];
                w.Write(list.Count);
                foreach (var (d, tf) in list) { w.Write(d); w.Write(tf); }
            }
    }

    /// <summary>Loads an index saved by <see cref="Write"/> (format 1 or 2); a damaged file throws <see cref="EvaluationException"/> naming <paramref name="name"/>.</summary>
    public static Bm25Index Read(Stream stream, string name)
    {
        try
        {
            using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            string magic = r.ReadString();
            if (magic is not (Magic or FieldsMagic)) throw new EvaluationException($"{name}: not a Skald BM25 index");
            bool plain = magic == Magic;
            var parameters = new Bm25Parameters(r.ReadDouble(), r.ReadDouble(), (Bm25Idf)r.ReadInt32());
            string[] fields = [""];
            if (!plain)
            {
                int n = Count(r.ReadInt32());
                if (n is 0 or > MaxFields) throw new EvaluationException($"{name}: BM25 index has {n} fields (1 to {MaxFields})");
                fields = new string[n];
                for (int f = 0; f < n; f++) fields[f] = r.ReadString();
            }
            var lengths = new int[Count(r.ReadInt32())];
            for (int i = 0; i < lengths.Length; i++) lengths[i] = r.ReadInt32();
            byte[]? fieldOf = plain ? null : r.ReadBytes(lengths.Length);
            if (fieldOf is not null && fieldOf.Length < lengths.Length) throw new EndOfStreamException();
            if (fieldOf?.FirstOrDefault(f => f >= fields.Length) is > 0 and var bad) throw new EvaluationException($"{name}: a document's field {bad} is not one of {fields.Length}");
            var index = new Bm25Index(parameters, lengths, fieldOf, fields);
            int terms = Count(r.ReadInt32());
            for (int t = 0; t < terms; t++)
            {
                int f = plain ? 0 : r.ReadByte();
                if (f >= fields.Length) throw new EvaluationException($"{name}: a term's field {f} is not one of {fields.Length}");
                string term = r.ReadString();
                var list = new List<(int, int)>(Count(r.ReadInt32()));
                for (int i = list.Capacity; i > 0; i--)
                {
                    int d = r.ReadInt32(), tf = r.ReadInt32();
                    if ((uint)d >= (uint)lengths.Length) throw new EvaluationException($"{name}: posting of '{term}' names document {d} of {lengths.Length}");
                    list.Add((d, tf));
                }
                index.termIds[f][term] = index.postings.Count;
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

    /// <summary>Distinct terms (of all fields).</summary>
    public int TermCount => termIds.Sum(t => t.Count);

    /// <summary>The fields' names (an index of one unnamed field: [""]).</summary>
    public IReadOnlyList<string> Fields => fields;

    /// <summary>The field document <paramref name="document"/> belongs to.</summary>
    public int FieldOf(int document) => fieldOf?[document] ?? 0;

    /// <summary>Mean document length in terms (of all fields).</summary>
    public double AverageLength { get; }

    /// <summary>Document frequency of a term in a field (0 when unknown).</summary>
    public int DocumentFrequency(string term, int field = 0) => termIds[field].TryGetValue(term, out int id) ? postings[id].Count : 0;

    /// <summary>The idf of a term of an index of one field (<see cref="Bm25Parameters.Idf"/>); 0 for an unknown term.</summary>
    public double Idf(string term) => Idf([term]);

    /// <summary>
    /// The idf of one query word given its term in each field (<paramref name="termByField"/>[f] by field f's analyzer):
    /// from its document frequency summed over the fields and N of the whole index; 0 when no field knows it.
    /// </summary>
    public double Idf(IReadOnlyList<string> termByField)
    {
        if (termByField.Count != fields.Length) throw new ArgumentException($"one term per field ({fields.Length})", nameof(termByField));
        int df = 0;
        for (int f = 0; f < fields.Length; f++) df += DocumentFrequency(termByField[f], f);
        return df == 0 ? 0 : Idf(df);
    }

    private double Idf(int df) => Parameters.Idf == Bm25Idf.Atire
        ? Math.Log((double)DocumentCount / df)
        : Math.Log(1 + (DocumentCount - df + 0.5) / (df + 0.5));

    /// <summary>BM25 score of every document for one analysed query (0 where no term matches); an index of one field.</summary>
    public float[] ScoreAll(IReadOnlyList<string> queryTerms) => ScoreAll(Single(queryTerms));

    /// <summary>BM25 score of every document for a query analysed once per field (0 where no term matches).</summary>
    public float[] ScoreAll(IReadOnlyList<IReadOnlyList<string>> queryTermsByField)
    {
        var scores = new float[DocumentCount];
        var touched = new bool[DocumentCount];
        Accumulate(queryTermsByField, scores, touched);
        return scores;
    }

    /// <summary>Top-k documents for one analysed query (an index of one field); <paramref name="tieKeys"/>: higher wins on equal scores.</summary>
    public Hit[] Search(IReadOnlyList<string> queryTerms, int k, IReadOnlyList<int> tieKeys) => Search(Single(queryTerms), k, tieKeys);

    /// <summary>
    /// Top-k documents for a query analysed once per field (<paramref name="queryTermsByField"/>[f] with field f's
    /// analyzer; one list per <see cref="Fields"/>); <paramref name="tieKeys"/>: higher wins on equal scores.
    /// </summary>
    public Hit[] Search(IReadOnlyList<IReadOnlyList<string>> queryTermsByField, int k, IReadOnlyList<int> tieKeys)
    {
        var scores = new float[DocumentCount];
        var touched = new bool[DocumentCount];
        var docs = Accumulate(queryTermsByField, scores, touched);
        if (docs.Count == 0) return [];
        var heap = new TopKHeap(Math.Min(k, docs.Count));
        foreach (int d in docs) heap.Add(d, scores[d], tieKeys[d]);
        return heap.ToSortedArray();
    }

    private IReadOnlyList<IReadOnlyList<string>> Single(IReadOnlyList<string> queryTerms) =>
        fields.Length == 1 ? [queryTerms] : throw new InvalidOperationException($"this BM25 index has {fields.Length} fields: analyse the query once per field");

    /// <summary>
    /// Adds each query word's BM25 terms to the documents holding it. Term i of every field's list is the same query word
    /// (the fields' analyzers keep every token, so the lists align); its idf counts the documents of all fields.
    /// </summary>
    private List<int> Accumulate(IReadOnlyList<IReadOnlyList<string>> queryTermsByField, float[] scores, bool[] touched)
    {
        if (queryTermsByField.Count != fields.Length) throw new ArgumentException($"one term list per field ({fields.Length})", nameof(queryTermsByField));
        int words = queryTermsByField[0].Count;
        for (int f = 1; f < fields.Length; f++)
            if (queryTermsByField[f].Count != words) throw new ArgumentException("the fields' term lists of a query must align, term i of each being the same query word", nameof(queryTermsByField));
        var docs = new List<int>();
        double k1 = Parameters.K1, b = Parameters.B, avg = Math.Max(AverageLength, 1e-9);
        var acc = new double[DocumentCount];
        Span<int> ids = stackalloc int[fields.Length];
        for (int i = 0; i < words; i++)
        {
            int df = 0;
            for (int f = 0; f < fields.Length; f++)
            {
                ids[f] = -1;
                if (!termIds[f].TryGetValue(queryTermsByField[f][i], out int id)) continue;
                ids[f] = id;
                df += postings[id].Count;
            }
            if (df == 0) continue;
            double idf = Idf(df);
            for (int f = 0; f < fields.Length; f++)
            {
                if (ids[f] < 0) continue;
                foreach (var (d, tf) in postings[ids[f]])
                {
                    double norm = k1 * (1 - b + b * docLength[d] / avg);
                    acc[d] += idf * tf * (k1 + 1) / (tf + norm);
                    if (!touched[d]) { touched[d] = true; docs.Add(d); }
                }
            }
        }
        foreach (int d in docs) scores[d] = (float)acc[d];
        return docs;
    }
}
