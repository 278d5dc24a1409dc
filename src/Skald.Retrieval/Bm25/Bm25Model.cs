using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Bm25;

/// <summary>
/// Okapi BM25 over title + text with the Scandinavian-aware <see cref="Analyzer"/>, usable as a "model" in every
/// retrieval task. The index of the last corpus is kept, so several query sets over one corpus index it once.
/// A task in language "auto" (<see cref="Bm25Fields.PerDocument"/>) stems each document in its own language
/// (<see cref="Bm25Options.DocumentLanguage"/>) into one field per stemmer and analyses each query once per field, as an
/// index built with <c>--language auto</c> does (<see cref="Bm25Fields"/>); so does a task whose language lists several
/// (<see cref="StemmingLanguage"/>).
/// </summary>
public sealed class Bm25Model(Bm25Options? options = null) : IRetrievalModel, ICandidateScorer
{
    private readonly Bm25Options options = options ?? new Bm25Options();
    private readonly Dictionary<string, string> metadata = [];
    private (IReadOnlyList<CorpusDocument> Corpus, string? Algorithm, Bm25Index Index, Analyzer[] Analyzers)? last;

    /// <inheritdoc/>
    public string Name => options.Name;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <summary>The analyzer this model uses for a language (stemmer when available).</summary>
    public Analyzer AnalyzerFor(string? language, out string stemming)
    {
        string? algorithm = options.Stem ? options.StemmerOverride ?? Snowball.AlgorithmFor(language) : null;
        Snowball? stemmer = algorithm is null ? null : Snowball.TryCreate(algorithm);
        stemming = algorithm is null ? "none" : stemmer is null
            ? $"none (libstemmer not installed; wanted snowball {algorithm})"
            : $"snowball {algorithm}";
        return new Analyzer(stemmer);
    }

    /// <summary>
    /// The language BM25 stems a task of <paramref name="taskLanguage"/> in: "auto" (<see cref="Bm25Fields.PerDocument"/>:
    /// each document in its own) for a task whose language lists codes of more than one stemmer, comma-separated as a
    /// suite names a mixed task ("nb,nn,da,sv"), when <paramref name="detects"/> (a <see cref="Bm25Options.DocumentLanguage"/>
    /// is given; without one such a task stays unstemmed); the first code of a list of one stemmer's codes ("nb,nn");
    /// any other value as given ("auto" too, which without a detector is refused by <see cref="Build"/>).
    /// </summary>
    public static string? StemmingLanguage(string? taskLanguage, bool detects)
    {
        if (taskLanguage is null || !taskLanguage.Contains(',', StringComparison.Ordinal)) return taskLanguage;
        var codes = taskLanguage.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (codes.Length == 0) return null;
        return codes.Select(Snowball.AlgorithmFor).Distinct().Count() == 1 ? codes[0] : detects ? Bm25Fields.PerDocument : taskLanguage;
    }

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        var (index, analyzers) = IndexFor(corpus, StemmingLanguage(language, options.DocumentLanguage is not null));
        var tie = TieKeys.For(corpus);
        var results = new Hit[queries.Count][];
        Parallel.For(0, queries.Count, i => results[i] = index.Search(Bm25Fields.Analyze(analyzers, queries[i]), topK, tie));
        return results;
    }

    /// <summary>
    /// BM25 scores of each query's candidates, with the whole corpus's statistics (a candidate sharing no term with the
    /// query scores 0).
    /// </summary>
    public float[][] ScoreCandidates(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, string? language)
    {
        var all = Search(corpus, queries, corpus.Count, language);
        return [.. candidates.Select((c, qi) =>
        {
            var byDoc = all[qi].ToDictionary(h => h.Index, h => h.Score);
            return c.Select(d => byDoc.GetValueOrDefault(d)).ToArray();
        })];
    }

    /// <summary>
    /// The BM25 index of <paramref name="texts"/> for <paramref name="language"/> and the analyzers of its fields (one
    /// unless the language is "auto", <see cref="Bm25Fields.Analyze"/> gives a query's terms for them);
    /// <paramref name="parameters"/> overrides the options' k1 and b. "auto" without a
    /// <see cref="Bm25Options.DocumentLanguage"/> is an <see cref="EvaluationException"/>.
    /// </summary>
    public (Bm25Index Index, Analyzer[] Analyzers) Build(IReadOnlyList<string> texts, string? language, Bm25Parameters? parameters = null)
    {
        var p = parameters ?? options.Parameters;
        if (language == Bm25Fields.PerDocument)
        {
            var detect = options.DocumentLanguage ?? throw new EvaluationException("BM25 language auto stems each document in its own language, and this caller detects none");
            var languages = new string?[texts.Count];
            Parallel.For(0, texts.Count, d => languages[d] = detect(texts[d]));
            bool stem = options.Stem && Snowball.IsAvailable;
            var fields = Bm25Fields.Analyse(texts, languages, p, stem);
            metadata["stemming"] = stem ? Bm25Fields.PerDocumentStemming : Bm25Fields.Unstemmed;
            return (fields, Bm25Fields.Analyzers(fields, new Analyzer(), "BM25"));
        }
        var analyzer = AnalyzerFor(language, out var stemming);
        var docs = new IReadOnlyList<string>[texts.Count];
        Parallel.For(0, texts.Count, d => docs[d] = analyzer.Analyze(texts[d]));
        metadata["stemming"] = stemming;
        return (new Bm25Index(docs, p), [analyzer]);
    }

    private (Bm25Index, Analyzer[]) IndexFor(IReadOnlyList<CorpusDocument> corpus, string? language)
    {
        string? key = language == Bm25Fields.PerDocument ? Bm25Fields.PerDocument
            : options.Stem ? options.StemmerOverride ?? Snowball.AlgorithmFor(language) : null;
        if (last is { } l && ReferenceEquals(l.Corpus, corpus) && l.Algorithm == key) return (l.Index, l.Analyzers);
        var (index, analyzers) = Build([.. corpus.Select(d => d.FullText)], language);
        last = (corpus, key, index, analyzers);
        metadata["k1"] = options.Parameters.K1.ToString(System.Globalization.CultureInfo.InvariantCulture);
        metadata["b"] = options.Parameters.B.ToString(System.Globalization.CultureInfo.InvariantCulture);
        metadata["idf"] = options.Parameters.Idf.ToString().ToLowerInvariant();
        metadata["fields"] = "title + text";
        return (index, analyzers);
    }
}
