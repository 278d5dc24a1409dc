using Skald.Models.CrossEncoders;
using Skald.Retrieval.Search;

namespace Skald.Data.Negatives;

/// <summary>
/// Another scorer's candidates rescored by a cross-encoder, as <c>mine_hard_negatives(..., cross_encoder=...)</c> does:
/// each query's candidates and its positives get the cross-encoder's scores (its activation applied, as
/// <c>CrossEncoder.predict</c>: Sigmoid for a reranker, so in (0, 1)), each in its first-stage place, as the function
/// writes them over its first ranking; <see cref="HardNegativeMiner"/> ranks them by these scores as its second
/// torch.topk does (<see cref="TorchTopK"/>: equal scores in torch's order of those places), so margins,
/// <c>max_score</c> / <c>min_score</c>, the rank window and top sampling all read the cross-encoder's judgement. (sentence-transformers rescores only when a margin or max_score is
/// set; here the cross-encoder, once given, always scores.) All pairs of a run go to the model in one call, batched
/// longest first.
/// </summary>
public sealed class CrossEncoderCandidateScorer(ICandidateScorer first, CrossEncoder crossEncoder, CrossEncoderOptions? options = null) : ICandidateScorer
{
    /// <inheritdoc/>
    public string Name => $"{first.Name}, rescored by {System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(crossEncoder.Source))}";

    /// <inheritdoc/>
    public (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus,
        IReadOnlyList<int[]> positives, int k)
    {
        var (candidates, _) = first.Score(queries, corpus, positives, k);
        var pairs = new List<(string Query, string Document)>();
        for (int q = 0; q < queries.Count; q++)
        {
            foreach (var hit in candidates[q]) pairs.Add((queries[q], corpus[hit.Index]));
            foreach (int p in positives[q]) pairs.Add((queries[q], corpus[p]));
        }
        var scores = crossEncoder.Score(pairs, options);
        var rescored = new Hit[queries.Count][];
        var positiveScores = new float[queries.Count][];
        int at = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var hits = candidates[q];
            rescored[q] = [.. hits.Select((h, i) => new Hit(h.Index, scores[at + i]))]; // in the first stage's places: the miner ranks them
            at += hits.Length;
            positiveScores[q] = [.. scores.AsSpan(at, positives[q].Length).ToArray()];
            at += positives[q].Length;
        }
        return (rescored, positiveScores);
    }
}
