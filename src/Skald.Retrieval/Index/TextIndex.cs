using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Index;

/// <summary>
/// An index of texts from code in a few lines, for a program that references Skald.Retrieval alone: whole texts as rows
/// (<see cref="Record"/>), embedded by an <see cref="EncoderEmbeddingModel"/> with the model's prompts, exact dense
/// search and BM25 with default settings. What it writes is what <c>skald index build</c> writes (the CLI can search,
/// add to and serve it); <see cref="IndexBuilder"/> takes the other settings (chunking records, quantized rows, IVF,
/// HNSW, PQ). A text longer than the model's max_seq_length is embedded from its first tokens, as the model truncates
/// it (BM25 reads all of it): cut long texts into rows first, for instance with <see cref="EncoderEmbeddingModel.SplitToFit"/>.
/// A late-interaction model (<see cref="MultiVectorEmbeddingModel"/>: ColBERT) takes the same calls: its index stores
/// every row's token vectors and searches them by exact MaxSim; so does BGE-M3 (<see cref="BgeM3EmbeddingModel"/>), whose
/// index stores the outputs it was asked for and searches them by their weighted score.
/// </summary>
public static partial class TextIndex
{
    /// <summary>
    /// One row for a whole text: <paramref name="id"/> (unique in the index) names the row and, unless
    /// <paramref name="source"/> does, the document it came from; <paramref name="title"/> is searched with the text.
    /// <paramref name="language"/> (nb, nn, da, sv, en, ...; a code without a Snowball stemmer, such as <c>und</c>, for
    /// none) picks the row's BM25 stemmer in an index stemmed per document (language <c>auto</c>, as
    /// <c>skald index build --language auto</c> writes), which needs it of every row it is given; an index of one
    /// language stems every row in that language.
    /// A null or empty <paramref name="id"/>, a null <paramref name="text"/> or <paramref name="title"/> is an
    /// <see cref="ArgumentNullException"/> or <see cref="ArgumentException"/> naming it.
    /// </summary>
    public static IndexRecord Record(string id, string text, string title = "", string? source = null, string? language = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(title);
        return new IndexRecord(id, source ?? id, source ?? id, 0, text.Length, title, text, Language: language);
    }

    /// <summary>
    /// Builds a new index of <paramref name="records"/> in <paramref name="folder"/> (replacing an earlier index there),
    /// BM25 stemming for <paramref name="language"/> (a code such as <c>nb</c>, <c>sv</c>, <c>da</c>; null: none).
    /// <paramref name="cancellationToken"/> is looked at between the layers of each forward pass that embeds the texts:
    /// once it is cancelled <see cref="OperationCanceledException"/> is thrown with it before the next layer starts and
    /// before anything is written (an earlier index there is left as it was).
    /// A null or empty <paramref name="folder"/>, a null <paramref name="model"/> or <paramref name="records"/> is an
    /// <see cref="ArgumentNullException"/> or <see cref="ArgumentException"/> naming it, as is a null record (naming
    /// <paramref name="records"/>).
    /// </summary>
    public static IndexManifest Build(string folder, EncoderEmbeddingModel model, IReadOnlyList<IndexRecord> records, string? language = null,
        CancellationToken cancellationToken = default)
    {
        Check(folder, model, records);
        CheckLanguages(folder, records, language);
        cancellationToken.ThrowIfCancellationRequested();
        return IndexBuilder.Build(folder, model, model.ModelPath, records, new Bm25Options(), language, chunkTokens: 0, overlapTokens: 0,
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Adds <paramref name="records"/> to the index in <paramref name="folder"/> (a row whose id is there already is
    /// replaced); returns how many were added and how many of those replaced a row. <paramref name="cancellationToken"/>
    /// is looked at as for <see cref="Build(string, EncoderEmbeddingModel, IReadOnlyList{IndexRecord}, string?, CancellationToken)"/>: cancelled, nothing is written and the index stays as it was. With
    /// <paramref name="replaceDeleted"/> true (an index built with HNSW, which keeps deleted rows; any other throws
    /// <see cref="EvaluationException"/> naming the folder) the new rows take the slots of deleted and replaced rows
    /// first, as <see cref="IndexBuilder.Add"/> and <c>skald index add --replace-deleted</c> do, so delete-and-add churn
    /// keeps the index its size; false appends them; null does as the index was built to (<c>hnsw_replace_deleted</c>). Its arguments are checked as <see cref="Build(string, EncoderEmbeddingModel, IReadOnlyList{IndexRecord}, string?, CancellationToken)"/>'s are.
    /// </summary>
    public static (int Added, int Replaced) Add(string folder, EncoderEmbeddingModel model, IReadOnlyList<IndexRecord> records,
        CancellationToken cancellationToken = default, bool? replaceDeleted = null)
    {
        Check(folder, model, records);
        CheckLanguages(folder, records);
        cancellationToken.ThrowIfCancellationRequested();
        return IndexBuilder.Add(folder, model, records, modelPath: model.ModelPath, replaceDeleted: replaceDeleted, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// In an index stemmed per document (<paramref name="language"/> <c>auto</c>, or for an add the language the index in
    /// <paramref name="folder"/> was built with) every record must say its language: one without would be indexed
    /// unstemmed where <c>skald index add</c> guesses it, so a query's inflected words would miss it. Throws
    /// <see cref="ArgumentException"/> naming <paramref name="records"/>, the first such record and the call that gives it one.
    /// </summary>
    private static void CheckLanguages(string folder, IReadOnlyList<IndexRecord> records, string? language)
    {
        if (language != Bm25Fields.PerDocument) return;
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i].Language is null)
                throw new ArgumentException($"{folder}: record {i} (\"{records[i].Id}\") has no language, and the index stems each record in its own " +
                    $"(language \"{Bm25Fields.PerDocument}\"): give every record one, TextIndex.Record(id, text, language: \"da\") (\"und\": not stemmed)", nameof(records));
        }
    }

    /// <summary>
    /// <see cref="CheckLanguages(string, IReadOnlyList{IndexRecord}, string?)"/> for records added to the index in
    /// <paramref name="folder"/>, whose manifest is read only when a record lacks a language; a folder without one (none
    /// there, or a killed write's, which opening puts back) is opened as the add will open it, with the same exceptions.
    /// </summary>
    private static void CheckLanguages(string folder, IReadOnlyList<IndexRecord> records)
    {
        if (records.All(r => r.Language is not null)) return;
        string? language;
        if (File.Exists(Path.Combine(folder, IndexWriter.ManifestFile))) language = IndexFolderReader.Manifest(folder, out _).Language;
        else
        {
            using var open = SearchIndex.Open(folder);
            language = open.Manifest.Language;
        }
        CheckLanguages(folder, records, language);
    }

    // The arguments of a build or add: ArgumentNullException or ArgumentException naming the one that is missing.
    private static void Check(string folder, IEmbeddingModel model, IReadOnlyList<IndexRecord> records)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(records);
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i] is null) throw new ArgumentException($"record {i} is null", nameof(records));
        }
    }

    /// <summary>
    /// Opens the index in <paramref name="folder"/> (as <see cref="SearchIndex.Open"/>: no index there throws
    /// <see cref="DirectoryNotFoundException"/> or <see cref="FileNotFoundException"/>) after checking that it was built
    /// with <paramref name="model"/>'s model, as <c>skald serve --index</c> checks it: that folder or a copy with the
    /// same files, not changed since, vectors of its kind and width. Query vectors of another model would be compared
    /// with document vectors they have nothing in common with, so another model throws <see cref="ArgumentException"/>
    /// naming both. A null or empty <paramref name="folder"/> or a null <paramref name="model"/> is an
    /// <see cref="ArgumentNullException"/> or <see cref="ArgumentException"/> naming it.
    /// </summary>
    public static SearchIndex Open(string folder, EncoderEmbeddingModel model)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(model);
        var index = OpenBuiltWith(folder, model.ModelPath);
        try
        {
            var manifest = index.Manifest;
            if (manifest.MultiVector is not null)
                throw new ArgumentException($"{folder}: the index holds token vectors ({manifest.MultiVector}), the model makes one vector a text; build the index again", nameof(model));
            if (manifest.BgeM3 is not null)
                throw new ArgumentException($"{folder}: the index holds BGE-M3 outputs of {manifest.Model}; open it with a {nameof(BgeM3EmbeddingModel)} of that model", nameof(model));
            if (model.IsSparse != manifest.Sparse || (model.Dimension != manifest.Dimension && !(manifest.TruncateDim > 0 && manifest.Dimension < model.Dimension)))
                throw new ArgumentException($"{folder}: the index holds {manifest.Dimension}-value {(manifest.Sparse ? "sparse" : "dense")} vectors, " +
                    $"the model makes {model.Dimension}-value {(model.IsSparse ? "sparse" : "dense")} ones; build the index again", nameof(model));
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The <paramref name="topK"/> best rows of <paramref name="index"/> for <paramref name="query"/>, embedded by
    /// <paramref name="model"/> (the index's own model) unless <paramref name="mode"/> is BM25 alone.
    /// <paramref name="cancellationToken"/> is looked at before the query is embedded, between the layers of its forward
    /// pass and before the index is searched. Every argument is checked before the query is embedded (a bad one costs no
    /// forward pass): a null one is an <see cref="ArgumentNullException"/> naming it, a <paramref name="topK"/> below 1 or
    /// a <paramref name="mode"/> that is not a <see cref="SearchMode"/> an <see cref="ArgumentOutOfRangeException"/>, a
    /// disposed <paramref name="index"/> an <see cref="ObjectDisposedException"/>; a query past the model's max length is
    /// embedded from its first tokens.
    /// </summary>
    public static IReadOnlyList<IndexHit> Search(SearchIndex index, EncoderEmbeddingModel model, string query, SearchMode mode = SearchMode.Hybrid,
        int topK = 10, CancellationToken cancellationToken = default)
    {
        CheckSearch(index, model, query, mode, topK, cancellationToken);
        var vector = mode == SearchMode.Bm25 ? null : model.Embed([query], TextRole.Query, cancellationToken)[0];
        cancellationToken.ThrowIfCancellationRequested();
        return index.Search(query, vector, mode, topK);
    }

    /// <summary>
    /// Opens the index in <paramref name="folder"/> after checking that it was built with the model in
    /// <paramref name="modelPath"/> or a copy with the same files, unchanged since (<see cref="ArgumentException"/> naming both).
    /// </summary>
    private static SearchIndex OpenBuiltWith(string folder, string modelPath)
    {
        var index = SearchIndex.Open(folder);
        try
        {
            var manifest = index.Manifest;
            string path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath));
            string built = Path.TrimEndingDirectorySeparator(Path.GetFullPath(manifest.Model));
            if (!ModelFingerprint.Matches(manifest, path, index.Folder))
                throw new ArgumentException($"{folder}: the index was built with the model {built}, not {path} (their files' fingerprints differ); search it with that model or build it again", "model");
            if (string.Equals(path, built, StringComparison.Ordinal) && !ModelFingerprint.Unchanged(manifest, path, index.Folder))
                throw new ArgumentException($"{folder}: the model {path} has changed since the index was built with it (its files differ); build the index again", "model");
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="Build(string, EncoderEmbeddingModel, IReadOnlyList{IndexRecord}, string?, CancellationToken)"/> with a
    /// late-interaction model: every row's token vectors are stored (and their mean, as the row's one vector), in
    /// <paramref name="precision"/> (float16: half the bytes, int8: a quarter; searched in that format; plaid: ColBERTv2's
    /// centroids and residual codes with <paramref name="plaid"/>'s settings, searched by PLAID's stages).
    /// </summary>
    public static IndexManifest Build(string folder, MultiVectorEmbeddingModel model, IReadOnlyList<IndexRecord> records, string? language = null,
        CancellationToken cancellationToken = default, TokenPrecision precision = TokenPrecision.Float32, Plaid.PlaidOptions? plaid = null)
    {
        Check(folder, model, records);
        CheckLanguages(folder, records, language);
        cancellationToken.ThrowIfCancellationRequested();
        return IndexBuilder.Build(folder, model, model.ModelPath, records, new Bm25Options(), language, chunkTokens: 0, overlapTokens: 0,
            cancellationToken: cancellationToken, tokenPrecision: precision, plaid: plaid);
    }

    /// <summary><see cref="Add(string, EncoderEmbeddingModel, IReadOnlyList{IndexRecord}, CancellationToken, bool?)"/> with a late-interaction model (no deleted slots to reuse: its index drops them).</summary>
    public static (int Added, int Replaced) Add(string folder, MultiVectorEmbeddingModel model, IReadOnlyList<IndexRecord> records,
        CancellationToken cancellationToken = default)
    {
        Check(folder, model, records);
        CheckLanguages(folder, records);
        cancellationToken.ThrowIfCancellationRequested();
        return IndexBuilder.Add(folder, model, records, modelPath: model.ModelPath, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// <see cref="Open(string, EncoderEmbeddingModel)"/> for a late-interaction model: the index must have been built with
    /// it (the same check) and hold its kind of token vectors of its width, else <see cref="ArgumentException"/> naming both.
    /// </summary>
    public static SearchIndex Open(string folder, MultiVectorEmbeddingModel model)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(model);
        var index = OpenBuiltWith(folder, model.ModelPath);
        var manifest = index.Manifest;
        if (manifest.MultiVector != model.Kind || manifest.Dimension != model.Dimension)
        {
            index.Dispose();
            throw new ArgumentException($"{folder}: the index holds {manifest.Dimension}-value {(manifest.MultiVector is null ? "single vectors" : $"token vectors ({manifest.MultiVector})")}, " +
                $"the model makes {model.Dimension}-value token vectors ({model.Kind}); build the index again", nameof(model));
        }
        return index;
    }

    /// <summary>
    /// <see cref="Search(SearchIndex, EncoderEmbeddingModel, string, SearchMode, int, CancellationToken)"/> with a
    /// late-interaction model: the query's token vectors scored against every row's by exact MaxSim (<see cref="SearchIndex.SearchTokens"/>).
    /// </summary>
    public static IReadOnlyList<IndexHit> Search(SearchIndex index, MultiVectorEmbeddingModel model, string query, SearchMode mode = SearchMode.Hybrid,
        int topK = 10, CancellationToken cancellationToken = default)
    {
        CheckSearch(index, model, query, mode, topK, cancellationToken);
        var tokens = mode == SearchMode.Bm25 ? null : model.Encode([query], TextRole.Query, cancellationToken)[0];
        cancellationToken.ThrowIfCancellationRequested();
        return index.SearchTokens(query, tokens, mode, topK);
    }

    // Both Search overloads check every argument before the query is encoded (a bad one costs no forward pass).
    private static void CheckSearch(SearchIndex index, object model, string query, SearchMode mode, int topK, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(query);
        SearchIndex.CheckSearch(mode, topK);
        index.ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
