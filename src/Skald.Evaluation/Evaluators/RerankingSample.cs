namespace Skald.Evaluation.Evaluators;

/// <summary>
/// One query of sentence-transformers' CrossEncoderRerankingEvaluator: <c>{"query", "positive", "negative"}</c>, or
/// <c>{"query", "positive", "documents"}</c> where the documents are a first stage's list, best first, holding the
/// positives or not. Exactly one of <paramref name="Negative"/> and <paramref name="Documents"/> is given.
/// </summary>
/// <param name="Query">The query's text.</param>
/// <param name="Positive">The relevant documents' texts.</param>
/// <param name="Negative">Documents that are not relevant (null with <paramref name="Documents"/>).</param>
/// <param name="Documents">A first stage's documents, best first (null with <paramref name="Negative"/>).</param>
public sealed record RerankingSample(string Query, IReadOnlyList<string> Positive, IReadOnlyList<string>? Negative = null,
    IReadOnlyList<string>? Documents = null);
