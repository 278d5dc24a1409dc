namespace Skald.Serving;

/// <summary>One <c>POST /v1/rerank</c> request (<see cref="RerankRequestReader"/>).</summary>
/// <param name="Query">The query text.</param>
/// <param name="Documents">The documents to score against it, in the order given.</param>
/// <param name="TopN">How many results to answer with (all when null).</param>
/// <param name="ReturnDocuments">Whether each result carries its document's text.</param>
/// <param name="Model">The model the client named, if any.</param>
/// <param name="BgeM3Weights">
/// A BGE-M3 reranker: how this request's scores are combined (request field <c>bge_m3_weights</c>: [dense, sparse,
/// colbert], FlagEmbedding's compute_score <c>weights_for_different_modes</c>, which it takes per call); null: the
/// reranker's own.
/// </param>
public sealed record RerankRequest(string Query, IReadOnlyList<string> Documents, int? TopN, bool ReturnDocuments, string? Model,
    Skald.Models.BgeM3.BgeM3Weights? BgeM3Weights = null);
