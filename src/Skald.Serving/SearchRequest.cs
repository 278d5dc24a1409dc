using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Serving;

/// <summary>A parsed <c>POST /v1/search</c> body (Skald's own endpoint; <see cref="SearchRequestReader"/> reads it).</summary>
/// <param name="Query">The query text (not empty).</param>
/// <param name="TopK">Hits to return (<c>top_k</c>, or <c>k</c>).</param>
/// <param name="Mode">Dense, BM25 or hybrid (<c>mode</c>; default hybrid, as <c>skald search</c>).</param>
/// <param name="Fusion">Hybrid fusion (<c>fusion</c>, <c>alpha</c>, <c>normalization</c>, <c>rrf_k</c>, <c>candidates</c>).</param>
/// <param name="Model">The model the client named (any name is accepted; responses name the served model).</param>
/// <param name="Rerank">Whether a served reranker (<see cref="SearchService.Reranker"/>) orders the hits (request field <c>rerank</c>).</param>
/// <param name="RerankCandidates">How many hits the reranker scores (<c>rerank_candidates</c>).</param>
/// <param name="RescoreMultiplier">An index of quantized embeddings: dense hits rescored from the best k·this
/// (<c>rescore_multiplier</c>; 0: the quantized scores).</param>
/// <param name="Probes">An IVF index: lists dense search scans (<c>probes</c>; 0: the index's default).</param>
/// <param name="Ef">An HNSW index: candidates dense search keeps (<c>ef</c>; 0: the index's default).</param>
public sealed record SearchRequest(string Query, int TopK, SearchMode Mode, FusionOptions Fusion, string? Model,
    bool Rerank = true, int RerankCandidates = SearchRequest.DefaultRerankCandidates,
    int RescoreMultiplier = SearchRequest.DefaultRescoreMultiplier, int Probes = 0, int Ef = 0)
{
    /// <summary>The rescoring depth of a quantized index unless the request says (sentence-transformers' default).</summary>
    public const int DefaultRescoreMultiplier = 2;

    /// <summary>How many hits a served reranker scores unless the request says (<c>rerank_candidates</c>).</summary>
    public const int DefaultRerankCandidates = 50;

    /// <summary>
    /// The request said <c>"rerank": true</c> (not the default): a server without a reranker answers it with a 400
    /// rather than hits in another order than asked for.
    /// </summary>
    public bool RerankAsked { get; init; }

    /// <summary>The least score a hit keeps (request field <c>min_score</c>, <see cref="ScoreThreshold"/>): mode dense or bm25 only; null: none.</summary>
    public double? MinScore { get; init; }

    /// <summary>
    /// Only hits this passes (request fields <c>source</c>: a pattern or an array of them, and <c>where</c>: an object of
    /// field → value, array of values, or object of comparisons such as <c>{"gte": 2020}</c>); null: all.
    /// </summary>
    public IndexFilter? Filter { get; init; }

    /// <summary>
    /// A BGE-M3 index: how its scores are combined (request field <c>bge_m3_weights</c>: [dense, sparse, colbert]); null: the
    /// server's (<see cref="EmbeddingServiceOptions.BgeM3Weights"/>), else 1 for each output the index stores.
    /// </summary>
    public Skald.Models.BgeM3.BgeM3Weights? BgeM3Weights { get; init; }

    /// <summary>
    /// A served BGE-M3 reranker (<see cref="SearchService.Reranker"/>): how it combines its scores of this search's hits
    /// (request field <c>rerank_bge_m3_weights</c>: [dense, sparse, colbert]), as <c>/v1/rerank</c>'s
    /// <c>bge_m3_weights</c>; null: the reranker's own (<see cref="RerankService.BgeM3Weights"/>). Apart from
    /// <see cref="BgeM3Weights"/>, the index's.
    /// </summary>
    public Skald.Models.BgeM3.BgeM3Weights? RerankBgeM3Weights { get; init; }

    /// <summary>
    /// A late-interaction (ColBERT) index: score by exact MaxSim only the rows whose mean token vector is nearest the
    /// query's, this many (request field <c>maxsim_candidates</c>, as <c>skald search --maxsim-candidates</c>); 0: every row.
    /// </summary>
    public int MaxSimCandidates { get; init; }

    /// <summary>
    /// A PLAID index (<c>skald index build --plaid</c>): its search settings (request fields <c>plaid_ncells</c> and
    /// <c>plaid_ndocs</c>, as <c>skald search --plaid-ncells / --plaid-ndocs</c>); null: ColBERTv2's defaults for the k asked.
    /// </summary>
    public Skald.Retrieval.Plaid.PlaidSearchOptions? Plaid { get; init; }
}
