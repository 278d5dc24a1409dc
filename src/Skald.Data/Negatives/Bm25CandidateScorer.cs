using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Data.Negatives;

/// <summary>
/// Candidates from BM25: Skald.Retrieval's <see cref="Bm25Index"/> over the passages analysed by the
/// <see cref="Bm25Model"/>'s analyzer for <paramref name="language"/> (Snowball stemming when installed); with
/// "auto" (<see cref="Bm25Fields.PerDocument"/>) each passage in its own language, one field per stemmer, each query
/// analysed once per field (<see cref="Bm25Model.Build"/>).
/// </summary>
public sealed class Bm25CandidateScorer(Bm25Model model, string? language = null, Bm25Parameters? parameters = null) : ICandidateScorer
{
    /// <inheritdoc/>
    public string Name => "bm25";

    /// <inheritdoc/>
    public (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus,
        IReadOnlyList<int[]> positives, int k)
    {
        var (index, analyzers) = model.Build(corpus, language, parameters);
        var tie = Enumerable.Range(0, corpus.Count).Select(i => -i).ToArray(); // equal scores: earlier passage first
        var hits = new Hit[queries.Count][];
        var pos = new float[queries.Count][];
        Parallel.For(0, queries.Count, i =>
        {
            var terms = Bm25Fields.Analyze(analyzers, queries[i]);
            hits[i] = index.Search(terms, k, tie);
            var all = index.ScoreAll(terms);
            pos[i] = [.. positives[i].Select(p => all[p])];
        });
        return (hits, pos);
    }
}
