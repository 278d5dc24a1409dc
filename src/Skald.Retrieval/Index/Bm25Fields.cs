using Skald.Retrieval.Bm25;

namespace Skald.Retrieval.Index;

/// <summary>
/// BM25 over an index whose documents are in several languages (<c>index build --language auto</c>): each record is
/// analysed with the stemmer of its own <see cref="IndexRecord.Language"/> into that stemmer's field of the
/// <see cref="Bm25Index"/> (a record of no known language into the unstemmed field "none"), and a query is analysed
/// once per field and searched in all of them. This is what a Lucene or Elasticsearch user builds for a mixed
/// collection (one analysed field per language, a <c>multi_match</c> over them): a Danish query word finds the Danish
/// documents through the Danish stemmer and the Swedish ones through the Swedish, without guessing a short query's
/// language. The statistics are the whole collection's, as if it were one field with each document stemmed in its own
/// language: a query word's document frequency counts the documents it matches in any field, N and the mean length
/// are the whole index's (<see cref="Bm25Index"/>), so the fields' scores are on one scale and a small field does not
/// inflate its words' idf.
/// An index of one language (<c>--language nb</c>) stays one unnamed field, its file as before.
/// </summary>
public static class Bm25Fields
{
    /// <summary>The <see cref="IndexManifest.Language"/> of an index stemmed per document.</summary>
    public const string PerDocument = "auto";

    /// <summary>The field of records in no language with a stemmer, and of every record when stemming is off.</summary>
    public const string Unstemmed = "none";

    /// <summary>The <see cref="IndexManifest.Stemming"/> of such an index (its fields are named in <c>bm25.bin</c>).</summary>
    public const string PerDocumentStemming = "snowball per document";

    /// <summary>True when <paramref name="manifest"/>'s BM25 stems each document in its own language.</summary>
    public static bool IsPerDocument(IndexManifest manifest) => manifest.Language == PerDocument;

    /// <summary>
    /// The BM25 index of <paramref name="records"/>, one field per stemmer (fields named by the Snowball algorithm, in
    /// ordinal order; "none" where a record's language has no stemmer, libstemmer is missing, or
    /// <paramref name="stem"/> is false).
    /// </summary>
    public static Bm25Index Analyse(IReadOnlyList<IndexRecord> records, Bm25Parameters parameters, bool stem) =>
        Analyse([.. records.Select(r => r.FullText)], [.. records.Select(r => r.Language)], parameters, stem);

    /// <summary>
    /// The BM25 index of <paramref name="texts"/>, each analysed in its own <paramref name="languages"/>[d] (an ISO code;
    /// null: none), one field per stemmer as for an index's records; what <c>skald evaluate --model bm25 --language auto</c>
    /// and <c>data mine-negatives --language auto</c> search (<see cref="Bm25Model"/>).
    /// </summary>
    public static Bm25Index Analyse(IReadOnlyList<string> texts, IReadOnlyList<string?> languages, Bm25Parameters parameters, bool stem)
    {
        if (languages.Count != texts.Count) throw new ArgumentException("one language per text", nameof(languages));
        var byLanguage = new Dictionary<string, Analyzer>(StringComparer.OrdinalIgnoreCase);
        Analyzer For(string? language)
        {
            string key = language ?? "";
            if (!byLanguage.TryGetValue(key, out var analyzer))
                byLanguage[key] = analyzer = new Bm25Model(new Bm25Options { Stem = stem }).AnalyzerFor(language, out _);
            return analyzer;
        }
        var analyzers = languages.Select(For).ToArray();
        string[] names = [.. analyzers.Select(Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (names.Length == 0) names = [Unstemmed];
        var fieldOf = analyzers.Select(a => Array.IndexOf(names, Name(a))).ToArray();
        var docs = new IReadOnlyList<string>[texts.Count];
        Parallel.For(0, texts.Count, d => docs[d] = analyzers[d].Analyze(texts[d]));
        return new Bm25Index(docs, fieldOf, names, parameters);
    }

    /// <summary>
    /// The analyzers of an open index's BM25 fields: <paramref name="single"/> for an index of one unnamed field, else
    /// one per field name (that Snowball algorithm's stemmer; none for "none"). A field whose stemmer cannot be made here
    /// (libstemmer missing) is an <see cref="EvaluationException"/> naming <paramref name="name"/>: its queries would
    /// find none of its stems.
    /// </summary>
    public static Analyzer[] Analyzers(Bm25Index bm25, Analyzer single, string name)
    {
        if (bm25.Fields is [""]) return [single];
        return [.. bm25.Fields.Select(f => f == Unstemmed ? new Analyzer()
            : new Analyzer(Snowball.TryCreate(f) ?? throw new EvaluationException($"{name}: BM25 field '{f}' is stemmed with Snowball {f}, which this machine lacks (install libstemmer0d)")))];
    }

    /// <summary>One query's terms for each field of an index (<see cref="Bm25Index.Search(IReadOnlyList{IReadOnlyList{string}}, int, IReadOnlyList{int})"/>).</summary>
    public static IReadOnlyList<string>[] Analyze(Analyzer[] analyzers, string query)
    {
        var terms = new IReadOnlyList<string>[analyzers.Length];
        for (int f = 0; f < analyzers.Length; f++) terms[f] = analyzers[f].Analyze(query);
        return terms;
    }

    private static string Name(Analyzer a) => a.Stemmer?.Algorithm ?? Unstemmed;
}
