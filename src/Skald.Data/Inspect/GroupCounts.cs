namespace Skald.Data.Inspect;

/// <summary>What the groups of a FlagEmbedding file (query, pos[], neg[]) hold, per query.</summary>
/// <param name="Positives">Positives of each query.</param>
/// <param name="Negatives">Negatives of each query.</param>
/// <param name="Scores">Whether the rows carry a teacher's scores (pos_scores, neg_scores).</param>
public sealed record GroupCounts(IReadOnlyList<int> Positives, IReadOnlyList<int> Negatives, bool Scores);
