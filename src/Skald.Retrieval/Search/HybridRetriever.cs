using Skald.Retrieval.Models;

namespace Skald.Retrieval.Search;

/// <summary>
/// BM25 (or any first-stage system) combined with an embedding model: each side's top <see cref="FusionOptions.Candidates"/>
/// (BM25's, and the dense model's exact top-N) fused by <see cref="Fusion"/>, or BM25's candidates re-ranked by the
/// dense score alone (<see cref="HybridMode.Rerank"/>).
/// </summary>
/// <param name="sparse">First stage (BM25).</param>
/// <param name="dense">Embedding model.</param>
/// <param name="options">Fusion mode and its parameters (default: <see cref="FusionOptions.Default"/>).</param>
public sealed class HybridRetriever(IRetrievalModel sparse, DenseRetriever dense, FusionOptions? options = null) : IRetrievalModel
{
    private readonly FusionOptions options = options ?? FusionOptions.Default;

    /// <inheritdoc/>
    public string Name => $"{sparse.Name}+{dense.Name}";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>(dense.Metadata)
    {
        ["hybrid"] = options.Describe(),
    };

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        var tie = TieKeys.For(corpus);
        var first = sparse.Search(corpus, queries, options.Candidates, language);
        if (options.Mode != HybridMode.Rerank)
        {
            var second = dense.Search(corpus, queries, options.Candidates, language);
            return [.. first.Select((f, qi) => Fusion.Fuse(f, second[qi], options, topK, tie))];
        }
        var needed = first.SelectMany(h => h.Select(x => x.Index)).Distinct().Order().ToArray();
        var docVectors = dense.EmbedDocuments([.. needed.Select(i => corpus[i].FullText)]);
        var byIndex = new Dictionary<int, float[]>();
        for (int i = 0; i < needed.Length; i++) byIndex[needed[i]] = docVectors[i];
        var q = dense.EmbedQueries(queries);
        return [.. first.Select((f, qi) =>
            Fusion.Rerank(f, d => System.Numerics.Tensors.TensorPrimitives.Dot(q[qi], byIndex[d]), topK, tie))];
    }
}
