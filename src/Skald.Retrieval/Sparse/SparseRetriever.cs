using System.Globalization;
using Skald.Models;
using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Sparse;

/// <summary>
/// Retrieval with a sparse encoder (<see cref="IEmbeddingModel.IsSparse"/>, SPLADE): documents and queries embedded in
/// blocks of <see cref="BlockTexts"/> texts and kept sparse (so a corpus never exists as [N, V] floats), the documents in
/// a <see cref="SparseIndex"/>, exact top-k by the model's similarity as sentence-transformers' SparseInformationRetrievalEvaluator
/// ranks: the dot product, or for a model whose similarity is cosine (a CSR model made from a cosine embedder) the dot
/// product of the embeddings at unit length. <see cref="Metadata"/> reports the mean active dimensions of the last search's queries and documents (its
/// <c>query_active_dims</c> / <c>corpus_active_dims</c>).
/// </summary>
public sealed class SparseRetriever(IEmbeddingModel model, int? maxActiveDims = null) : IRetrievalModel, ICandidateScorer
{
    /// <summary>
    /// Texts embedded at once before their vectors are made sparse: the block's dense rows are its only vocabulary-wide
    /// memory (64 × 250,002 floats = 64 MB for XLM-R's vocabulary).
    /// </summary>
    public const int BlockTexts = 64;

    private double queryActive = double.NaN, documentActive = double.NaN;

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
            if (!double.IsNaN(queryActive)) m["query_active_dims"] = queryActive.ToString("F1", CultureInfo.InvariantCulture);
            if (!double.IsNaN(documentActive)) m["corpus_active_dims"] = documentActive.ToString("F1", CultureInfo.InvariantCulture);
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
        Record(q, docs);
        return [.. candidates.Select((c, i) => c.Select(d => SparseEmbedding.Dot(q[i], docs[row[d]])).ToArray())];
    }

    private void Record(SparseEmbedding[] queries, SparseEmbedding[] docs)
    {
        queryActive = queries.Length == 0 ? 0 : queries.Average(e => e.Count);
        documentActive = docs.Length == 0 ? 0 : docs.Average(e => e.Count);
    }
}
