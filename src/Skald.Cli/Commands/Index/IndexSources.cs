using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Data.Ingest;
using Skald.Data.Indexing;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// What goes into an index, from the command line: --documents read by the library's <see cref="DocumentIndex"/> (one
/// record per chunk, id <c>DOCUMENT#cN</c>, paths relative to the documents root), or a BEIR --corpus (one record per
/// document); usage errors in one line.
/// </summary>
internal static class IndexSources
{
    /// <summary>
    /// Reads the records (scanned PDF pages as <paramref name="ocr"/> says); <paramref name="log"/> hears about skipped
    /// files and unread pages; the <paramref name="index"/> folder is not read when it lies inside the documents.
    /// Paths are made relative to <paramref name="root"/> (<see cref="Root"/>). With <paramref name="languages"/>
    /// (an index stemmed per document, <see cref="Bm25Fields"/>) each record carries its document's language (<see cref="DocumentIndex.LanguageOf"/>).
    /// Files read without text and files that could not be read come beside them (<see cref="IndexManifest.NoText"/>,
    /// <see cref="IndexManifest.Unreadable"/>; none from a --corpus).
    /// </summary>
    public static (List<IndexRecord> Records, IReadOnlyList<TextlessFile> NoText, IReadOnlyList<UnreadableFile> Unreadable) Read(string? documents, string? corpus, ChunkOptions chunking, string textColumn,
        Skald.Data.Ingest.Readers.Ocr ocr, Action<string> log, string root, string? index = null, bool languages = false)
    {
        if ((documents is null) == (corpus is null)) throw new UsageException("give either --documents or --corpus");
        if (corpus is not null) return (DocumentIndex.ReadCorpus(CorpusFile(corpus), root, languages), [], []);
        var inputs = CliOptions.Items(documents).Select(RealPath.Of).ToArray(); // links resolved, as the root is: one name per document
        var records = DocumentIndex.Read(inputs, root, chunking, Options(textColumn, ocr, log), languages, index, out var noText, out var unreadable);
        return (records, noText, unreadable);
    }

    /// <summary>The library's reading settings (<see cref="DocumentIndexOptions"/>) of --text-column, the OCR options and the log.</summary>
    public static DocumentIndexOptions Options(string textColumn, Skald.Data.Ingest.Readers.Ocr ocr, Action<string> log) =>
        new() { TextColumn = textColumn, Ocr = ocr, Log = log };

    /// <summary>
    /// A text's language by <see cref="DocumentIndex.LanguageOf"/> without fields: the detector every BM25 of language "auto" outside an
    /// index is given (<see cref="Skald.Retrieval.Bm25.Bm25Options.DocumentLanguage"/>: <c>skald evaluate</c>,
    /// <c>data mine-negatives</c>, a pipeline's mine_negatives and benchmark stages, <c>skald benchmark</c>).
    /// </summary>
    public static string? GuessedLanguage(string text) => DocumentIndex.LanguageOf(text, null);

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
}
