using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Tokenizers;

namespace Skald.Serving;

/// <summary>
/// Scores documents against a query with a cross-encoder for <c>POST /v1/rerank</c> (and reranks <c>/v1/search</c>'s
/// candidates). Each request's pairs are tokenized once (cut longest first to the model's length, as
/// sentence-transformers does), scored in the model's batches and ordered best first, equal scores in the order given.
/// Requests may arrive concurrently: the model runs one batch at a time, and the batches of concurrent requests take
/// turns, first come first served, so a short request is not stuck behind a long one. A request waiting for its turn
/// holds no thread (a flood of reranks cannot starve the server's other endpoints, <c>/health</c> included), one whose
/// caller went away stops before its next batch, and more than <see cref="MaxQueue"/> requests at once are a 503.
/// A late-interaction model (<see cref="IMultiVectorEncoder"/>: ColBERT) reranks too: the query's and documents' token
/// vectors are encoded in the same turns and each document scored by MaxSim (<see cref="ColbertEncoder.Rank"/>'s scores);
/// so does BGE-M3 (<see cref="Skald.Models.BgeM3.BgeM3Encoder"/>), each document scored by its weighted combination of scores.
/// </summary>
public sealed class RerankService
{
    private readonly CrossEncoder? crossEncoder;
    private readonly IMultiVectorEncoder? lateInteraction;
    private readonly Skald.Models.BgeM3.BgeM3Encoder? bgeM3;
    private readonly Skald.Models.BgeM3.BgeM3Weights bgeM3Weights;

    private readonly SemaphoreSlim turn = new(1, 1); // one batch of the model at a time; waiters queue in order, asynchronously
    private int pending;

    /// <summary>Serves <paramref name="model"/> under <paramref name="name"/> (default: <see cref="ModelNames.Of"/> its folder: org/name for a hub snapshot).</summary>
    public RerankService(CrossEncoder model, string? name = null, int maxDocuments = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.NumLabels != 1)
            throw new ArgumentException($"{model.Source}: a classifier with {model.NumLabels} labels ({string.Join(", ", model.Config.Labels)}), not a reranker (one score per pair)", nameof(model));
        crossEncoder = model;
        ModelName = name ?? ModelNames.Of(model.Source);
        MaxDocuments = maxDocuments;
    }

    /// <summary>Serves the late-interaction <paramref name="model"/> (ColBERT) under <paramref name="name"/>: documents scored by MaxSim against the query.</summary>
    public RerankService(IMultiVectorEncoder model, string? name = null, int maxDocuments = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        lateInteraction = model;
        ModelName = name ?? ModelNames.Of(model.Source);
        MaxDocuments = maxDocuments;
    }

    /// <summary>
    /// Serves BGE-M3 (<paramref name="model"/>) under <paramref name="name"/>: documents scored against the query by
    /// <paramref name="weights"/>' combination of its dense, lexical and ColBERT scores (<see cref="Skald.Models.BgeM3.BgeM3Encoder.Score"/>,
    /// FlagEmbedding's compute_score), only the outputs the weights use computed.
    /// </summary>
    public RerankService(Skald.Models.BgeM3.BgeM3Encoder model, Skald.Models.BgeM3.BgeM3Weights weights, string? name = null, int maxDocuments = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        weights.Check();
        bgeM3 = model;
        bgeM3Weights = weights;
        ModelName = name ?? ModelNames.Of(model.Source);
        MaxDocuments = maxDocuments;
    }

    /// <summary>The cross-encoder (<see cref="InvalidOperationException"/> for a late-interaction or BGE-M3 reranker: <see cref="LateInteraction"/>, <see cref="BgeM3"/>).</summary>
    public CrossEncoder Model => crossEncoder ?? throw new InvalidOperationException($"{ModelName} is a {(bgeM3 is null ? "late-interaction" : "BGE-M3")} reranker, not a cross-encoder");

    /// <summary>The BGE-M3 model, or null for another reranker.</summary>
    public Skald.Models.BgeM3.BgeM3Encoder? BgeM3 => bgeM3;

    /// <summary>A BGE-M3 reranker's weights for requests that give none (the server's <c>--bge-m3-weights</c>); meaningless for any other reranker.</summary>
    public Skald.Models.BgeM3.BgeM3Weights BgeM3Weights => bgeM3Weights;

    /// <summary>The late-interaction model, or null for a cross-encoder.</summary>
    public IMultiVectorEncoder? LateInteraction => lateInteraction;

    /// <summary>Its id in answers.</summary>
    public string ModelName { get; }

    /// <summary>Most documents one request may send.</summary>
    public int MaxDocuments { get; }

    /// <summary>
    /// Most requests being scored or waiting for their turn at once (256, as the chat server's queue; at least 1, else
    /// <see cref="ArgumentOutOfRangeException"/>: 0 would refuse every request as "overloaded"); one more is a 503
    /// <see cref="ApiException"/> (the server answers it with <c>Retry-After</c>).
    /// </summary>
    public int MaxQueue
    {
        get => maxQueue;
        init => maxQueue = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxQueue), "MaxQueue must be at least 1");
    }

    private readonly int maxQueue = 256;

    /// <summary>Pairs per forward pass (32, as sentence-transformers).</summary>
    public int BatchSize
    {
        get => batchSize;
        init => batchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(BatchSize), "BatchSize must be at least 1");
    }

    private readonly int batchSize = 32;

    /// <summary>The model's turn: a batch runs while holding it (a test holds it to keep requests waiting).</summary>
    internal SemaphoreSlim Turn => turn;

    /// <summary>Requests being scored or waiting for their turn.</summary>
    public int Pending => Volatile.Read(ref pending);

    /// <summary>
    /// The documents of <paramref name="request"/> best first (the first top_n), and the tokens the model read. Once
    /// <paramref name="cancellationToken"/> is cancelled (the client went away) no further batch of the request runs, and
    /// the batch running (the request's own: batches are not shared between requests) stops before its next layer.
    /// </summary>
    public Task<(IReadOnlyList<RankedDocument> Ranked, long Tokens)> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RankAsync(request.Query, request.Documents, request.TopN, cancellationToken, request.BgeM3Weights);
    }

    /// <summary>
    /// As <see cref="RerankAsync"/> for a query and its documents; a BGE-M3 reranker combines the scores by
    /// <paramref name="bgeM3Weights"/> when given (FlagEmbedding's compute_score takes them per call), else by its own
    /// (<see cref="BgeM3Weights"/>). Weights for any other reranker are a 400 naming <c>bge_m3_weights</c>.
    /// </summary>
    public async Task<(IReadOnlyList<RankedDocument> Ranked, long Tokens)> RankAsync(string query, IReadOnlyList<string> documents, int? topN,
        CancellationToken cancellationToken = default, Skald.Models.BgeM3.BgeM3Weights? bgeM3Weights = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (bgeM3Weights is not null && bgeM3 is null)
            throw ApiException.BadRequest($"bge_m3_weights applies to a BGE-M3 reranker; {ModelName} is a {(lateInteraction is null ? "cross-encoder" : "late-interaction model")}", "bge_m3_weights");
        if (Interlocked.Increment(ref pending) > MaxQueue)
        {
            Interlocked.Decrement(ref pending);
            throw new ApiException(503, $"the reranker is overloaded ({MaxQueue} requests in progress); retry later", "server_error");
        }
        try
        {
            if (lateInteraction is not null) return await MaxSimAsync(lateInteraction, query, documents, topN, cancellationToken).ConfigureAwait(false);
            if (bgeM3 is not null) return await BgeM3Async(bgeM3, bgeM3Weights ?? this.bgeM3Weights, query, documents, topN, cancellationToken).ConfigureAwait(false);
            // tokenized on the request's thread, as the embeddings endpoint does, so one huge request does not hold the model's turn
            var encodings = Tokenize(query, documents);
            // longest first, as CrossEncoder.Predict batches them, so the passes (and their padding) are those it would run
            var order = Enumerable.Range(0, encodings.Count).OrderByDescending(i => encodings[i].Ids.Length).ToArray();
            var scores = new float[order.Length];
            for (int start = 0; start < order.Length; start += BatchSize)
            {
                var batch = new Encoding[Math.Min(BatchSize, order.Length - start)];
                for (int i = 0; i < batch.Length; i++) batch[i] = encodings[order[start + i]];
                await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
                float[][] rows;
                try
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    rows = Model.Predict(batch, new CrossEncoderOptions { BatchSize = batch.Length }, cancellationToken); // stops between its layers
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw Failed(e);
                }
                finally
                {
                    turn.Release();
                }
                for (int i = 0; i < rows.Length; i++) scores[order[start + i]] = rows[i][0];
            }
            return (CrossEncoder.Order(scores, topN), encodings.Sum(e => (long)e.Length));
        }
        finally
        {
            Interlocked.Decrement(ref pending);
        }
    }

    /// <summary>
    /// A late-interaction model's ranking: the query's token vectors, then the documents' in batches of
    /// <see cref="BatchSize"/>, each pass in the model's turn, every document scored by MaxSim; the tokens are the
    /// token vectors scored (the query's, expansion included, and the documents', skiplist removed).
    /// </summary>
    private async Task<(IReadOnlyList<RankedDocument> Ranked, long Tokens)> MaxSimAsync(IMultiVectorEncoder model, string query, IReadOnlyList<string> documents,
        int? topN, CancellationToken cancellationToken)
    {
        TokenVectors[] Pass(Func<TokenVectors[]> encode)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                return encode();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw e is TokenizerException ? ApiException.BadRequest(e.Message, "documents") : Failed(e);
            }
        }
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        TokenVectors q;
        try
        {
            q = Pass(() => model.EncodeQueries([query], 1, cancellationToken))[0];
        }
        finally
        {
            turn.Release();
        }
        var scores = new float[documents.Count];
        long tokens = q.Count;
        for (int start = 0; start < documents.Count; start += BatchSize)
        {
            var batch = documents.Skip(start).Take(BatchSize).ToArray();
            await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            TokenVectors[] encoded;
            try
            {
                encoded = Pass(() => model.EncodeDocuments(batch, batch.Length, cancellationToken));
            }
            finally
            {
                turn.Release();
            }
            for (int i = 0; i < encoded.Length; i++)
            {
                scores[start + i] = ColbertEncoder.Score(q, encoded[i]);
                tokens += encoded[i].Count;
            }
        }
        return (CrossEncoder.Order(scores, topN), tokens);
    }

    /// <summary>
    /// BGE-M3's ranking: the query's outputs the weights use, then the documents' in batches of <see cref="BatchSize"/>,
    /// each pass in the model's turn, every document scored by the weighted combination; the tokens are the texts' tokens
    /// the model read (cut to its max_seq_length).
    /// </summary>
    private async Task<(IReadOnlyList<RankedDocument> Ranked, long Tokens)> BgeM3Async(Skald.Models.BgeM3.BgeM3Encoder model,
        Skald.Models.BgeM3.BgeM3Weights weights, string query, IReadOnlyList<string> documents, int? topN, CancellationToken cancellationToken)
    {
        var needed = weights.Needed;
        Skald.Models.BgeM3.BgeM3Output[] Pass(IReadOnlyList<string> texts)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                return model.Encode(texts, new EncodeOptions { BatchSize = Math.Max(texts.Count, 1) }, needed, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw e is TokenizerException ? ApiException.BadRequest(e.Message, "documents") : Failed(e);
            }
        }
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        Skald.Models.BgeM3.BgeM3Output q;
        try
        {
            q = Pass([query])[0];
        }
        finally
        {
            turn.Release();
        }
        var scores = new float[documents.Count];
        for (int start = 0; start < documents.Count; start += BatchSize)
        {
            var batch = documents.Skip(start).Take(BatchSize).ToArray();
            await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            Skald.Models.BgeM3.BgeM3Output[] encoded;
            try
            {
                encoded = Pass(batch);
            }
            finally
            {
                turn.Release();
            }
            for (int i = 0; i < encoded.Length; i++) scores[start + i] = Skald.Models.BgeM3.BgeM3Encoder.Score(q, encoded[i], weights);
        }
        return (CrossEncoder.Order(scores, topN), BgeM3Tokens(model, query, documents));
    }

    // The tokens BGE-M3 read of the query and documents (each cut to max_seq_length).
    private static long BgeM3Tokens(Skald.Models.BgeM3.BgeM3Encoder model, string query, IReadOnlyList<string> documents) =>
        documents.Prepend(query).Sum(t => (long)Math.Min(model.Tokenizer.Encode(t, true).Ids.Length, model.DenseModel.MaxSeqLength));

    /// <summary>As <see cref="RerankAsync"/>, on the calling thread (not counted in <see cref="MaxQueue"/>).</summary>
    public (IReadOnlyList<RankedDocument> Ranked, long Tokens) Rerank(string query, IReadOnlyList<string> documents, int? topN)
    {
        if (lateInteraction is not null)
        {
            var q = lateInteraction.EncodeQueries([query], 1)[0];
            var docs = lateInteraction.EncodeDocuments(documents, BatchSize);
            return (CrossEncoder.Order([.. docs.Select(d => ColbertEncoder.Score(q, d))], topN), q.Count + docs.Sum(d => (long)d.Count));
        }
        if (bgeM3 is not null)
        {
            var ranked = bgeM3.Rank(query, documents, bgeM3Weights, topN, new EncodeOptions { BatchSize = BatchSize });
            return (ranked, BgeM3Tokens(bgeM3, query, documents));
        }
        var encodings = Tokenize(query, documents);
        var scores = Model.Predict(encodings, new CrossEncoderOptions { BatchSize = BatchSize });
        return (CrossEncoder.Order([.. scores.Select(s => s[0])], topN), encodings.Sum(e => (long)e.Length));
    }

    /// <summary>
    /// The 500 for a batch the model failed on, as the embeddings batcher answers one: the model's own line (a
    /// <see cref="Skald.Models.ModelFormatException"/>, e.g. a non-finite score naming the model folder), else the
    /// exception's type and message; never a stack trace.
    /// </summary>
    private static ApiException Failed(Exception e) => e is Skald.Models.ModelFormatException
        ? new ApiException(500, e.Message, "server_error")
        : new ApiException(500, $"the model failed on this batch ({e.GetType().Name}: {e.Message})", "server_error");

    private IReadOnlyList<Encoding> Tokenize(string query, IReadOnlyList<string> documents)
    {
        try
        {
            return Model.Tokenize([.. documents.Select(d => (query, d))]);
        }
        catch (TokenizerException e)
        {
            throw ApiException.BadRequest(e.Message, "documents");
        }
    }
}
