using Skald.Models.BgeM3;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Index;

/// <summary><see cref="TextIndex"/> with a BGE-M3 model (<see cref="BgeM3EmbeddingModel"/>).</summary>
public static partial class TextIndex
{
    /// <summary>
    /// <see cref="Build(string, EncoderEmbeddingModel, IReadOnlyList{IndexRecord}, string?, CancellationToken)"/> with BGE-M3:
    /// every row's <see cref="BgeM3EmbeddingModel.Outputs"/> are stored, from one transformer pass per batch; with
    /// <paramref name="plaid"/> the ColBERT vectors are PLAID coded with those settings (the ColBERT output must be stored).
    /// </summary>
    public static IndexManifest Build(string folder, BgeM3EmbeddingModel model, IReadOnlyList<IndexRecord> records, string? language = null,
        CancellationToken cancellationToken = default, Plaid.PlaidOptions? plaid = null)
    {
        Check(folder, model, records);
        CheckLanguages(folder, records, language);
        cancellationToken.ThrowIfCancellationRequested();
        return IndexBuilder.Build(folder, model, model.ModelPath, records, new Bm25Options(), language, chunkTokens: 0, overlapTokens: 0,
            cancellationToken: cancellationToken, tokenPrecision: plaid is null ? TokenPrecision.Float32 : TokenPrecision.Plaid, plaid: plaid);
    }

    /// <summary>
    /// <see cref="Add(string, EncoderEmbeddingModel, IReadOnlyList{IndexRecord}, CancellationToken, bool?)"/> with BGE-M3: the
    /// new rows get the outputs the index stores (whatever <see cref="BgeM3EmbeddingModel.Outputs"/> says).
    /// </summary>
    public static (int Added, int Replaced) Add(string folder, BgeM3EmbeddingModel model, IReadOnlyList<IndexRecord> records,
        CancellationToken cancellationToken = default)
    {
        Check(folder, model, records);
        CheckLanguages(folder, records);
        cancellationToken.ThrowIfCancellationRequested();
        return IndexBuilder.Add(folder, model, records, modelPath: model.ModelPath, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// <see cref="Open(string, EncoderEmbeddingModel)"/> for BGE-M3: the index must have been built with the model (the
    /// same fingerprint check) and be a BGE-M3 index of its widths, else <see cref="ArgumentException"/> naming both.
    /// </summary>
    public static SearchIndex Open(string folder, BgeM3EmbeddingModel model)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(model);
        var index = OpenBuiltWith(folder, model.ModelPath);
        var stored = index.Manifest.BgeM3;
        if (stored is null || index.Manifest.Dimension != model.Dimension || (stored.ColbertDimension > 0 && stored.ColbertDimension != model.Encoder.ColbertDimension))
        {
            index.Dispose();
            throw new ArgumentException($"{folder}: the index holds {(stored is null ? "another kind of vectors" : "BGE-M3 outputs of other widths")}, " +
                "the model makes BGE-M3 outputs; build the index again", nameof(model));
        }
        return index;
    }

    /// <summary>
    /// <see cref="Search(SearchIndex, EncoderEmbeddingModel, string, SearchMode, int, CancellationToken)"/> with BGE-M3:
    /// the query's outputs that <paramref name="weights"/> use (default: 1 for each output the index stores) scored
    /// against every row's by their weighted combination (<see cref="SearchIndex.SearchBgeM3"/>). Weights that use an
    /// output the index does not store are an <see cref="ArgumentException"/> naming it, before the query is encoded.
    /// <paramref name="plaid"/>: the candidate stage's settings over an index whose ColBERT vectors are PLAID coded
    /// (null: ColBERTv2's defaults for <paramref name="topK"/>; settings for any other index are an <see cref="ArgumentException"/>).
    /// </summary>
    public static IReadOnlyList<IndexHit> Search(SearchIndex index, BgeM3EmbeddingModel model, string query, BgeM3Weights? weights = null,
        SearchMode mode = SearchMode.Hybrid, int topK = 10, CancellationToken cancellationToken = default, Plaid.PlaidSearchOptions? plaid = null)
    {
        CheckSearch(index, model, query, mode, topK, cancellationToken);
        var w = weights ?? DefaultWeights(index);
        index.CheckWeights(w);
        var outputs = mode == SearchMode.Bm25 ? null : model.Encode([query], TextRole.Query, w.Needed, cancellationToken)[0];
        cancellationToken.ThrowIfCancellationRequested();
        return index.SearchBgeM3(query, outputs, w, mode, topK, plaid: plaid);
    }

    /// <summary>
    /// The weights a BGE-M3 index is searched with when none are given: 1 for each output it stores, 0 for the others
    /// (<c>evaluate --bge-m3 all</c>'s 1,1,1 for an index of all three; <see cref="InvalidOperationException"/> in any other index).
    /// </summary>
    public static BgeM3Weights DefaultWeights(SearchIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var stored = index.Manifest.BgeM3 is null ? throw new InvalidOperationException($"{index.Folder}: not a BGE-M3 index") : index.BgeM3Stored;
        return new BgeM3Weights((stored & BgeM3Outputs.Dense) != 0 ? 1f : 0f, (stored & BgeM3Outputs.Sparse) != 0 ? 1f : 0f, (stored & BgeM3Outputs.Colbert) != 0 ? 1f : 0f);
    }
}
