using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Index;

/// <summary>
/// An index of texts from code in a few lines, for a program that references Skald.Retrieval alone: whole texts as rows
/// (<see cref="Record"/>), embedded by an <see cref="EncoderEmbeddingModel"/> with the model's prompts, exact dense
/// search and BM25 with default settings. What it writes is what <c>skald index build</c> writes (the CLI can search,
/// add to and serve it); <see cref="IndexBuilder"/> takes the other settings (chunking records, quantized rows, IVF,
/// HNSW, PQ).
/// </summary>
public static class TextIndex
{
    /// <summary>
    /// One row for a whole text: <paramref name="id"/> (unique in the index) names the row and, unless
    /// <paramref name="source"/> does, the document it came from; <paramref name="title"/> is searched with the text.
    /// </summary>
    public static IndexRecord Record(string id, string text, string title = "", string? source = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(title);
        return new IndexRecord(id, source ?? id, source ?? id, 0, text.Length, title, text);
    }

    /// <summary>
    /// Builds a new index of <paramref name="records"/> in <paramref name="folder"/> (replacing an earlier index there),
    /// BM25 stemming for <paramref name="language"/> (a code such as <c>nb</c>, <c>sv</c>, <c>da</c>; null: none).
    /// </summary>
    public static IndexManifest Build(string folder, EncoderEmbeddingModel model, IReadOnlyList<IndexRecord> records, string? language = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return IndexBuilder.Build(folder, model, model.ModelPath, records, new Bm25Options(), language, chunkTokens: 0, overlapTokens: 0);
    }

    /// <summary>
    /// Adds <paramref name="records"/> to the index in <paramref name="folder"/> (a row whose id is there already is
    /// replaced); returns how many were added and how many of those replaced a row.
    /// </summary>
    public static (int Added, int Replaced) Add(string folder, EncoderEmbeddingModel model, IReadOnlyList<IndexRecord> records)
    {
        ArgumentNullException.ThrowIfNull(model);
        return IndexBuilder.Add(folder, model, records, modelPath: model.ModelPath);
    }

    /// <summary>
    /// The <paramref name="topK"/> best rows of <paramref name="index"/> for <paramref name="query"/>, embedded by
    /// <paramref name="model"/> (the index's own model) unless <paramref name="mode"/> is BM25 alone.
    /// </summary>
    public static IReadOnlyList<IndexHit> Search(SearchIndex index, EncoderEmbeddingModel model, string query, SearchMode mode = SearchMode.Hybrid,
        int topK = 10)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(query);
        return index.Search(query, mode == SearchMode.Bm25 ? null : model.EmbedQuery(query), mode, topK);
    }
}
