using System.Security.Cryptography;
using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Data.Languages;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Data.Indexing;

/// <summary>
/// An index kept in step with a user's documents, as <c>skald index build|add|delete|add --sync --documents</c> keep it:
/// files read and chunked by <see cref="DocumentIngest"/>, one record per chunk, id <c>DOCUMENT#cN</c>, the document
/// being the file's path relative to the documents root (<see cref="DocumentRoot"/>), or <c>path:line</c> for .jsonl
/// rows, whose other columns become the record's fields; each record carries its document's language
/// (<see cref="LanguageOf"/>) when the index stems per document, and its file's SHA-256, which <see cref="Sync"/>
/// compares to skip unchanged files. The CLI calls these; a C# app does the same in a few lines.
/// </summary>
public static class DocumentIndex
{
    /// <summary>
    /// The records of the <paramref name="documents"/> (files and folders): paths relative to <paramref name="root"/>,
    /// chunked by <paramref name="chunking"/>; <paramref name="languages"/>: each record carries its document's language
    /// (an index stemmed per document, <see cref="Bm25Fields"/>; <c>und</c>, stemmed by none, where none is guessed); <paramref name="index"/>: a folder not read when it lies
    /// inside the documents. Skipped files and unread pages are told to <see cref="DocumentIndexOptions.Log"/>.
    /// </summary>
    public static List<IndexRecord> Read(IReadOnlyList<string> documents, string root, ChunkOptions chunking, DocumentIndexOptions? options = null,
        bool languages = false, string? index = null) => Read(documents, root, chunking, options ?? new(), languages, index, null);

    /// <summary>
    /// The records of a BEIR <c>corpus.jsonl</c> (one per document, its <c>_id</c> as id and document; the file's path
    /// relative to <paramref name="root"/> as source), with languages as in <see cref="Read(IReadOnlyList{string}, string, ChunkOptions, DocumentIndexOptions?, bool, string?)"/>.
    /// </summary>
    public static List<IndexRecord> ReadCorpus(string corpusFile, string root, bool languages = false)
    {
        string source = DocumentRoot.Relative(root, RealPath.Of(corpusFile));
        string hash = Sha256(corpusFile);
        return [.. RetrievalData.LoadCorpus(corpusFile).Select(d => new IndexRecord(d.Id, d.Id, source, 0, d.Text.Length, d.Title, d.Text,
            Language: languages ? RecordLanguage(d.Title + "\n" + d.Text, null) : null, SourceSha256: hash))];
    }

    /// <summary>
    /// A document's language for BM25 stemming: a .jsonl row's own <c>language</c> (or <c>lang</c>) field when it has
    /// one, else <see cref="LanguageGuesser"/>'s guess from its text (nb, nn, da, sv, en; null when it guesses none).
    /// </summary>
    public static string? LanguageOf(string text, IReadOnlyDictionary<string, string>? fields = null)
    {
        if (fields is not null && (fields.GetValueOrDefault("language") ?? fields.GetValueOrDefault("lang")) is { Length: > 0 } given) return given.Trim().ToLowerInvariant();
        string guess = LanguageGuesser.Guess(text.Length > 20_000 ? text[..20_000] : text);
        return guess == LanguageGuesser.Undetermined ? null : guess;
    }

    /// <summary>
    /// A record's language in an index stemmed per document: <see cref="LanguageOf"/>, or <see cref="LanguageGuesser.Undetermined"/>
    /// (no stemmer) when it finds none, so that every record names one, as <see cref="TextIndex"/> asks of records it is given for such an index.
    /// </summary>
    private static string RecordLanguage(string text, IReadOnlyDictionary<string, string>? fields) => LanguageOf(text, fields) ?? LanguageGuesser.Undetermined;

    /// <summary>
    /// The documents root of <paramref name="inputs"/> (<see cref="DocumentRoot.For"/>: the index's
    /// <paramref name="recorded"/> root while it exists, else where that folder moved, recognised by the
    /// <paramref name="known"/> sources of the index, else the deepest folder holding them; <paramref name="given"/> overrides it).
    /// </summary>
    public static string Root(IReadOnlyCollection<string> inputs, string? recorded = null, string? given = null, IEnumerable<string>? known = null) =>
        DocumentRoot.For(recorded, inputs, given, known);

    /// <summary>The SHA-256 of a file's bytes, lower-case hex (<see cref="IndexRecord.SourceSha256"/>).</summary>
    public static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// A new index of <paramref name="documents"/> in <paramref name="folder"/>, as <c>skald index build --documents</c>
    /// writes it: <paramref name="language"/> nb, nn, da or sv stems BM25, <c>auto</c> each document by its own language;
    /// the reading settings are recorded (<see cref="Reading"/>), which a later <see cref="Sync"/> reads files by.
    /// </summary>
    public static IndexManifest Build(string folder, IEmbeddingModel model, string modelPath, IReadOnlyList<string> documents, ChunkOptions chunking,
        string? language = null, DocumentIndexOptions? options = null)
    {
        options ??= new();
        var inputs = documents.Select(RealPath.Of).ToArray();
        string root = Root(inputs, null, options.DocumentsRoot);
        using var cased = DocumentPaths.On(root);
        var records = Read(inputs, root, chunking, options, language == Bm25Fields.PerDocument, folder, null);
        return IndexBuilder.Build(folder, model, modelPath, records, new Bm25Options(), language, chunking.ChunkTokens, chunking.OverlapTokens, options.Progress,
            linking: options.Linking, documentsRoot: root, cancellationToken: options.CancellationToken, reading: Reading(options));
    }

    /// <summary>
    /// Adds <paramref name="documents"/> to the index in <paramref name="folder"/> as <c>skald index add --documents</c>
    /// does: a file added again replaces its rows. Give the index's chunking (<see cref="IndexManifest.ChunkTokens"/>,
    /// <see cref="IndexManifest.OverlapTokens"/>, counted with the model's tokenizer). Returns (rows added, rows replaced).
    /// </summary>
    public static (int Added, int Replaced) Add(string folder, IEmbeddingModel model, IReadOnlyList<string> documents, ChunkOptions chunking,
        DocumentIndexOptions? options = null)
    {
        options ??= new();
        var (inputs, root, languages, _) = Open(folder, documents, options);
        using var cased = DocumentPaths.On(root);
        var records = Read(inputs, root, chunking, options, languages, folder, null);
        return IndexBuilder.Add(folder, model, records, options.Progress, options.Linking, root, options.ModelPath, options.ReplaceDeleted, options.CancellationToken);
    }

    /// <summary>Deletes every row read from <paramref name="files"/> (full paths, or relative to the index's root), as <c>skald index delete --source</c>; returns the rows deleted.</summary>
    public static int Delete(string folder, IReadOnlyCollection<string> files) => IndexBuilder.Delete(folder, [], files);

    /// <summary>
    /// Brings the index in <paramref name="folder"/> in step with <paramref name="documents"/> (files and folders, read
    /// as <see cref="Add"/> reads them), as <c>skald index add --sync</c> does: a file whose length and write time are
    /// those recorded with its rows (<see cref="FileStamp"/>) is neither hashed nor read; another is hashed, and one whose
    /// bytes hash as recorded (<see cref="IndexRecord.SourceSha256"/>) is not read nor embedded again either (its new
    /// stamp is recorded when the sync writes); a changed file's rows are replaced, a new file's added, and the rows of
    /// files the index holds under <paramref name="documents"/> that are no longer there are dropped (rows of other files
    /// stay). Left out of the walk: the index's own folder and its staging siblings, and files whose rows were added whole
    /// as a BEIR corpus (<c>index add --corpus</c>), kept as they are. Rows of an index written before hashes were
    /// recorded count as changed, so the first sync embeds them again. Files are read as the index's were
    /// (<see cref="IndexManifest.Reading"/>: <paramref name="options"/>' text column and OCR, and
    /// <paramref name="chunking"/> as <see cref="IndexManifest.ChunkTokens"/> and <see cref="IndexManifest.OverlapTokens"/>):
    /// other settings are refused in one line naming the option, since the unchanged files' rows were made with the
    /// index's (an index that recorded none records these). The look, the reading (OCR too) and the embedding happen
    /// without the index's writer lock, which is taken for the one atomic write alone (<see cref="IndexBuilder.Update"/>:
    /// should another writer change the index meanwhile, the sync is done again from the index as it is then), so a sync
    /// killed at any moment leaves the index as it was or as synced. When nothing changed nothing is written.
    /// </summary>
    public static DocumentSyncResult Sync(string folder, IEmbeddingModel model, IReadOnlyList<string> documents, ChunkOptions chunking,
        DocumentIndexOptions? options = null)
    {
        options ??= new();
        var (inputs, root, languages, manifest) = Open(folder, documents, options);
        var reading = Reading(options);
        CheckReading(folder, manifest, chunking, reading);
        using var cased = DocumentPaths.On(root);
        DocumentSyncResult? plan = null;
        var done = IndexBuilder.Update(folder, model, live =>
        {
            var (change, counts) = Plan(live, inputs, root, chunking, options, languages, folder, ReadByOtherReaders(manifest));
            plan = counts;
            return change is null ? null : change with { Reading = reading };
        }, options.Progress, options.Linking, root, options.ModelPath, options.ReplaceDeleted, options.CancellationToken, lockOnlyToWrite: true);
        return plan! with { RowsAdded = done?.Added ?? 0, RowsDropped = done?.Replaced ?? 0, Written = done is not null };
    }

    /// <summary>The reading settings of <paramref name="options"/> an index records (<see cref="IndexManifest.Reading"/>), by their keys there.</summary>
    public static IReadOnlyDictionary<string, string> Reading(DocumentIndexOptions options)
    {
        var ocr = options.Ocr ?? Ocr.Auto;
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [TextColumnKey] = options.TextColumn,
            [OcrKey] = ocr.Enabled ? "auto" : "off",
            [OcrLanguagesKey] = ocr.Languages,
            [ReadersKey] = ReadersRevision,
        };
    }

    /// <summary>
    /// <see cref="IndexManifest.Reading"/>'s key of the revision of the document readers that made the index's rows
    /// (<see cref="ReadersRevision"/>).
    /// </summary>
    public const string ReadersKey = "readers";

    /// <summary>
    /// The document readers' revision, raised when they make other text or chunks of the same file: 2 reads a .txt
    /// file's title lines as headings, UTF-16 files with their mark, tables without a header row and PDF cells wrapped
    /// in capitals (an index that recorded no revision was read before). A sync of an index read by other readers reads
    /// every file again, so that it holds what a build now would, not the old rows of files unchanged since.
    /// </summary>
    public const string ReadersRevision = "2";

    /// <summary>Whether the index's rows were made by other document readers than these (<see cref="ReadersRevision"/>).</summary>
    private static bool ReadByOtherReaders(IndexManifest manifest) =>
        manifest.Reading?.GetValueOrDefault(ReadersKey) != ReadersRevision;

    /// <summary><see cref="IndexManifest.Reading"/>'s key of the .jsonl text column (<c>--text-column</c>).</summary>
    public const string TextColumnKey = "text_column";

    /// <summary><see cref="IndexManifest.Reading"/>'s key of OCR on or off (<c>--ocr auto|off</c>).</summary>
    public const string OcrKey = "ocr";

    /// <summary><see cref="IndexManifest.Reading"/>'s key of the OCR languages (<c>--ocr-languages</c>).</summary>
    public const string OcrLanguagesKey = "ocr_languages";

    /// <summary>
    /// Throws <see cref="EvaluationException"/>, one line naming the option, when a sync would read files otherwise than
    /// the index in <paramref name="folder"/> recorded: another chunk size or overlap, text column or OCR setting.
    /// </summary>
    private static void CheckReading(string folder, IndexManifest manifest, ChunkOptions chunking, IReadOnlyDictionary<string, string> reading)
    {
        const string advice = "a sync reads files as the index's were read, or its unchanged files' rows would be of other settings: give the index's, or build the index again";
        if (manifest.ChunkTokens > 0 && (chunking.ChunkTokens, chunking.OverlapTokens) != (manifest.ChunkTokens, manifest.OverlapTokens))
            throw new EvaluationException($"{folder}: the index was chunked by {manifest.ChunkTokens} tokens, overlap {manifest.OverlapTokens} (chunk_tokens, overlap_tokens); " +
                $"this sync asks {chunking.ChunkTokens}, overlap {chunking.OverlapTokens}: {advice}");
        if (manifest.Reading is null) return;
        foreach (var (key, value) in reading)
            if (key != ReadersKey && manifest.Reading.TryGetValue(key, out string? recorded) && recorded != value) // (other readers: read again)
                throw new EvaluationException($"{folder}: the index's documents were read with --{key.Replace('_', '-')} {recorded} (index.json's reading); this sync asks {value}: {advice}");
    }

    /// <summary>
    /// What a sync changes, given the index's live rows (named under <paramref name="root"/>); null when nothing. With
    /// <paramref name="reread"/> (rows made by other readers) no file is taken as unchanged by its stamp or hash.
    /// </summary>
    private static (IndexChange? Change, DocumentSyncResult Counts) Plan(IReadOnlyList<IndexRecord> live, string[] inputs, string root, ChunkOptions chunking,
        DocumentIndexOptions options, bool languages, string folder, bool reread)
    {
        var log = options.Log ?? (_ => { });
        if (reread && live.Any(IsChunk)) log("the index's documents were read by other readers than this Skald's (index.json's reading.readers): every file is read again");
        var recorded = new Dictionary<string, IndexRecord>(DocumentPaths.Comparer); // a source's first live row: its hash and stamp as the index holds them
        var corpora = new HashSet<string>(DocumentPaths.Comparer); // sources whose rows are not a document's chunks: added whole as a --corpus
        foreach (var r in live)
        {
            recorded.TryAdd(r.Source, r);
            if (!IsChunk(r)) corpora.Add(r.Source);
        }
        var files = new Dictionary<string, FileRead>(StringComparer.Ordinal);
        var restamped = new Dictionary<string, (long, string)>(DocumentPaths.Comparer);
        var present = new HashSet<string>(DocumentPaths.Comparer);
        var read = new List<string>();
        var drop = new List<string>();
        int unchanged = 0, changed = 0;
        var now = DateTime.UtcNow;
        foreach (var file in OwnOutputsLeftOut(DocumentIngest.Files(inputs, RealPath.Of(folder)), folder))
        {
            string source = DocumentRoot.Relative(root, file);
            present.Add(source);
            if (corpora.Contains(source))
            {
                log($"left out {file}: its rows were added as a --corpus (index add --corpus adds it again)");
                continue;
            }
            var stamp = FileStamp.Of(file, now);
            bool known = recorded.TryGetValue(source, out var before);
            if (known && !reread && stamp.Matches(before!))
            {
                unchanged++;
                continue;
            }
            var hashed = files[file] = new FileRead(Sha256(file), stamp);
            if (known && !reread && before!.SourceSha256 == hashed.Sha256)
            {
                unchanged++;
                if (stamp.Trusted) restamped[source] = (stamp.Size, stamp.Modified!);
                continue;
            }
            read.Add(file);
            if (!known) continue;
            changed++;
            drop.Add(source);
        }
        var removed = recorded.Keys.Where(s => !present.Contains(s) && Under(DocumentRoot.Full(root, s), inputs)).ToList();
        drop.AddRange(removed);
        var counts = new DocumentSyncResult(unchanged, changed, read.Count - changed, removed.Count, 0, 0);
        if (read.Count == 0 && drop.Count == 0) return (null, counts);
        List<IndexRecord> records;
        try
        {
            records = read.Count == 0 ? [] : Read(read, root, chunking, options, languages, folder, files);
        }
        catch (DataException e) when (!read.Any(f => Path.GetExtension(f).Equals(".jsonl", StringComparison.OrdinalIgnoreCase)))
        {
            // every file to read has no text now (emptied, or unreadable): its rows go as a removed file's, as a build would leave it out
            log($"skipped: {e.Message}");
            records = [];
        }
        return (records.Count == 0 && drop.Count == 0 ? null : new IndexChange(records, drop) { Restamped = restamped }, counts); // new files without text alone: nothing to write
    }

    /// <summary>Whether <paramref name="row"/> is a chunk of a document read by <see cref="Read(IReadOnlyList{string}, string, ChunkOptions, DocumentIndexOptions?, bool, string?)"/> (id <c>DOCUMENT#cN</c>), not a corpus's row.</summary>
    private static bool IsChunk(IndexRecord row) =>
        row.Id.Length > row.Document.Length + 2 && row.Id.StartsWith(row.Document, StringComparison.Ordinal)
        && row.Id.AsSpan(row.Document.Length).StartsWith("#c", StringComparison.Ordinal) && row.Id.AsSpan(row.Document.Length + 2).IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>
    /// <paramref name="files"/> without those under the staging siblings of the index in <paramref name="folder"/>
    /// (<c>.tmp-NAME-PID</c>, <c>.old-NAME-PID</c>: a writer's new folder, or the old one moved aside), which lie in the
    /// documents when the index does and are walked when a sync reads while another writer writes.
    /// </summary>
    private static IEnumerable<string> OwnOutputsLeftOut(IEnumerable<string> files, string folder)
    {
        string real = RealPath.Of(folder), parent = Path.GetDirectoryName(real) ?? real, name = Path.GetFileName(real);
        string[] staging = [Path.Combine(parent, $".tmp-{name}-"), Path.Combine(parent, $".old-{name}-")];
        return files.Where(f => !staging.Any(s => DocumentPaths.StartsWith(f, s)));
    }

    /// <summary>Whether <paramref name="path"/> is one of <paramref name="inputs"/> or lies under one (full paths, compared as the volume compares names).</summary>
    private static bool Under(string path, string[] inputs) => inputs.Any(i =>
    {
        string folder = Path.TrimEndingDirectorySeparator(i);
        return DocumentPaths.Same(path, folder) || DocumentPaths.StartsWith(path, folder + Path.DirectorySeparatorChar);
    });

    /// <summary>The inputs (links resolved), the documents root, whether the index stems per document and its manifest, read from the index in <paramref name="folder"/>.</summary>
    private static (string[] Inputs, string Root, bool Languages, IndexManifest Manifest) Open(string folder, IReadOnlyList<string> documents, DocumentIndexOptions options)
    {
        var inputs = documents.Select(RealPath.Of).ToArray(); // links resolved, as the root is: one name per document
        using var index = SearchIndex.Open(folder);
        string? recorded = DocumentRoot.Recorded(index.Manifest, index.Records);
        using var cased = DocumentPaths.On(options.DocumentsRoot ?? recorded);
        return (inputs, Root(inputs, recorded, options.DocumentsRoot, index.Records.Select(r => r.Source)), Bm25Fields.IsPerDocument(index.Manifest), index.Manifest);
    }

    /// <summary>
    /// The records of <paramref name="inputs"/>; <paramref name="files"/>: files' SHA-256 and stamps already taken (by a sync's look), else
    /// each file is stamped and hashed here before it is read (so that a write while it is read shows at the next sync).
    /// A chunk's title counts against <paramref name="chunking"/>'s budget (<see cref="ChunkOptions.TitleInBudget"/>): the record's full text,
    /// title and text, is what a model embeds, and it fits what the model reads.
    /// </summary>
    private static List<IndexRecord> Read(IReadOnlyList<string> inputs, string root, ChunkOptions chunking, DocumentIndexOptions options, bool languages,
        string? index, Dictionary<string, FileRead>? files)
    {
        var log = options.Log ?? (_ => { });
        string? output = index is null ? null : RealPath.Of(index); // (an index inside the documents is not read, named through a link or not)
        files ??= Taken(DocumentIngest.Files(inputs, output));
        // a record's full text (title, a space, text) is what is embedded: the title counts against the chunk budget
        var ingest = DocumentIngest.Ingest(inputs, chunking with { TitleInBudget = true }, options.TextColumn, options.Ocr ?? Ocr.Auto, log,
            output: output);
        foreach (var s in ingest.Skipped) log($"skipped {s.Path}: {s.Reason}");
        foreach (var n in ingest.Notices) log($"not read: {n}");
        var perDocument = new Dictionary<string, int>(StringComparer.Ordinal);
        var records = new List<IndexRecord>(ingest.Chunks.Count);
        var textOf = languages ? ingest.Chunks.GroupBy(c => c.Source, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join("\n", g.Select(c => c.Text)), StringComparer.Ordinal) : null;
        var languageOf = new Dictionary<string, string?>(StringComparer.Ordinal);
        var fields = new Dictionary<string, Dictionary<string, IReadOnlyDictionary<string, string>>>(StringComparer.Ordinal); // per .jsonl file
        foreach (var c in ingest.Chunks)
        {
            int n = perDocument.GetValueOrDefault(c.Source);
            perDocument[c.Source] = n + 1;
            string file = FileOf(c.Source);
            IReadOnlyDictionary<string, string>? own = null;
            if (file != c.Source && file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            {
                if (!fields.TryGetValue(file, out var rows)) fields[file] = rows = JsonlReader.Fields(file, options.TextColumn);
                own = rows.GetValueOrDefault(c.Source);
            }
            string document = DocumentRoot.Relative(root, c.Source);
            string? language = null;
            if (textOf is not null && !languageOf.TryGetValue(c.Source, out language))
                languageOf[c.Source] = language = RecordLanguage(textOf[c.Source], own);
            if (!files.TryGetValue(file, out var taken)) files[file] = taken = new FileRead(Sha256(file), default); // (a file the look could not stamp)
            var stamp = taken.Stamp;
            records.Add(new IndexRecord($"{document}#c{n}", document, DocumentRoot.Relative(root, file), c.Start, c.End, c.Title, c.Text, own, language, taken.Sha256,
                stamp.Trusted ? stamp.Size : null, stamp.Modified));
        }
        return records;
    }

    /// <summary>The stamps and hashes of <paramref name="files"/>, each stamped before it is hashed; a file that cannot be read is left out (its reader says why).</summary>
    private static Dictionary<string, FileRead> Taken(IEnumerable<string> files)
    {
        var now = DateTime.UtcNow;
        var taken = new Dictionary<string, FileRead>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                var stamp = FileStamp.Of(file, now);
                taken[file] = new FileRead(Sha256(file), stamp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return taken;
    }

    /// <summary>The file a chunk source names (<c>path:line</c> for .jsonl rows → path).</summary>
    private static string FileOf(string source)
    {
        if (File.Exists(source)) return source;
        int colon = source.LastIndexOf(':');
        return colon > 0 && source[(colon + 1)..].All(char.IsAsciiDigit) ? source[..colon] : source;
    }
}
