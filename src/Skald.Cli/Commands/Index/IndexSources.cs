using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Data.Ingest;
using Skald.Data.Languages;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// What goes into an index: documents read and chunked by <see cref="DocumentIngest"/> (one record per chunk, id
/// <c>DOCUMENT#cN</c>, the document being the file's path relative to the documents root (<see cref="DocumentRoot"/>),
/// or <c>path:line</c> for .jsonl rows, whose other columns become the record's fields), or a BEIR
/// <c>corpus.jsonl</c> (one record per document, its <c>_id</c> as id and document).
/// </summary>
internal static class IndexSources
{
    /// <summary>
    /// Reads the records (scanned PDF pages as <paramref name="ocr"/> says); <paramref name="log"/> hears about skipped
    /// files and unread pages; the <paramref name="index"/> folder is not read when it lies inside the documents.
    /// Paths are made relative to <paramref name="root"/> (<see cref="Root"/>). With <paramref name="languages"/>
    /// (an index stemmed per document, <see cref="Bm25Fields"/>) each record carries its document's language (<see cref="LanguageOf"/>).
    /// A chunk's title counts against <paramref name="chunking"/>'s budget (<see cref="ChunkOptions.TitleInBudget"/>): the
    /// record's full text, title and text, is what a model embeds, and it fits what the model reads.
    /// </summary>
    public static List<IndexRecord> Read(string? documents, string? corpus, ChunkOptions chunking, string textColumn, Skald.Data.Ingest.Readers.Ocr ocr, Action<string> log,
        string root, string? index = null, bool languages = false)
    {
        if ((documents is null) == (corpus is null)) throw new UsageException("give either --documents or --corpus");
        if (corpus is not null)
        {
            string source = DocumentRoot.Relative(root, RealPath.Of(CorpusFile(corpus)));
            return [.. RetrievalData.LoadCorpus(CorpusFile(corpus)).Select(d => new IndexRecord(d.Id, d.Id, source, 0, d.Text.Length, d.Title, d.Text,
                Language: languages ? LanguageOf(d.Title + "\n" + d.Text, null) : null))];
        }
        var inputs = CliOptions.Items(documents).Select(RealPath.Of).ToArray(); // links resolved, as the root is: one name per document
        // a record's full text (title, a space, text) is what is embedded: the title counts against the chunk budget
        var ingest = DocumentIngest.Ingest(inputs, chunking with { TitleInBudget = true }, textColumn, ocr, log,
            output: index is null ? null : RealPath.Of(index)); // (an index inside the documents is not read, named through a link or not)
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
                if (!fields.TryGetValue(file, out var rows)) fields[file] = rows = Skald.Data.Ingest.Readers.JsonlReader.Fields(file, textColumn);
                own = rows.GetValueOrDefault(c.Source);
            }
            string document = DocumentRoot.Relative(root, c.Source);
            string? language = null;
            if (textOf is not null && !languageOf.TryGetValue(c.Source, out language))
                languageOf[c.Source] = language = LanguageOf(textOf[c.Source], own);
            records.Add(new IndexRecord($"{document}#c{n}", document, DocumentRoot.Relative(root, file), c.Start, c.End, c.Title, c.Text, own, language));
        }
        return records;
    }

    /// <summary>
    /// A text's language by <see cref="LanguageOf"/> without fields: the detector every BM25 of language "auto" outside an
    /// index is given (<see cref="Skald.Retrieval.Bm25.Bm25Options.DocumentLanguage"/>: <c>skald evaluate</c>,
    /// <c>data mine-negatives</c>, a pipeline's mine_negatives and benchmark stages, <c>skald benchmark</c>).
    /// </summary>
    public static string? GuessedLanguage(string text) => LanguageOf(text, null);

    /// <summary>
    /// A document's language for BM25 stemming: a .jsonl row's own <c>language</c> (or <c>lang</c>) field when it has
    /// one, else <see cref="LanguageGuesser"/>'s guess from its text (nb, nn, da, sv, en; null when it guesses none).
    /// </summary>
    public static string? LanguageOf(string text, IReadOnlyDictionary<string, string>? fields)
    {
        if (fields is not null && (fields.GetValueOrDefault("language") ?? fields.GetValueOrDefault("lang")) is { Length: > 0 } given) return given.Trim().ToLowerInvariant();
        string guess = LanguageGuesser.Guess(text.Length > 20_000 ? text[..20_000] : text);
        return guess == "und" ? null : guess;
    }

    /// <summary>
    /// The documents root of records read from --documents or --corpus (<see cref="DocumentRoot.For"/>: the index's
    /// <paramref name="recorded"/> root while it exists, else where that folder moved, recognised by the
    /// <paramref name="known"/> sources of the index, else the deepest folder holding them; --documents-root
    /// <paramref name="given"/> overrides it).
    /// </summary>
    public static string Root(string? documents, string? corpus, string? recorded, string? given, IEnumerable<string>? known = null)
    {
        if ((documents is null) == (corpus is null)) throw new UsageException("give either --documents or --corpus");
        string[] inputs = corpus is not null ? [CorpusFile(corpus)] : CliOptions.Items(documents);
        if (inputs.Length == 0) throw new UsageException("option --documents must not be empty");
        try
        {
            return DocumentRoot.For(recorded, inputs, given, known);
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>
    /// Compares document paths, until disposed, as the volume holding the documents compares names
    /// (<see cref="DocumentPaths.On"/>): the <paramref name="root"/> folder while it exists, else the first of
    /// --documents or the --corpus file.
    /// </summary>
    public static IDisposable PathCase(string? documents, string? corpus, string? root) =>
        DocumentPaths.On(root is not null && Directory.Exists(root) ? root
            : corpus is not null ? CorpusFile(corpus) : documents is not null ? CliOptions.Items(documents).FirstOrDefault() : null);

    private static string CorpusFile(string corpus) => Directory.Exists(corpus) ? Path.Combine(corpus, "corpus.jsonl") : corpus;

    /// <summary>The file a chunk source names (<c>path:line</c> for .jsonl rows → path).</summary>
    private static string FileOf(string source)
    {
        if (File.Exists(source)) return source;
        int colon = source.LastIndexOf(':');
        return colon > 0 && source[(colon + 1)..].All(char.IsAsciiDigit) ? source[..colon] : source;
    }
}
