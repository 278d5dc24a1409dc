using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Bm25;

/// <summary>
/// Okapi BM25 over title + text with the Scandinavian-aware <see cref="Analyzer"/>, usable as a "model" in every
/// retrieval task. The index of the last corpus is kept, so several query sets over one corpus index it once.
/// </summary>
public sealed class Bm25Model(Bm25Options? options = null) : IRetrievalModel, ICandidateScorer
{
    private readonly Bm25Options options = options ?? new Bm25Options();
    private readonly Dictionary<string, string> metadata = [];
    private (IReadOnlyList<CorpusDocument> Corpus, string? Algorithm, Bm25Index Index, Analyzer Analyzer)? last;

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

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        var (index, analyzer) = IndexFor(corpus, language);
        var tie = TieKeys.For(corpus);
        var results = new Hit[queries.Count][];
        Parallel.For(0, queries.Count, i => results[i] = index.Search(analyzer.Analyze(queries[i]), topK, tie));
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

    private (Bm25Index, Analyzer) IndexFor(IReadOnlyList<CorpusDocument> corpus, string? language)
    {
        var analyzer = AnalyzerFor(language, out var stemming);
        if (last is { } l && ReferenceEquals(l.Corpus, corpus) && l.Algorithm == analyzer.Stemmer?.Algorithm) return (l.Index, l.Analyzer);
        var docs = new IReadOnlyList<string>[corpus.Count];
        Parallel.For(0, corpus.Count, d => docs[d] = analyzer.Analyze(corpus[d].FullText));
        var index = new Bm25Index(docs, options.Parameters);
        last = (corpus, analyzer.Stemmer?.Algorithm, index, analyzer);
        metadata["stemming"] = stemming;
        metadata["k1"] = options.Parameters.K1.ToString(System.Globalization.CultureInfo.InvariantCulture);
        metadata["b"] = options.Parameters.B.ToString(System.Globalization.CultureInfo.InvariantCulture);
        metadata["idf"] = options.Parameters.Idf.ToString().ToLowerInvariant();
        metadata["fields"] = "title + text";
        return (index, analyzer);
    }
}
