namespace Skald.Evaluation.Evaluators;

/// <summary>
/// One query's ranked documents from one retriever, as sentence-transformers' ReciprocalRankFusionEvaluator takes its
/// <c>dense_samples</c> and <c>sparse_samples</c>: <c>{"query_id", "query", "positive", "documents"}</c>.
/// </summary>
/// <param name="QueryId">The query's id, the same in both lists at the same place.</param>
/// <param name="Query">The query's text.</param>
/// <param name="Positive">The relevant documents (texts or ids, as <paramref name="Documents"/> names them).</param>
/// <param name="Documents">The retriever's documents, best first.</param>
public sealed record FusionSample(string QueryId, string Query, IReadOnlyList<string> Positive, IReadOnlyList<string> Documents);
