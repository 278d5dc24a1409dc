using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Evaluation.Models;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands.Index;

/// <summary>Options and helpers shared by the index verbs.</summary>
internal static class IndexOptions
{
    /// <summary>--documents PATH[,PATH...].</summary>
    public static Option<string> Documents() => CliOptions.Text("--documents",
        "Documents to index: files or folders (searched recursively), comma-separated; .txt .md .html .docx .pdf .jsonl, images (.png .jpg .tif) by OCR; chunked", "PATH[,PATH...]");

    /// <summary>--corpus FILE.</summary>
    public static Option<string> Corpus() => CliOptions.Text("--corpus", "A BEIR corpus.jsonl (or its folder) instead: one row per document, not chunked", "FILE");

    /// <summary>--documents-root DIR: the folder record paths are relative to.</summary>
    public static Option<string> DocumentsRoot() => CliOptions.Text("--documents-root",
        "The folder the index's document paths are relative to (default: the index's recorded root while it exists, else its new place, " +
        "found from the paths of the documents added, else the deepest folder holding every --documents path; links resolved; " +
        "needed for documents in separate trees, which share no folder but /)", "DIR");

    /// <summary>--index DIR.</summary>
    public static Option<string> Index() => CliOptions.Text("--index", "Index folder (made by 'skald index build')", "DIR", required: true);

    /// <summary>--model DIR of search and index add: the index's model, moved.</summary>
    public static Option<string> MovedModel() => CliOptions.Text("--model",
        "The index's model folder when it is no longer where the index was built (a copy of it, say on another machine; checked by its files' SHA-256)", "DIR");

    /// <summary>
    /// The model folder to embed with for the index in <paramref name="folder"/>: <paramref name="moved"/> when given
    /// (which must hold the files the index was built with), else the folder the manifest names, which must still exist
    /// and still hold those files (<see cref="ModelFingerprint.Unchanged"/>: not trained again in place since; the
    /// weights are read only when a file's size or time changed, and a folder found the same by reading them is
    /// remembered in the index folder, so it is read once, not at every search).
    /// </summary>
    public static string ModelOf(IndexManifest manifest, string folder, string? moved, string hint)
    {
        string suffix = hint.Length > 0 ? " " + hint : "";
        if (moved is null)
        {
            if (!Directory.Exists(manifest.Model))
                throw new InputException($"{folder}: its model {manifest.Model} is not there any more; give a copy of it with --model DIR{suffix}");
            if (!ModelFingerprint.Unchanged(manifest, manifest.Model, folder))
                throw new InputException($"{manifest.Model}: the model has changed since {folder} was built with it (its files differ), so its vectors no longer " +
                    $"match the index's; rebuild the index with 'skald index build'{suffix}");
            return manifest.Model;
        }
        if (!Directory.Exists(moved)) throw new InputException($"{moved}: model folder not found");
        if (ModelFingerprint.Matches(manifest, moved, folder) && ModelFingerprint.Unchanged(manifest, moved, folder)) return moved;
        throw new InputException(manifest.ModelSha256 is null
            ? $"{folder}: built before indexes recorded their model's fingerprint, so only its model {manifest.Model} searches it; rebuild the index to move it"
            : $"{moved}: not the model {folder} was built with ({manifest.Model}): its files differ; rebuild the index with it{suffix}");
    }

    /// <summary>
    /// The late-interaction model of the index in <paramref name="folder"/>, loaded from <paramref name="dir"/>
    /// (<see cref="ModelOf"/>'s answer): it must make the index's kind of token vectors of its width, else one line
    /// naming both (a folder whose files match the fingerprint always does; this guards an index edited by hand).
    /// </summary>
    public static MultiVectorEmbeddingModel LateInteractionModel(IndexManifest manifest, string folder, string dir, int batchSize = 32)
    {
        if (!MultiVectorEmbeddingModel.IsMultiVector(dir))
            throw new InputException($"{folder}: the index holds token vectors ({manifest.MultiVector}) but its model {dir} is not a late-interaction model; rebuild the index");
        var model = MultiVectorEmbeddingModel.Load(dir, batchSize, manifest.PoolFactor ?? 1);
        if (model.Kind == manifest.MultiVector && model.Dimension == manifest.Dimension) return model;
        model.Dispose();
        throw new InputException($"{folder}: the index holds {manifest.Dimension}-value token vectors ({manifest.MultiVector}), its model {dir} makes {model.Dimension}-value ones ({model.Kind}); rebuild the index");
    }

    /// <summary>A model folder (or hub id) that must exist.</summary>
    public static string ModelFolder(string spec, bool quiet)
    {
        string dir = HubModels.Resolve(spec, quiet);
        return Directory.Exists(dir) ? dir : throw new InputException(Skald.Models.Modules.ModelFolder.NotFound(dir));
    }

    /// <summary>
    /// Chunk and overlap sizes for <c>index build</c>: a chunk holds at most what the model reads of a passage
    /// (<see cref="PassageBudget.Room"/>, the rule data generate sizes passages by: its max_seq_length less the special
    /// tokens and the document prompt, an LLM2Vec model's at most doc_max_length), so by default it is 200 tokens or that room, whichever is
    /// smaller, and a larger <paramref name="chunkTokens"/> given on purpose gets a warning (dense search would see
    /// only each chunk's start); the overlap defaults to 32 tokens, at most a quarter of the chunk, and must be below it.
    /// <c>Note</c> is the line to log once the index is written (null: nothing to say).
    /// </summary>
    public static (int Chunk, int Overlap, string? Note) Chunking(EvaluationEmbeddingModel model, int? chunkTokens, int? overlapTokens) =>
        Chunking(model.Encoder.Tokenizer, model.MaxTokens, model.PromptFor(TextRole.Document) ?? "", "max_seq_length", chunkTokens, overlapTokens,
            model.Encoder.Folder.Llm2Vec);

    /// <summary>
    /// <see cref="Chunking(EvaluationEmbeddingModel, int?, int?)"/> for a late-interaction model, which reads a document's
    /// first document_length tokens, its prefix token among them.
    /// </summary>
    public static (int Chunk, int Overlap, string? Note) Chunking(Skald.Models.LateInteraction.IMultiVectorEncoder model, int? chunkTokens, int? overlapTokens) =>
        Chunking(model.Tokenizer, model.DocumentTokens - 1, "", "document_length less its prefix token", chunkTokens, overlapTokens);

    /// <summary><see cref="Chunking(EvaluationEmbeddingModel, int?, int?)"/> for BGE-M3, which reads max_seq_length tokens of a text (no prompt).</summary>
    public static (int Chunk, int Overlap, string? Note) Chunking(BgeM3EmbeddingModel model, int? chunkTokens, int? overlapTokens) =>
        Chunking(model.Encoder.Tokenizer, model.MaxTokens, "", "max_seq_length", chunkTokens, overlapTokens);

    /// <summary>
    /// The BGE-M3 model of the BGE-M3 index in <paramref name="folder"/>, loaded from <paramref name="dir"/>
    /// (<see cref="ModelOf"/>'s answer) to make the outputs the index stores: it must be a BGE-M3 folder of the index's
    /// widths, else one line naming both (a folder whose files match the fingerprint always is; this guards an index edited by hand).
    /// </summary>
    public static BgeM3EmbeddingModel BgeM3Model(IndexManifest manifest, string folder, string dir, int batchSize = 32)
    {
        if (!BgeM3EmbeddingModel.IsBgeM3(dir))
            throw new InputException($"{folder}: the index holds BGE-M3 outputs but its model {dir} is not a BGE-M3 folder; rebuild the index");
        var model = BgeM3EmbeddingModel.Load(dir, manifest.BgeM3!.Stored, batchSize);
        var m3 = manifest.BgeM3;
        if (model.Dimension == manifest.Dimension && (m3.ColbertDimension == 0 || m3.ColbertDimension == model.Encoder.ColbertDimension)
            && (m3.VocabularySize == 0 || m3.VocabularySize == model.Encoder.VocabularySize)) return model;
        model.Dispose();
        throw new InputException($"{folder}: the index holds BGE-M3 outputs of other widths than its model {dir} makes; rebuild the index");
    }

    private static (int Chunk, int Overlap, string? Note) Chunking(Skald.Tokenizers.Tokenizer tokenizer, int maxTokens, string prompt, string limit,
        int? chunkTokens, int? overlapTokens, Skald.Models.Modules.Llm2VecConfig? llm2vec = null)
    {
        var (fits, why) = PassageBudget.Room(tokenizer, maxTokens, prompt, llm2vec, limit); // the rule data generate sizes passages by
        int chunk = chunkTokens ?? Math.Min(DefaultChunkTokens, fits);
        string? note = chunkTokens is null && chunk < DefaultChunkTokens
            ? $"chunks of at most {chunk} tokens: what the model reads of a passage ({why})"
            : chunk > fits
                ? $"warning: --chunk-tokens {chunk} is more than the {fits} tokens the model reads of a passage ({why}): " +
                  "dense search sees only the start of longer chunks (BM25 sees all of it)"
                : null;
        int overlap = overlapTokens ?? Math.Min(DefaultOverlapTokens, chunk / 4);
        if (overlap >= chunk) throw new UsageException($"option --overlap-tokens ({overlap}) must be below --chunk-tokens ({chunk})");
        return (chunk, overlap, note);
    }

    private const int DefaultChunkTokens = 200, DefaultOverlapTokens = 32;

    /// <summary>
    /// For <c>index build --corpus</c> (one row per document, not chunked): a warning naming how many rows are longer
    /// than <paramref name="model"/> reads, whose ends dense search never sees; null when all fit.
    /// </summary>
    public static string? LongRows(EvaluationEmbeddingModel model, IReadOnlyList<IndexRecord> records)
    {
        if (model.Encoder.MaxSeqLength == int.MaxValue) return null;
        var tokenizer = model.Encoder.Tokenizer;
        string prompt = model.PromptFor(TextRole.Document) ?? "";
        int longer = 0;
        Parallel.For(0, records.Count, () => 0, (i, _, n) => n + (tokenizer.Encode(prompt + records[i].FullText, true).Ids.Length > model.MaxTokens ? 1 : 0),
            n => Interlocked.Add(ref longer, n));
        return longer == 0 ? null
            : $"warning: {longer} of {records.Count} documents are longer than the {model.MaxTokens} tokens the model reads (max_seq_length): dense search " +
              "sees only their start (BM25 sees all of them); give the corpus as --documents FILE.jsonl to cut them into chunks";
    }

    /// <summary>Progress lines on stderr ("embedded N/M") unless quiet.</summary>
    public static Action<int, int>? Progress(bool quiet) =>
        quiet || Console.IsErrorRedirected ? null : (done, total) => Console.Error.Write($"\rembedded {done}/{total}{(done == total ? "\n" : "")}");

    /// <summary>Progress lines on stderr ("linked N/M rows into the HNSW graph") unless quiet.</summary>
    public static Action<int, int>? Linking(bool quiet) =>
        quiet || Console.IsErrorRedirected ? null : (done, total) => Console.Error.Write($"\rlinked {done}/{total} rows into the HNSW graph{(done == total ? "\n" : "")}");

    /// <summary>
    /// BM25's stemming for the build's last line: the stemmer, or, with no --language, "none" and how to stem (a Nordic
    /// user's documents otherwise match "ferien" and "ferie" as two words without a word of why).
    /// </summary>
    public static string Stemming(Skald.Retrieval.Index.IndexManifest manifest) =>
        manifest.Language is null && manifest.Stemming == "none" ? "none; --language nb, nn, da or sv stems" : manifest.Stemming;

    /// <summary>How an index searches its dense rows, for a log line: "384-d, cosine, PQ: 48 codes of 8 bits, IVF: 250 lists, 16 probed per search".</summary>
    public static string Layout(Skald.Retrieval.Index.IndexManifest manifest) => manifest.BgeM3 is { } m3
        ? $"BGE-M3 {string.Join(" + ", m3.Outputs.Select(o => o switch
        {
            "dense" => $"dense {manifest.Dimension}-d",
            "sparse" => "sparse (lexical weights)",
            _ => $"colbert {m3.ColbertDimension}-d ({m3.ColbertScore} MaxSim{(manifest.TokenPrecision == "plaid" ? $"; PLAID: {manifest.PlaidCentroids} centroids, {manifest.PlaidBits}-bit residuals" : "")})",
        }))}, {(manifest.TokenPrecision == "plaid" ? "approximate" : "exact")}" : manifest.MultiVector is not null
        ? manifest.TokenPrecision == "plaid"
            ? $"{manifest.Dimension}-d token vectors ({manifest.MultiVector}, PLAID: {manifest.PlaidCentroids} centroids, {manifest.PlaidBits}-bit residuals), approximate MaxSim"
            : $"{manifest.Dimension}-d token vectors ({manifest.MultiVector}{(manifest.TokenPrecision is { } t ? ", " + t : "")}{(manifest.PoolFactor is { } f ? $", pooled by {f}" : "")}), exact MaxSim" :
        $"{manifest.Dimension}-d, {manifest.Similarity}{(manifest.Precision == "float32" ? "" : ", searched as " + manifest.Precision)}" +
        (manifest.PqSubspaces == 0 ? "" : $", PQ: {Counted.Of(manifest.PqSubspaces, "code")} of {Counted.Of(manifest.PqBits, "bit")}{(!manifest.PqRotated ? "" : manifest.PqRotatedDim > 0 ? $" after OPQ to {manifest.PqRotatedDim}-d" : " after an OPQ rotation")}") +
        (manifest.IvfLists == 0 ? "" : $", IVF: {Counted.Of(manifest.IvfLists, "list")}, {manifest.IvfProbes} probed per search") +
        (manifest.HnswM == 0 ? "" : $", HNSW: M {manifest.HnswM}, ef {manifest.HnswEf} per search");
}
