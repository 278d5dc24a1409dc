using Skald.Retrieval.Search;

namespace Skald.Data.Negatives;

/// <summary>Scores corpus passages against queries for mining: the top candidates of each query and the scores of its positives.</summary>
public interface ICandidateScorer
{
    /// <summary>What scores (model name, or bm25).</summary>
    string Name { get; }

    /// <summary>
    /// For each query, its <paramref name="k"/> best corpus rows (best first, or a first stage's order rescored: the miner
    /// ranks them by score either way, <see cref="TorchTopK"/>) and the score of each of its
    /// <paramref name="positives"/> (corpus rows), on the same scale.
    /// </summary>
    (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus,
        IReadOnlyList<int[]> positives, int k);
}
