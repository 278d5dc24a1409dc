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
public static partial class DocumentIndex
{
    /// <summary>
    /// The records of the <paramref name="documents"/> (files and folders): paths relative to <paramref name="root"/>,
    /// chunked by <paramref name="chunking"/>; <paramref name="languages"/>: each record carries its document's language
    /// (an index stemmed per document, <see cref="Bm25Fields"/>; <c>und</c>, stemmed by none, where none is guessed); <paramref name="index"/>: a folder not read when it lies
    /// inside the documents. Skipped files and unread pages are told to <see cref="DocumentIndexOptions.Log"/>.
    /// </summary>
    public static List<IndexRecord> Read(IReadOnlyList<string> documents, string root, ChunkOptions chunking, DocumentIndexOptions? options = null,
        bool languages = false, string? index = null) => Read(documents, root, chunking, options ?? new(), languages, index, null).Records;

    /// <summary>
    /// <see cref="Read(IReadOnlyList{string}, string, ChunkOptions, DocumentIndexOptions?, bool, string?)"/>, with the files
    /// read without text and those that could not be read as an index records them (<paramref name="noText"/>,
    /// <see cref="IndexManifest.NoText"/>; <paramref name="unreadable"/>, <see cref="IndexManifest.Unreadable"/>), as
    /// <c>skald index build --documents</c> writes them.
    /// </summary>
    public static List<IndexRecord> Read(IReadOnlyList<string> documents, string root, ChunkOptions chunking, DocumentIndexOptions options,
        bool languages, string? index, out IReadOnlyList<TextlessFile> noText, out IReadOnlyList<UnreadableFile> unreadable)
    {
        var (records, empty, failed) = Read(documents, root, chunking, options, languages, index, null);
        (noText, unreadable) = (empty, failed);
        return records;
    }

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
        var (records, noText, unreadable) = Read(inputs, root, chunking, options, language == Bm25Fields.PerDocument, folder, null);
        return IndexBuilder.Build(folder, model, modelPath, records, new Bm25Options(), language, chunking.ChunkTokens, chunking.OverlapTokens, options.Progress,
            linking: options.Linking, documentsRoot: root, cancellationToken: options.CancellationToken, reading: Reading(options), noText: noText, unreadable: unreadable);
    }

    /// <summary>
    /// Adds <paramref name="documents"/> to the index in <paramref name="folder"/> as <c>skald index add --documents</c>
    /// does: a file added again replaces its rows. Give the index's chunking (<see cref="IndexManifest.ChunkTokens"/>,
    /// <see cref="IndexManifest.OverlapTokens"/>, counted with the model's tokenizer). Returns (rows added, rows replaced).
    /// Files are read as the index's were (<see cref="IndexManifest.Reading"/>): another chunking, text column or OCR
    /// setting is refused in one line naming the option, as <see cref="Sync"/> refuses it; an index that recorded none
    /// records <paramref name="options"/>' (without the readers' revision when it holds documents' rows already, which
    /// earlier readers may have made: a sync reads those again). Files read without text and files that could not be
    /// read are recorded as <see cref="Sync"/> records them, and a file read here loses its earlier record.
    /// </summary>
    public static (int Added, int Replaced) Add(string folder, IEmbeddingModel model, IReadOnlyList<string> documents, ChunkOptions chunking,
        DocumentIndexOptions? options = null)
    {
        options ??= new();
        var (inputs, root, languages, reading) = Open(folder, documents, options, chunking, "add");
        using var cased = DocumentPaths.On(root);
        var (records, noText, unreadable) = Read(inputs, root, chunking, options, languages, folder, null);
        var read = records.Select(r => r.Source).Concat(noText.Select(t => t.Source)).Concat(unreadable.Select(u => u.Source)).ToHashSet(DocumentPaths.Comparer);
        return IndexBuilder.Update(folder, model, (live, now) => new IndexChange(records, [])
        {
            Reading = now.Reading is null ? ReadingOfAnAdd(reading, live) : null,
            NoText = [.. (now.NoText ?? []).Where(t => !read.Contains(t.Source)), .. noText],
            Unreadable = [.. (now.Unreadable ?? []).Where(u => !read.Contains(u.Source)), .. unreadable],
        }, options.Progress, options.Linking, root, options.ModelPath, options.ReplaceDeleted, options.CancellationToken) ?? (records.Count, 0);
    }

    /// <summary>Deletes every row read from <paramref name="files"/> (full paths, or relative to the index's root), as <c>skald index delete --source</c>; returns the rows deleted.</summary>
    public static int Delete(string folder, IReadOnlyCollection<string> files) => IndexBuilder.Delete(folder, [], files);

    /// <summary>
    /// The inputs (links resolved), the documents root, whether the index stems per document and the reading settings of
    /// <paramref name="options"/>, read from the index in <paramref name="folder"/>, whose recorded reading and chunking
    /// they are checked against for a sync or an add (<paramref name="command"/>, <see cref="CheckReading"/>).
    /// </summary>
    private static (string[] Inputs, string Root, bool Languages, IReadOnlyDictionary<string, string> Reading) Open(string folder, IReadOnlyList<string> documents,
        DocumentIndexOptions options, ChunkOptions chunking, string command)
    {
        var inputs = documents.Select(RealPath.Of).ToArray(); // links resolved, as the root is: one name per document
        using var index = SearchIndex.Open(folder);
        var reading = Reading(options);
        CheckReading(folder, index.Manifest, chunking, reading, command);
        string? recorded = DocumentRoot.Recorded(index.Manifest, index.Records);
        using var cased = DocumentPaths.On(options.DocumentsRoot ?? recorded);
        return (inputs, Root(inputs, recorded, options.DocumentsRoot, index.Records.Select(r => r.Source)), Bm25Fields.IsPerDocument(index.Manifest), reading);
    }

    /// <summary>
    /// The records of <paramref name="inputs"/>; <paramref name="files"/>: files' SHA-256 and stamps already taken (by a sync's look), else
    /// each file is stamped and hashed here before it is read (so that a write while it is read shows at the next sync).
    /// A chunk's title counts against <paramref name="chunking"/>'s budget (<see cref="ChunkOptions.TitleInBudget"/>): the record's full text,
    /// title and text, is what a model embeds, and it fits what the model reads.
    /// </summary>
    private static (List<IndexRecord> Records, List<TextlessFile> NoText, List<UnreadableFile> Unreadable) Read(IReadOnlyList<string> inputs, string root, ChunkOptions chunking,
        DocumentIndexOptions options, bool languages, string? index, Dictionary<string, FileRead>? files, bool requireText = true)
    {
        var log = options.Log ?? (_ => { });
        string? output = index is null ? null : RealPath.Of(index); // (an index inside the documents is not read, named through a link or not)
        files ??= Taken(DocumentIngest.Files(inputs, output));
        var ocr = options.Ocr ?? Ocr.Auto;
        // a record's full text (title, a space, text) is what is embedded: the title counts against the chunk budget
        var ingest = DocumentIngest.Ingest(inputs, chunking with { TitleInBudget = true }, options.TextColumn, ocr, log, output: output, requireText: requireText);
        foreach (var s in ingest.Skipped) log($"skipped {s.Path}: {s.Reason}");
        // files read and found without text, and files their readers failed on (those that could not be opened without a
        // hash: a permission given back changes no stamp, so a sync tries to open them again)
        var noText = new List<TextlessFile>();
        var unreadable = new List<UnreadableFile>();
        foreach (var s in ingest.Skipped)
        {
            bool taken = files.TryGetValue(s.Path, out var read);
            if (s.Failed) unreadable.Add(Unreadable(DocumentRoot.Relative(root, s.Path), taken && !s.Unopened ? read.Sha256 : null, taken ? read.Stamp : StampOf(s.Path), s.Reason));
            else if (taken) noText.Add(new TextlessFile(DocumentRoot.Relative(root, s.Path), read.Sha256, read.Stamp.Trusted ? read.Stamp.Size : null, read.Stamp.Modified, ocr.Reach, FailuresApart: true));
        }
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
        return (records, noText, unreadable);
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
