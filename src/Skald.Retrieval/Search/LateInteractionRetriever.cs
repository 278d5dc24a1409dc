using System.Globalization;
using Skald.Models;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Models;
using Skald.Tensors.Kernels;

namespace Skald.Retrieval.Search;

/// <summary>
/// Retrieval with a late-interaction model (ColBERT): every document's token vectors are kept (document = title + " " +
/// text, cut to the model's document_length) and each query scores all of them by exact MaxSim
/// (<see cref="MaxSim.Scores"/>). No PLAID or compressed index: the corpus's token vectors stay in memory, so this is
/// for corpora of thousands of documents, not millions. On a reranking task (<see cref="ICandidateScorer"/>) only the
/// candidates are encoded and scored. Ties: document id descending. The model is any multi-vector encoder: a loaded
/// <see cref="ColbertEncoder"/>, or one being trained (evaluation during training).
/// </summary>
/// <param name="model">The late-interaction model.</param>
/// <param name="batchSize">Texts per forward pass.</param>
public sealed class LateInteractionRetriever(IMultiVectorEncoder model, int batchSize = 32) : IRetrievalModel, ICandidateScorer
{
    /// <summary>The model.</summary>
    public IMultiVectorEncoder Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    private readonly int batchSize = batchSize >= 1 ? batchSize : throw new ArgumentOutOfRangeException(nameof(batchSize));

    /// <inheritdoc/>
    public string Name => ModelNames.Of(Model.Source);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            var colbert = Model as ColbertEncoder; // its settings; a model being trained reports its width and document length
            var metadata = new Dictionary<string, string>
            {
                ["scoring"] = "maxsim (exact, every document's token vectors)",
                ["dimension"] = Model.Dimension.ToString(CultureInfo.InvariantCulture),
            };
            if (colbert is not null) metadata["query_length"] = colbert.Settings.QueryLength.ToString(CultureInfo.InvariantCulture);
            metadata["document_length"] = Model.DocumentTokens.ToString(CultureInfo.InvariantCulture);
            if (colbert is not null) metadata["query_expansion"] = colbert.Settings.DoQueryExpansion ? "true" : "false";
            return metadata;
        }
    }

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        SearchArguments.Check(corpus, queries, topK);
        var (values, offsets) = Flatten(Model.EncodeDocuments([.. corpus.Select(d => d.FullText)], batchSize));
        var tie = TieKeys.For(corpus);
        var encoded = Model.EncodeQueries(queries, batchSize);
        var scores = new float[corpus.Count];
        var hits = new Hit[queries.Count][];
        for (int q = 0; q < queries.Count; q++)
        {
            MaxSim.Scores(encoded[q].Values, values, offsets, Model.Dimension, scores);
            var heap = new TopKHeap(Math.Min(topK, Math.Max(corpus.Count, 1)));
            for (int d = 0; d < scores.Length; d++)
            {
                if (scores[d] >= heap.Threshold) heap.Add(d, scores[d], tie[d]);
            }
            hits[q] = heap.ToSortedArray();
        }
        return hits;
    }

    /// <inheritdoc/>
    public float[][] ScoreCandidates(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, string? language)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(candidates);
        var needed = candidates.SelectMany(c => c).Distinct().ToArray();
        var documents = Model.EncodeDocuments([.. needed.Select(d => corpus[d].FullText)], batchSize);
        var byIndex = new Dictionary<int, TokenVectors>(needed.Length);
        for (int i = 0; i < needed.Length; i++) byIndex[needed[i]] = documents[i];
        var encoded = Model.EncodeQueries(queries, batchSize);
        return [.. candidates.Select((c, q) => c.Select(d => ColbertEncoder.Score(encoded[q], byIndex[d])).ToArray())];
    }

    /// <summary>The documents' vectors back to back, and where each starts (in rows); <see cref="BgeM3Retriever"/> uses it too.</summary>
    internal static (float[] Values, int[] Offsets) Flatten(TokenVectors[] documents)
    {
        var offsets = new int[documents.Length + 1];
        for (int d = 0; d < documents.Length; d++) offsets[d + 1] = checked(offsets[d] + documents[d].Count);
        int dim = documents.Length > 0 ? documents[0].Dimension : 1;
        var values = new float[checked((long)offsets[^1] * dim)];
        for (int d = 0; d < documents.Length; d++) documents[d].Values.CopyTo(values, (long)offsets[d] * dim);
        return (values, offsets);
    }
}
