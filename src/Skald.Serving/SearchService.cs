using Skald.Retrieval.Index;

namespace Skald.Serving;

/// <summary>
/// Searches an index (<see cref="SearchIndex"/>, made by <c>skald index build</c>) for <c>POST /v1/search</c>: the
/// query is embedded by the served model's <see cref="EmbeddingService"/> (the query route and prompt, as
/// <c>skald search</c> embeds it), then searched exactly as <c>skald search</c> does. The index must have been built
/// with the served model (<see cref="CheckModel"/>). The index is owned by the caller; searches may run concurrently.
/// </summary>
public sealed class SearchService
{
    /// <summary>Searches <paramref name="index"/> with <paramref name="embeddings"/>' model; throws <see cref="ArgumentException"/> when they do not match.</summary>
    public SearchService(EmbeddingService embeddings, SearchIndex index)
    {
        CheckModel(index, embeddings.Encoder);
        Embeddings = embeddings;
        Index = index;
    }

    /// <summary>The model embedding the queries.</summary>
    public EmbeddingService Embeddings { get; }

    /// <summary>The index searched.</summary>
    public SearchIndex Index { get; }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (one line naming both) unless <paramref name="index"/> was built with the
    /// model in <paramref name="encoder"/>'s folder and has its dimension: query vectors from another model would be
    /// compared with document vectors they have nothing in common with.
    /// </summary>
    public static void CheckModel(SearchIndex index, Skald.Models.SentenceEncoder encoder)
    {
        string served = Path.TrimEndingDirectorySeparator(Path.GetFullPath(encoder.Folder.Path));
        string built = Path.TrimEndingDirectorySeparator(Path.GetFullPath(index.Manifest.Model));
        if (!string.Equals(served, built, StringComparison.Ordinal))
            throw new ArgumentException($"the index {index.Folder} was built with the model {built}, not the served {served}; serve that model or rebuild the index with this one");
        if (index.Manifest.Dimension != encoder.Dimension)
            throw new ArgumentException($"the index {index.Folder} holds {index.Manifest.Dimension}-value vectors, the served model makes {encoder.Dimension}; rebuild the index");
    }

    /// <summary>The hits for one request, best first, and the query's token count (0 for BM25, which embeds nothing).</summary>
    public async Task<(IReadOnlyList<IndexHit> Hits, long Tokens)> SearchAsync(SearchRequest request)
    {
        float[]? vector = null;
        long tokens = 0;
        if (request.Mode != SearchMode.Bm25)
        {
            var embedded = await Embeddings.EmbedAsync(new EmbeddingRequest(new EmbeddingInputs([request.Query], null), request.Model, false, null)
            {
                InputType = "query",
            }).ConfigureAwait(false);
            vector = embedded.Embeddings[0];
            tokens = embedded.PromptTokens;
        }
        var hits = Index.Search(request.Query, vector, request.Mode, request.TopK, request.Fusion);
        return (hits, tokens);
    }
}
