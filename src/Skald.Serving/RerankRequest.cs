namespace Skald.Serving;

/// <summary>One <c>POST /v1/rerank</c> request (<see cref="RerankRequestReader"/>).</summary>
/// <param name="Query">The query text.</param>
/// <param name="Documents">The documents to score against it, in the order given.</param>
/// <param name="TopN">How many results to answer with (all when null).</param>
/// <param name="ReturnDocuments">Whether each result carries its document's text.</param>
/// <param name="Model">The model the client named, if any.</param>
public sealed record RerankRequest(string Query, IReadOnlyList<string> Documents, int? TopN, bool ReturnDocuments, string? Model);
