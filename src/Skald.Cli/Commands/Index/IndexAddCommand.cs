using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Data.Indexing;
using Skald.Data.Ingest;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands.Index;

/// <summary><c>skald index add</c>: more documents into an index, with the index's own model and chunking.</summary>
internal sealed class IndexAddCommand : Command
{
    private readonly Option<string> index = IndexOptions.Index();
    private readonly Option<string> documents = IndexOptions.Documents();
    private readonly Option<string> corpus = IndexOptions.Corpus();
    private readonly Option<string> textColumn = CliOptions.Text("--text-column", "The text field of .jsonl documents", "NAME", "text");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Texts per forward pass", defaultValue: 32);
    private readonly Option<string> model = IndexOptions.MovedModel();
    private readonly Option<string> documentsRoot = IndexOptions.DocumentsRoot();
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<bool> replaceDeleted = CliOptions.Flag("--replace-deleted",
        "An HNSW index: new rows take the slots of deleted and replaced rows (hnswlib's replace_deleted), so the index keeps its size under churn; " +
        "the default is the index's own setting (index build --hnsw-replace-deleted), --replace-deleted false appends");
    private readonly Option<bool> sync = CliOptions.Flag("--sync",
        "With --documents: bring the index in step with them: files unchanged since they were indexed (same SHA-256) are skipped, changed ones " +
        "replaced, new ones added, and the rows of files gone from under --documents deleted, in one write (nothing written when nothing changed)");
    private readonly OcrOptions ocr = new();

    public IndexAddCommand() : base("add", "Add documents to an index (a document added again replaces its old rows; deleted rows are compacted away; --sync mirrors a folder)")
    {
        foreach (var o in new Option[] { index, model, documents, corpus, documentsRoot, textColumn, batchSize, replaceDeleted, sync, float32Matmul }) Options.Add(o);
        foreach (var o in ocr.All) Options.Add(o);
        SetAction(Run);
    }

    // --replace-deleted as given (true, or false to append), null when not given: the index's own setting.
    private bool? Replace(ParseResult p) => p.GetResult(replaceDeleted) is { Implicit: false } ? p.GetValue(replaceDeleted) : null;

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        if (p.GetValue(sync) && p.GetValue(corpus) is not null) throw new UsageException("--sync is for --documents (a folder or files kept in step); a --corpus is added whole");
        try
        {
            string folder = p.GetValue(index)!;
            IndexManifest manifest;
            string? recorded;
            string root;
            IDisposable cased;
            using (var open = SearchIndex.Open(folder))
            {
                if (Replace(p) == true) IndexBuilder.CheckReplaceDeleted(open); // before the model is loaded
                (manifest, recorded) = (open.Manifest, DocumentRoot.Recorded(open.Manifest, open.Records));
                cased = IndexSources.PathCase(p.GetValue(documents), p.GetValue(corpus), p.GetValue(documentsRoot) ?? recorded);
                root = IndexSources.Root(p.GetValue(documents), p.GetValue(corpus), recorded, p.GetValue(documentsRoot), open.Records.Select(r => r.Source));
            }
            using var pathCase = cased;
            string modelDir = IndexOptions.ModelOf(manifest, folder, p.GetValue(model), "");
            if (manifest.BgeM3 is not null)
            {
                using var m3 = IndexOptions.BgeM3Model(manifest, folder, modelDir, p.GetValue(batchSize) ?? 32);
                Float32MatmulOption.Apply(m3.Encoder, p.GetValue(float32Matmul), quiet);
                var (chunkM, overlapM, _) = manifest.ChunkTokens > 0 ? (manifest.ChunkTokens, manifest.OverlapTokens, null) : IndexOptions.Chunking(m3, null, null);
                var m3Chunking = new ChunkOptions { ChunkTokens = chunkM, OverlapTokens = overlapM, Counter = TokenCounter.For(m3.Encoder.Tokenizer, modelDir) };
                return Added(p, folder, manifest, m3, m3Chunking, root, modelDir, null, null, recorded, quiet);
            }
            if (manifest.MultiVector is not null)
            {
                using var tokens = IndexOptions.LateInteractionModel(manifest, folder, modelDir, p.GetValue(batchSize) ?? 32);
                Float32MatmulOption.Apply(tokens.Encoder, p.GetValue(float32Matmul), quiet);
                var (chunkT, overlapT, _) = manifest.ChunkTokens > 0 ? (manifest.ChunkTokens, manifest.OverlapTokens, null)
                    : IndexOptions.Chunking(tokens.Encoder, null, null);
                var tokenChunking = new ChunkOptions { ChunkTokens = chunkT, OverlapTokens = overlapT, Counter = TokenCounter.For(tokens.Encoder.Tokenizer, modelDir) };
                return Added(p, folder, manifest, tokens, tokenChunking, root, modelDir, null, Replace(p), recorded, quiet);
            }
            using var embedder = EvaluationEmbeddingModel.Load(modelDir, new EvaluationEmbeddingOptions
            {
                BatchSize = p.GetValue(batchSize) ?? 32,
                MaxActiveDims = manifest.MaxActiveDims > 0 ? manifest.MaxActiveDims : null, // rows as the index was built
                TruncateDim = manifest.TruncateDim > 0 ? manifest.TruncateDim : null,
                HubCacheOnly = true, // the model ModelOf checked (a hub base from the cache), not a newer revision online
            });
            Float32MatmulOption.Apply(embedder.Encoder, p.GetValue(float32Matmul), quiet);
            // The index's chunking; an index of a BEIR corpus (not chunked) chunks added documents as index build would.
            var (chunk, overlap, _) = manifest.ChunkTokens > 0 ? (manifest.ChunkTokens, manifest.OverlapTokens, null)
                : IndexOptions.Chunking(embedder, null, null);
            var chunking = new ChunkOptions { ChunkTokens = chunk, OverlapTokens = overlap, Counter = TokenCounter.For(embedder.Encoder.Tokenizer, modelDir) };
            return Added(p, folder, manifest, embedder, chunking, root, modelDir, IndexOptions.Linking(quiet), Replace(p), recorded, quiet);
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>
    /// The add with the index's model and chunking, and its line: a --corpus added whole; --documents by the library
    /// (<see cref="DocumentIndex.Add"/>, or with --sync <see cref="DocumentIndex.Sync"/>), read as the index's were
    /// (<see cref="Reading"/>).
    /// </summary>
    private int Added(ParseResult p, string folder, IndexManifest manifest, IEmbeddingModel model, ChunkOptions chunking, string root, string modelDir,
        Action<int, int>? linking, bool? replace, string? recorded, bool quiet)
    {
        if (p.GetValue(sync)) return Synced(p, folder, manifest, model, chunking, root, modelDir, linking, replace, recorded, quiet);
        if (p.GetValue(corpus) is { } whole)
        {
            var (records, _, _) = IndexSources.Read(null, whole, chunking, p.GetValue(textColumn)!, ocr.From(p), m => Terminal.Log(m, quiet), root, folder, Bm25Fields.IsPerDocument(manifest));
            return Report(IndexBuilder.Add(folder, model, records, IndexOptions.Progress(quiet), linking, root, modelDir, replace), recorded, root, folder, quiet);
        }
        var options = Reading(p, folder, manifest, quiet) with
        {
            // the library picks the root as the CLI did (--documents-root given, else the recorded one, ...): given, it must hold the files
            DocumentsRoot = p.GetValue(documentsRoot), Progress = IndexOptions.Progress(quiet), Linking = linking, ModelPath = modelDir, ReplaceDeleted = replace,
        };
        return Report(DocumentIndex.Add(folder, model, CliOptions.Items(p.GetValue(documents)), chunking, options), recorded, root, folder, quiet);
    }

    /// <summary>
    /// --sync: the library's sync (<see cref="DocumentIndex.Sync"/>) of --documents with the index's model and chunking, and its line.
    /// </summary>
    private int Synced(ParseResult p, string folder, IndexManifest manifest, IEmbeddingModel model, ChunkOptions chunking, string root, string modelDir,
        Action<int, int>? linking, bool? replace, string? recorded, bool quiet)
    {
        var inputs = CliOptions.Items(p.GetValue(documents));
        var done = DocumentIndex.Sync(folder, model, inputs, chunking, Reading(p, folder, manifest, quiet) with
        {
            DocumentsRoot = root, Progress = IndexOptions.Progress(quiet), Linking = linking, ModelPath = modelDir, ReplaceDeleted = replace,
        });
        if (done.Written && recorded is not null && !DocumentPaths.Same(recorded, root)) Terminal.Log($"documents root is now {root} (was {recorded})", quiet);
        // files that could not be read are skipped while unchanged: named by count, listed by index info --skipped
        string unreadable = done.Unreadable == 0 ? "" : $", {done.Unreadable} unreadable (skipped while unchanged; index info --skipped lists them)";
        Terminal.Log(done.Written
            ? $"synced {folder}: {Counted.Of(done.Unchanged, "file")} unchanged, {done.Changed} changed, {done.New} new, {done.Removed} removed{unreadable}; " +
              $"added {Counted.Of(done.RowsAdded, "row")}, dropped {Counted.Of(done.RowsDropped, "row")}"
            : $"{folder} is in step with the documents ({Counted.Of(done.Unchanged, "file")} unchanged{unreadable}); nothing written", quiet);
        return 0;
    }

    /// <summary>
    /// How --documents are read into the index: --text-column and the OCR options not given are the index's
    /// (<see cref="IndexManifest.Reading"/>), and given otherwise the library refuses them in one line.
    /// </summary>
    private DocumentIndexOptions Reading(ParseResult p, string folder, IndexManifest manifest, bool quiet)
    {
        var read = manifest.Reading ?? new Dictionary<string, string>();
        string Given(Option<string> option, string key) => p.GetResult(option) is { Implicit: false } || !read.TryGetValue(key, out string? value) ? p.GetValue(option)! : value;
        Skald.Data.Ingest.Readers.Ocr reading;
        try
        {
            reading = new(Given(ocr.Mode, DocumentIndex.OcrKey) != "off", Given(ocr.Languages, DocumentIndex.OcrLanguagesKey));
        }
        catch (Skald.Data.DataException e)
        {
            throw new InputException($"{folder}: --ocr-languages: {e.Message}");
        }
        return IndexSources.Options(Given(textColumn, DocumentIndex.TextColumnKey), reading, m => Terminal.Log(m, quiet));
    }

    private static int Report((int Added, int Replaced) done, string? recorded, string root, string folder, bool quiet)
    {
        var (added, replaced) = done;
        if (recorded is not null && !DocumentPaths.Same(recorded, root)) Terminal.Log($"documents root is now {root} (was {recorded})", quiet);
        Terminal.Log($"added {Counted.Of(added, "row")}{(replaced > 0 ? $", replacing {Counted.Of(replaced, "row")} of re-added documents" : "")} to {folder}", quiet);
        return 0;
    }
}
