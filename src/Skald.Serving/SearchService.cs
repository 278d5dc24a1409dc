using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Serving;

/// <summary>
/// Searches an index (<see cref="SearchIndex"/>, made by <c>skald index build</c>) for <c>POST /v1/search</c>: the
/// query is embedded by the served model's <see cref="EmbeddingService"/> (the query route and prompt, as
/// <c>skald search</c> embeds it), then searched exactly as <c>skald search</c> does. The index must have been built
/// with the served model (<see cref="CheckModel(SearchIndex, Skald.Models.SentenceEncoder)"/>). The index is owned by the caller; searches may run concurrently.
/// Given a <see cref="LiveIndex"/>, each search holds the version served when it starts, so an index updated on disk
/// (<c>skald index add</c> / <c>delete</c>) is served from the next search on. Given a late-interaction model
/// (<see cref="MultiVectorEmbeddingModel"/>) instead, it searches an index of its token vectors: the query's token
/// vectors, encoded on the request's thread, scored by exact MaxSim (<see cref="SearchIndex.SearchTokens"/>). A BGE-M3
/// index (<c>skald index build --bge-m3</c>) served with its BGE-M3 folder as the model is searched with the query's
/// BGE-M3 outputs (the served encoder's transformer and the folder's heads, on the request's thread) by their weighted
/// score (<see cref="SearchIndex.SearchBgeM3"/>; the request's <c>bge_m3_weights</c>, else the server's), while <c>/v1/embeddings</c> answers
/// the dense vector.
/// </summary>
public sealed class SearchService
{
    private readonly LiveIndex live;
    private readonly MultiVectorEmbeddingModel? tokenModel;
    private readonly Lazy<Skald.Models.BgeM3.BgeM3Encoder>? bgeM3; // the served encoder's BGE-M3 heads, read at the first search of a BGE-M3 index
    private readonly Skald.Models.BgeM3.BgeM3Weights? bgeM3Weights; // a BGE-M3 index's weights when a request gives none (null: 1 per stored output)

    /// <summary>Searches <paramref name="index"/> with <paramref name="embeddings"/>' model; throws <see cref="ArgumentException"/> when they do not match.</summary>
    /// <remarks>With <paramref name="rerank"/>, requests are reranked by its cross-encoder unless they say <c>"rerank": false</c>.</remarks>
    public SearchService(EmbeddingService embeddings, SearchIndex index, RerankService? rerank = null)
        : this(embeddings, new LiveIndex(index), rerank)
    {
    }

    /// <summary>Searches the version of <paramref name="index"/> served at each request (see the class summary).</summary>
    public SearchService(EmbeddingService embeddings, LiveIndex index, RerankService? rerank = null)
    {
        CheckModel(index.Current, embeddings.Encoder);
        if (embeddings.Options.BgeM3Weights is { } weights)
        {
            if (!index.Current.IsBgeM3)
                throw new ArgumentException($"{index.Current.Folder}: default BGE-M3 weights (EmbeddingServiceOptions.BgeM3Weights) apply to a BGE-M3 index (skald index build --bge-m3), and this is not one", nameof(embeddings));
            index.Current.CheckWeights(weights);
            bgeM3Weights = weights;
        }
        Embeddings = embeddings;
        live = index;
        Reranker = rerank;
        bgeM3 = new Lazy<Skald.Models.BgeM3.BgeM3Encoder>(() => Skald.Models.BgeM3.BgeM3Encoder.Over(embeddings.Encoder));
    }

    /// <summary>
    /// Searches <paramref name="index"/>, an index of <paramref name="model"/>'s token vectors, with the queries'
    /// token vectors (<see cref="CheckModel(SearchIndex, MultiVectorEmbeddingModel)"/> first, as for a dense model).
    /// </summary>
    public SearchService(MultiVectorEmbeddingModel model, LiveIndex index, RerankService? rerank = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(index);
        CheckModel(index.Current, model);
        tokenModel = model;
        live = index;
        Reranker = rerank;
    }

    /// <summary>The late-interaction model encoding the queries, or null when <see cref="Embeddings"/> embeds them.</summary>
    public MultiVectorEmbeddingModel? TokenModel => tokenModel;

    /// <summary>The cross-encoder that reranks the hits, if any.</summary>
    public RerankService? Reranker { get; }

    /// <summary>The model embedding the queries (null when a late-interaction model encodes them: <see cref="TokenModel"/>).</summary>
    public EmbeddingService? Embeddings { get; }

    /// <summary>The index searched (the version served now).</summary>
    public SearchIndex Index => live.Current;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (one line naming both) unless <paramref name="index"/> was built with the
    /// model <paramref name="encoder"/> was loaded from (<see cref="Skald.Models.SentenceEncoder.Source"/>: an adapter
    /// folder given as the model, not its base), or a copy of it with the same files
    /// (<see cref="ModelFingerprint.Matches"/>: an index and its model moved to another machine), whose files are still
    /// those the index recorded (not trained again in place since; <see cref="ModelFingerprint.Unchanged"/>: read only
    /// when their sizes or times differ from those recorded or last verified, as <c>skald search</c> checks), and has its
    /// dimension: query vectors from another model would be compared with document vectors they have nothing in common with.
    /// A base of an adapter folder given as a hub id is read from the hub cache only, and one it no longer holds is an
    /// <see cref="ArgumentException"/> too (an index reload then keeps serving the previous version).
    /// </summary>
    public static void CheckModel(SearchIndex index, Skald.Models.SentenceEncoder encoder)
    {
        try
        {
            CheckModelFiles(index, encoder);
        }
        catch (Skald.Hub.HubException e) // a hub base the cache no longer holds (the check reads the cache only)
        {
            throw new ArgumentException($"the model of the index {index.Folder} cannot be checked: {e.Message}", e);
        }
    }

    /// <summary>
    /// <see cref="CheckModel(SearchIndex, Skald.Models.SentenceEncoder)"/> for a late-interaction model: the index must
    /// have been built with it (the same fingerprint checks) and hold its kind of token vectors of its width.
    /// </summary>
    public static void CheckModel(SearchIndex index, MultiVectorEmbeddingModel model)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(model);
        CheckFingerprint(index, model.ModelPath);
        if (index.Manifest.MultiVector != model.Kind || index.Manifest.Dimension != model.Dimension)
            throw new ArgumentException($"the index {index.Folder} holds {index.Manifest.Dimension}-value " +
                $"{(index.Manifest.MultiVector is null ? "single vectors" : $"token vectors ({index.Manifest.MultiVector})")}, the served model makes " +
                $"{model.Dimension}-value token vectors ({model.Kind}); rebuild the index");
    }

    private static void CheckModelFiles(SearchIndex index, Skald.Models.SentenceEncoder encoder)
    {
        CheckFingerprint(index, encoder.Source); // an adapter folder, not its base
        if (index.Manifest.MultiVector is not null)
            throw new ArgumentException($"the index {index.Folder} holds token vectors ({index.Manifest.MultiVector}); serve it with its late-interaction model, not a sentence embedder");
        if (index.Manifest.BgeM3 is not null && !Skald.Models.BgeM3.BgeM3Encoder.IsBgeM3(encoder.Folder.Path))
            throw new ArgumentException($"the index {index.Folder} holds BGE-M3 outputs, the served model {encoder.Folder.Path} has no BGE-M3 heads (sparse_linear.pt, colbert_linear.pt); serve the BGE-M3 folder");
        if (index.Manifest.Dimension != encoder.Dimension && !(index.Manifest.TruncateDim > 0 && index.Manifest.Dimension < encoder.Dimension))
            throw new ArgumentException($"the index {index.Folder} holds {index.Manifest.Dimension}-value vectors, the served model makes {encoder.Dimension}; rebuild the index");
    }

    private static void CheckFingerprint(SearchIndex index, string source)
    {
        string served = Path.TrimEndingDirectorySeparator(Path.GetFullPath(source));
        string built = Path.TrimEndingDirectorySeparator(Path.GetFullPath(index.Manifest.Model));
        if (!ModelFingerprint.Matches(index.Manifest, served, index.Folder))
            throw new ArgumentException($"the index {index.Folder} was built with the model {built}, not the served {served}" +
                (index.Manifest.ModelSha256 is null ? "" : " (whose files differ from it)") + "; serve that model or rebuild the index with this one");
        if (string.Equals(served, built, StringComparison.Ordinal) && !ModelFingerprint.Unchanged(index.Manifest, served, index.Folder)) // trained again in place, say
            throw new ArgumentException($"the model {served} has changed since the index {index.Folder} was built with it (its files differ); rebuild the index");
    }

    /// <summary>
    /// The hits for one request, best first, and the query's token count (0 for BM25, which embeds nothing).
    /// <paramref name="cancellationToken"/> (the client went away) cancels the query's embedding while it waits for a batch,
    /// and the reranking of its hits before the reranker's next batch.
    /// </summary>
    public async Task<(IReadOnlyList<IndexHit> Hits, long Tokens)> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        if (request.RerankAsked && Reranker is null)
            throw ApiException.BadRequest("\"rerank\": true, but this server has no reranker (start it with skald serve --reranker CE)", "rerank");
        if (request.RerankBgeM3Weights is not null) CheckRerankWeights(request);
        if (request.MaxSimCandidates > 0 && tokenModel is null)
            throw ApiException.BadRequest("maxsim_candidates applies to a late-interaction (ColBERT) index; this server's index is not one", "maxsim_candidates");
        if (bgeM3 is not null)
        {
            using var m3Lease = live.Acquire();
            if (m3Lease.Index.IsBgeM3) return await SearchBgeM3Async(request, m3Lease.Index, cancellationToken).ConfigureAwait(false);
        }
        if (request.Plaid is not null && tokenModel is null) throw NotPlaid(request.Plaid);
        if (request.BgeM3Weights is not null)
            throw ApiException.BadRequest("bge_m3_weights applies to a BGE-M3 index (skald index build --bge-m3); this server's index is not one", "bge_m3_weights");
        float[]? vector = null;
        Skald.Models.LateInteraction.TokenVectors? queryTokens = null;
        long tokens = 0;
        if (request.Mode != SearchMode.Bm25 && tokenModel is not null)
        {
            queryTokens = tokenModel.Encode([request.Query], TextRole.Query, cancellationToken)[0]; // cut to the model's query_length, as skald search does
            tokens = queryTokens.Count;
        }
        else if (request.Mode != SearchMode.Bm25)
        {
            var embedded = await Embeddings!.EmbedAsync(new EmbeddingRequest(new EmbeddingInputs([request.Query], null), request.Model, false, null)
            {
                InputType = "query",
                Truncate = true, // as skald search: a long query is cut to the model's max_seq_length, not refused
            }, cancellationToken).ConfigureAwait(false);
            vector = embedded.Embeddings[0];
            tokens = embedded.PromptTokens;
        }
        using var lease = live.Acquire();
        var index = lease.Index;
        ThrowIfCut(index);
        if (request.Plaid is not null && index.Manifest.TokenPrecision != "plaid") throw NotPlaid(request.Plaid);
        IReadOnlyList<IndexHit> Find(int k) => tokenModel is not null
            ? index.SearchTokens(request.Query, queryTokens, request.Mode, k, request.Fusion, request.Filter, request.MaxSimCandidates, request.Plaid)
            : index.Search(request.Query, vector, request.Mode, k, request.Fusion, request.RescoreMultiplier, request.Probes, request.Ef, request.Filter);
        return await RerankedAsync(request, Find, tokens, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The 400 for PLAID settings (<c>plaid_ncells</c> / <c>plaid_ndocs</c>, the one given named) over an index that is not PLAID coded.</summary>
    private static ApiException NotPlaid(Skald.Retrieval.Plaid.PlaidSearchOptions plaid)
    {
        string param = plaid.Cells > 0 ? "plaid_ncells" : "plaid_ndocs";
        return ApiException.BadRequest($"{param} applies to a PLAID index (skald index build --plaid); this server's index is not one", param);
    }

    /// <summary>
    /// A BGE-M3 index's search: the query's outputs that the request's <c>bge_m3_weights</c> use (default: the server's,
    /// <see cref="EmbeddingServiceOptions.BgeM3Weights"/>, else 1 for each output the index stores), encoded on the request's thread by the served model's transformer and heads, then
    /// <see cref="SearchIndex.SearchBgeM3"/>, as <c>skald search</c> does; weights naming an output the index does not
    /// store are a 400 naming them. The request's <c>plaid_ncells</c> / <c>plaid_ndocs</c> reach the candidate stage of an
    /// index whose ColBERT vectors are PLAID coded, as over a ColBERT PLAID index (a 400 naming the field on another).
    /// </summary>
    private async Task<(IReadOnlyList<IndexHit> Hits, long Tokens)> SearchBgeM3Async(SearchRequest request, SearchIndex index, CancellationToken cancellationToken)
    {
        if (request.Plaid is not null && index.Manifest.TokenPrecision != "plaid") throw NotPlaid(request.Plaid);
        var weights = request.BgeM3Weights ?? bgeM3Weights ?? TextIndex.DefaultWeights(index);
        try
        {
            index.CheckWeights(weights);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message.Split(" (Parameter", 2)[0], "bge_m3_weights");
        }
        Skald.Models.BgeM3.BgeM3Output? query = null;
        long tokens = 0;
        if (request.Mode != SearchMode.Bm25)
        {
            var m3 = bgeM3!.Value;
            query = m3.Encode([request.Query], new Skald.Models.EncodeOptions { BatchSize = 1 }, weights.Needed, cancellationToken)[0]; // cut to max_seq_length, as skald search does
            tokens = Math.Min(m3.Tokenizer.Encode(request.Query, true).Ids.Length, m3.DenseModel.MaxSeqLength);
        }
        ThrowIfCut(index);
        return await RerankedAsync(request, k => index.SearchBgeM3(request.Query, query, weights, request.Mode, k, request.Fusion, request.Filter, request.Plaid), tokens,
            cancellationToken).ConfigureAwait(false);
    }

    // rerank_bge_m3_weights: for a BGE-M3 reranker that reranks this search; else a 400 naming the field, before any work.
    private void CheckRerankWeights(SearchRequest request)
    {
        string? why = Reranker is null ? "this server has no reranker (skald serve --reranker BGE_M3_DIR)"
            : Reranker.BgeM3 is null ? $"this server's reranker {Reranker.ModelName} is a {(Reranker.LateInteraction is null ? "cross-encoder" : "late-interaction model")}"
            : !request.Rerank ? "this request says \"rerank\": false" : null;
        if (why is not null) throw ApiException.BadRequest($"rerank_bge_m3_weights weights a BGE-M3 reranker's scores of the hits; {why}", "rerank_bge_m3_weights");
    }

    // The hits find gives (those scoring at least the request's min_score), or with a served reranker (unless the request says no) its order of the candidates, by the
    // request's rerank_bge_m3_weights for a BGE-M3 reranker (else its own).
    private async Task<(IReadOnlyList<IndexHit> Hits, long Tokens)> RerankedAsync(SearchRequest request, Func<int, IReadOnlyList<IndexHit>> Find, long tokens,
        CancellationToken cancellationToken)
    {
        if (request.MinScore is not null)
        {
            var unfiltered = Find;
            Find = k => ScoreThreshold.Apply(unfiltered(k), request.MinScore); // before a reranker, as skald search --min-score
        }
        if (Reranker is null || !request.Rerank) return (Find(request.TopK), tokens);
        var candidates = Find(Math.Max(request.TopK, request.RerankCandidates));
        if (candidates.Count == 0) return (candidates, tokens);
        var (ranked, read) = await Reranker.RankAsync(request.Query, [.. candidates.Select(h => h.Record.FullText)], request.TopK, cancellationToken,
            request.RerankBgeM3Weights)
            .ConfigureAwait(false);
        return ([.. ranked.Select(r => candidates[r.Index] with { Score = r.Score, ScaledScore = null })], tokens + read); // the cross-encoder's score: no fusion to scale
    }

    /// <summary>
    /// Why searches fail now, or null when the served index can be searched: the line naming a mapped file cut shorter in
    /// place (what a search would answer 503 with). One <c>fstat</c> per mapped file, so <c>/health</c> may ask it at
    /// every check; nothing is logged.
    /// </summary>
    public string? IndexError()
    {
        using var lease = live.Acquire();
        try
        {
            lease.Index.ThrowIfCut();
            return null;
        }
        catch (Skald.Retrieval.EvaluationException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// A mapped file of the served index cut shorter in place by another process (<see cref="SearchIndex.ThrowIfCut"/>)
    /// is a 503 whose message names the file, with <c>Retry-After</c>: the searches fail until the file is whole again or
    /// the index is rebuilt (which <see cref="LiveIndex"/> then serves); the server's other endpoints go on. The line goes
    /// to the server's log too (standard error), as a request's failure does, so the operator sees which file.
    /// </summary>
    private static void ThrowIfCut(SearchIndex index)
    {
        try
        {
            index.ThrowIfCut();
        }
        catch (Skald.Retrieval.EvaluationException e)
        {
            Console.Error.WriteLine($"skald serve: search: {e.Message}");
            throw new ApiException(503, e.Message, "server_error");
        }
    }
}
