using Skald.Models.CrossEncoders;
using Skald.Tokenizers;

namespace Skald.Serving;

/// <summary>
/// Scores documents against a query with a cross-encoder for <c>POST /v1/rerank</c> (and reranks <c>/v1/search</c>'s
/// candidates). Each request's pairs are tokenized once (cut longest first to the model's length, as
/// sentence-transformers does), scored in the model's batches and ordered best first, equal scores in the order given.
/// Requests may arrive concurrently; the model runs one batch at a time.
/// </summary>
public sealed class RerankService
{
    /// <summary>Serves <paramref name="model"/> under <paramref name="name"/> (default: its folder's name).</summary>
    public RerankService(CrossEncoder model, string? name = null, int maxDocuments = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.NumLabels != 1)
            throw new ArgumentException($"{model.Path}: a classifier with {model.NumLabels} labels ({string.Join(", ", model.Config.Labels)}), not a reranker (one score per pair)", nameof(model));
        Model = model;
        ModelName = name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model.Path)));
        MaxDocuments = maxDocuments;
    }

    /// <summary>The cross-encoder.</summary>
    public CrossEncoder Model { get; }

    /// <summary>Its id in answers.</summary>
    public string ModelName { get; }

    /// <summary>Most documents one request may send.</summary>
    public int MaxDocuments { get; }

    /// <summary>The documents of <paramref name="request"/> best first (the first top_n), and the tokens the model read.</summary>
    public Task<(IReadOnlyList<RankedDocument> Ranked, long Tokens)> RerankAsync(RerankRequest request) =>
        Task.Run(() => Rerank(request.Query, request.Documents, request.TopN));

    /// <summary>As <see cref="RerankAsync"/>, on the calling thread.</summary>
    public (IReadOnlyList<RankedDocument> Ranked, long Tokens) Rerank(string query, IReadOnlyList<string> documents, int? topN)
    {
        IReadOnlyList<Encoding> encodings;
        try
        {
            encodings = Model.Tokenize([.. documents.Select(d => (query, d))]);
        }
        catch (TokenizerException e)
        {
            throw ApiException.BadRequest(e.Message, "documents");
        }
        var scores = Model.Predict(encodings);
        return (CrossEncoder.Order([.. scores.Select(s => s[0])], topN), encodings.Sum(e => (long)e.Length));
    }
}
