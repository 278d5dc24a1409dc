using System.Globalization;
using Skald.Models;
using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Sparse;

/// <summary>
/// Retrieval with a sparse encoder (<see cref="IEmbeddingModel.IsSparse"/>, SPLADE): documents and queries embedded in
/// blocks of <see cref="BlockTexts"/> texts and kept sparse (so a corpus never exists as [N, V] floats), the documents in
/// a <see cref="SparseIndex"/>, exact top-k by the model's similarity as sentence-transformers' SparseInformationRetrievalEvaluator
/// ranks: the dot product, or for a model whose similarity is cosine (a CSR model made from a cosine embedder) the dot
/// product of the embeddings at unit length. <see cref="Metadata"/> reports the mean active dimensions of the last search's queries and documents (its
/// <c>query_active_dims</c> / <c>corpus_active_dims</c>), <see cref="Sparsity"/> every sparsity metric of upstream's evaluator.
/// </summary>
public sealed class SparseRetriever(IEmbeddingModel model, int? maxActiveDims = null) : IRetrievalModel, ICandidateScorer
{
    /// <summary>
    /// Texts embedded at once before their vectors are made sparse: the block's dense rows are its only vocabulary-wide
    /// memory (64 × 250,002 floats = 64 MB for XLM-R's vocabulary).
    /// </summary>
    public const int BlockTexts = 64;

    /// <summary>
    /// sentence-transformers' SparseInformationRetrievalEvaluator's sparsity metrics of the texts the last search or
    /// candidate scoring embedded (null before one): <c>query_active_dims</c> and <c>corpus_active_dims</c>, the mean
    /// non-zero entries of a query and of a document, <c>query_sparsity_ratio</c> and <c>corpus_sparsity_ratio</c>, the
    /// mean share of zeros (<see cref="SparseEmbedding.Sparsity(IReadOnlyList{SparseEmbedding}, int)"/>), and <c>avg_flops</c>, the expected multiplications
    /// of a query-document dot product: Σ over dimensions of the share of queries times the share of documents active
    /// in it. Taken after <c>max_active_dims</c>, as upstream's. Candidate scoring (a reranking task) counts the corpus
    /// side over every query's candidates, a document as often as it is listed, as SparseRerankingEvaluator embeds them.
    /// </summary>
    /// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseInformationRetrievalEvaluator.py (_calculate_avg_flops)</remarks>
    public IReadOnlyDictionary<string, double>? Sparsity { get; private set; }

    /// <summary>The sparse encoder.</summary>
    public IEmbeddingModel Model { get; } = model;

    /// <inheritdoc/>
    public string Name => Model.Name;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            var m = new Dictionary<string, string>(Model.Metadata)
            {
                ["search"] = $"sparse inverted index, exact top-k, {(Cosine ? "cosine" : "dot product")}" + (maxActiveDims is int k ? $", max_active_dims {k}" : ""),
            };
            if (Sparsity is { } s)
            {
                m["query_active_dims"] = s["query_active_dims"].ToString("F1", CultureInfo.InvariantCulture);
                m["corpus_active_dims"] = s["corpus_active_dims"].ToString("F1", CultureInfo.InvariantCulture);
            }
            return m;
        }
    }

    /// <summary>Whether the model ranks by cosine (its embeddings are searched at unit length); else by dot product.</summary>
    private bool Cosine => Model.Similarity switch
    {
        SimilarityFunction.Cosine => true,
        SimilarityFunction.Dot => false,
        var other => throw new EvaluationException($"{Model.Name}: a sparse encoder is searched by dot product or cosine, not {Skald.Models.Modules.Similarities.Name(other)}"),
    };

    /// <summary>Sparse embeddings of <paramref name="texts"/> in <paramref name="role"/>, embedded block by block (at unit length for a cosine model).</summary>
    public SparseEmbedding[] Embed(IReadOnlyList<string> texts, TextRole role)
    {
        var result = new SparseEmbedding[texts.Count];
        for (int start = 0; start < texts.Count; start += BlockTexts)
        {
            int n = Math.Min(BlockTexts, texts.Count - start);
            var block = Model.Embed([.. Enumerable.Range(start, n).Select(i => texts[i])], role);
            bool cosine = Cosine;
            for (int i = 0; i < n; i++)
            {
                var e = SparseEmbedding.FromDense(block[i], maxActiveDims);
                result[start + i] = cosine ? e.Normalized() : e;
            }
        }
        return result;
    }

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        SearchArguments.Check(corpus, queries, topK);
        var docs = Embed([.. corpus.Select(d => d.FullText)], TextRole.Document);
        var q = Embed(queries, TextRole.Query);
        Record(q, docs);
        return SparseIndex.Build(docs, Model.Dimension).TopK(q, topK, TieKeys.For(corpus));
    }

    /// <inheritdoc/>
    public float[][] ScoreCandidates(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, string? language)
    {
        var needed = candidates.SelectMany(c => c).Distinct().Order().ToArray();
        var docs = Embed([.. needed.Select(i => corpus[i].FullText)], TextRole.Document);
        var row = new Dictionary<int, int>(needed.Length);
        for (int i = 0; i < needed.Length; i++) row[needed[i]] = i;
        var q = Embed(queries, TextRole.Query);
        // the corpus side over every candidate of every query, a document listed twice counted twice, as
        // SparseRerankingEvaluator embeds each sample's positives and negatives one after the other
        Record(q, [.. candidates.SelectMany(c => c).Select(d => docs[row[d]])]);
        return [.. candidates.Select((c, i) => c.Select(d => SparseEmbedding.Dot(q[i], docs[row[d]])).ToArray())];
    }

    private void Record(SparseEmbedding[] queries, SparseEmbedding[] docs)
    {
        var sparsity = new Dictionary<string, double>(StringComparer.Ordinal);
        int dimension = Model.Dimension;
        SparsityMetrics.Add(sparsity, "query_", SparseEmbedding.Sparsity(queries, dimension));
        SparsityMetrics.Add(sparsity, "corpus_", SparseEmbedding.Sparsity(docs, dimension));
        sparsity[SparsityMetrics.AverageFlops] = AverageFlops(queries, docs, dimension);
        Sparsity = sparsity;
    }

    /// <summary>The per-dimension counts <see cref="AverageFlops"/> reuses from one search to the next (grown to the vocabulary once).</summary>
    private long[] queryCounts = [], documentCounts = [];

    /// <summary>
    /// Σ over the dimensions of (queries active in it / queries) · (documents active in it / documents); 0 without
    /// either. Counts into buffers kept from the last call, so a search after the first allocates nothing here.
    /// </summary>
    internal double AverageFlops(SparseEmbedding[] queries, SparseEmbedding[] docs, int dimension)
    {
        if (queries.Length == 0 || docs.Length == 0) return 0;
        if (queryCounts.Length != dimension)
        {
            queryCounts = new long[dimension];
            documentCounts = new long[dimension];
        }
        else
        {
            Array.Clear(queryCounts);
            Array.Clear(documentCounts);
        }
        foreach (var e in queries) foreach (int i in e.Indices) queryCounts[i]++;
        foreach (var e in docs) foreach (int i in e.Indices) documentCounts[i]++;
        return SparsityMetrics.AverageFlopsOf(queryCounts, queries.Length, documentCounts, docs.Length);
    }
}
