using Skald.Retrieval.Models;

namespace Skald.Retrieval.Search;

/// <summary>
/// BM25 (or any first-stage system) combined with an embedding model's retriever: each side's top
/// <see cref="FusionOptions.Candidates"/> (BM25's, and the model's top-N: a dense model's exact search, a sparse
/// encoder's inverted index) fused by <see cref="Fusion"/>, or BM25's candidates re-ranked by the model's score alone
/// (<see cref="HybridMode.Rerank"/>, through <see cref="ICandidateScorer"/>).
/// </summary>
/// <param name="sparse">First stage (BM25).</param>
/// <param name="dense">The embedding model's retriever (<see cref="EmbeddingRetriever.For"/>).</param>
/// <param name="options">Fusion mode and its parameters (default: <see cref="FusionOptions.Default"/>).</param>
public sealed class HybridRetriever(IRetrievalModel sparse, IRetrievalModel dense, FusionOptions? options = null) : IRetrievalModel
{
    private readonly FusionOptions options = options ?? FusionOptions.Default;

    /// <inheritdoc/>
    public string Name => $"{sparse.Name}+{dense.Name}";

    /// <inheritdoc/>
    /// <remarks>Both sides' views for the task (a new hybrid only when either has one).</remarks>
    public IEvaluationModel ForTask(string taskName, string? taskType) =>
        (sparse.ForTask(taskName, taskType), dense.ForTask(taskName, taskType)) is (IRetrievalModel s, IRetrievalModel d)
            && (!ReferenceEquals(s, sparse) || !ReferenceEquals(d, dense))
            ? new HybridRetriever(s, d, options) : this;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>(dense.Metadata)
    {
        ["hybrid"] = options.Describe(),
    };

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        SearchArguments.Check(corpus, queries, topK);
        var tie = TieKeys.For(corpus);
        var first = sparse.Search(corpus, queries, options.Candidates, language);
        if (options.Mode != HybridMode.Rerank)
        {
            var second = dense.Search(corpus, queries, options.Candidates, language);
            return [.. first.Select((f, qi) => Fusion.Fuse(f, second[qi], options, topK, tie))];
        }
        if (dense is not ICandidateScorer scorer)
            throw new EvaluationException($"{dense.Name}: re-ranking BM25's candidates needs a model that scores given documents");
        var candidates = first.Select(h => h.Select(x => x.Index).ToArray()).ToList();
        var scores = scorer.ScoreCandidates(corpus, queries, candidates, language); // each document embedded once
        return [.. first.Select((f, qi) =>
        {
            var byIndex = new Dictionary<int, float>(candidates[qi].Length);
            for (int i = 0; i < candidates[qi].Length; i++) byIndex[candidates[qi][i]] = scores[qi][i];
            return Fusion.Rerank(f, d => byIndex[d], topK, tie);
        })];
    }
}
