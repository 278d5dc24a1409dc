using System.Globalization;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Retrieval.Models;
using Skald.Retrieval.Sparse;
using Skald.Tensors.Kernels;

namespace Skald.Retrieval.Search;

/// <summary>
/// Retrieval with BGE-M3 (<see cref="BgeM3Encoder"/>) by one of its scores or their weighted combination
/// (<see cref="BgeM3Weights"/>: dense only, sparse only, ColBERT only, or all three as FlagEmbedding's compute_score),
/// exact over every document: each query's dense scores are dot products with every document's vector
/// (<see cref="RowDots.Dots"/>), its lexical scores come from a <see cref="SparseIndex"/> over the documents' weights, its
/// ColBERT scores from <see cref="MaxSim.Scores"/> over every document's vectors (divided by the query's vector count),
/// then combined per document and the best kept. Only the outputs the weights need are computed and kept; with
/// ColBERT the corpus's token vectors stay in memory (thousands of documents, not millions). On a reranking task
/// (<see cref="ICandidateScorer"/>) only the candidates are encoded. Ties: document id descending.
/// </summary>
/// <param name="model">The BGE-M3 model.</param>
/// <param name="weights">How the scores are combined.</param>
/// <param name="options">Batch size, max length; <see cref="EncodeOptions.Prompt"/> is replaced by the prompts below.</param>
/// <param name="queryPrompt">Text put before each query (none by default, as BGE-M3 is used).</param>
/// <param name="documentPrompt">Text put before each document.</param>
public sealed class BgeM3Retriever(BgeM3Encoder model, BgeM3Weights weights, EncodeOptions? options = null, string? queryPrompt = null,
    string? documentPrompt = null) : IRetrievalModel, ICandidateScorer
{
    private readonly EncodeOptions options = options ?? new EncodeOptions();
    private readonly BgeM3Weights weights = Checked(weights);

    /// <summary>The model.</summary>
    public BgeM3Encoder Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc/>
    public string Name => ModelNames.Of(Model.Source);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>
    {
        ["scoring"] = $"bge-m3 {Mode} (exact, every document)",
        ["weights"] = string.Join(",", new[] { weights.Dense, weights.Sparse, weights.Colbert }.Select(w => w.ToString("R", CultureInfo.InvariantCulture))),
        ["dimension"] = Model.Dimension.ToString(CultureInfo.InvariantCulture),
        ["colbert_dimension"] = Model.ColbertDimension.ToString(CultureInfo.InvariantCulture),
    };

    // dense, sparse, colbert or all (the outputs the weights use, joined with +)
    private string Mode => weights.Needed switch
    {
        BgeM3Outputs.All => "all",
        var n => string.Join("+", new[] { BgeM3Outputs.Dense, BgeM3Outputs.Sparse, BgeM3Outputs.Colbert }.Where(o => (n & o) != 0)
            .Select(o => o.ToString().ToLowerInvariant())),
    };

    private static BgeM3Weights Checked(BgeM3Weights w)
    {
        w.Check();
        return w;
    }

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        SearchArguments.Check(corpus, queries, topK);
        var docs = Encode([.. corpus.Select(d => d.FullText)], documentPrompt);
        var q = Encode(queries, queryPrompt);
        var need = weights.Needed;
        int n = corpus.Count;
        float[] dense = [], sparse = [], colbert = [], combined = new float[n];
        float[] denseRows = [], colbertRows = [];
        int[] offsets = [];
        using var index = (need & BgeM3Outputs.Sparse) != 0 ? SparseIndex.Build([.. docs.Select(d => d.Sparse!)], Model.VocabularySize) : null;
        if ((need & BgeM3Outputs.Dense) != 0)
        {
            dense = new float[n];
            denseRows = new float[(long)n * Model.Dimension];
            for (int d = 0; d < n; d++) docs[d].Dense!.CopyTo(denseRows, (long)d * Model.Dimension);
        }
        if ((need & BgeM3Outputs.Sparse) != 0) sparse = new float[n];
        if ((need & BgeM3Outputs.Colbert) != 0)
        {
            colbert = new float[n];
            (colbertRows, offsets) = LateInteractionRetriever.Flatten([.. docs.Select(d => d.Colbert!)]);
        }
        var tie = TieKeys.For(corpus);
        var hits = new Hit[q.Length][];
        for (int i = 0; i < q.Length; i++)
        {
            if (dense.Length > 0) RowDots.Dots(q[i].Dense, denseRows, Model.Dimension, dense);
            if (index is not null)
            {
                Array.Clear(sparse);
                index.Accumulate(q[i].Sparse!, sparse);
            }
            if (colbert.Length > 0)
            {
                var vectors = q[i].Colbert!;
                MaxSim.Scores(vectors.Values, colbertRows, offsets, Model.ColbertDimension, colbert);
                float count = Math.Max(vectors.Count, 1);
                for (int d = 0; d < n; d++) colbert[d] /= count;
            }
            for (int d = 0; d < n; d++)
                combined[d] = weights.Combine(dense.Length > 0 ? dense[d] : 0f, sparse.Length > 0 ? sparse[d] : 0f, colbert.Length > 0 ? colbert[d] : 0f);
            var heap = new TopKHeap(Math.Min(topK, Math.Max(n, 1)));
            for (int d = 0; d < n; d++)
            {
                if (combined[d] >= heap.Threshold) heap.Add(d, combined[d], tie[d]);
            }
            hits[i] = heap.ToSortedArray();
        }
        return hits;
    }

    /// <inheritdoc/>
    public float[][] ScoreCandidates(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, string? language)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(candidates);
        var needed = candidates.SelectMany(c => c).Distinct().ToArray();
        var documents = Encode([.. needed.Select(d => corpus[d].FullText)], documentPrompt);
        var byIndex = new Dictionary<int, BgeM3Output>(needed.Length);
        for (int i = 0; i < needed.Length; i++) byIndex[needed[i]] = documents[i];
        var q = Encode(queries, queryPrompt);
        return [.. candidates.Select((c, i) => c.Select(d => BgeM3Encoder.Score(q[i], byIndex[d], weights)).ToArray())];
    }

    private BgeM3Output[] Encode(IReadOnlyList<string> texts, string? prompt) =>
        Model.Encode(texts, options with { Prompt = prompt, PromptName = null }, weights.Needed);
}
