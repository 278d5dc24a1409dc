using Skald.Retrieval.Bm25;
using Skald.Retrieval.Search;

namespace Skald.Data.Negatives;

/// <summary>
/// Candidates from BM25: Skald.Retrieval's <see cref="Bm25Index"/> over the passages analysed by the
/// <see cref="Bm25Model"/>'s analyzer for <paramref name="language"/> (Snowball stemming when installed).
/// </summary>
public sealed class Bm25CandidateScorer(Bm25Model model, string? language = null, Bm25Parameters? parameters = null) : ICandidateScorer
{
    /// <inheritdoc/>
    public string Name => "bm25";

    /// <inheritdoc/>
    public (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus,
        IReadOnlyList<int[]> positives, int k)
    {
        var analyzer = model.AnalyzerFor(language, out _);
        var docs = new IReadOnlyList<string>[corpus.Count];
        Parallel.For(0, corpus.Count, d => docs[d] = analyzer.Analyze(corpus[d]));
        var index = new Bm25Index(docs, parameters);
        var tie = Enumerable.Range(0, corpus.Count).Select(i => -i).ToArray(); // equal scores: earlier passage first
        var hits = new Hit[queries.Count][];
        var pos = new float[queries.Count][];
        Parallel.For(0, queries.Count, i =>
        {
            var terms = analyzer.Analyze(queries[i]);
            hits[i] = index.Search(terms, k, tie);
            var all = index.ScoreAll(terms);
            pos[i] = [.. positives[i].Select(p => all[p])];
        });
        return (hits, pos);
    }
}
