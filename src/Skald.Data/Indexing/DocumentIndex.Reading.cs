using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Retrieval;
using Skald.Retrieval.Index;

namespace Skald.Data.Indexing;

/// <summary><see cref="DocumentIndex"/>'s reading settings, as an index records them (<see cref="IndexManifest.Reading"/>) and checks them.</summary>
public static partial class DocumentIndex
{
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
    /// in capitals (an index that recorded no revision was read before); 3 keeps a table's empty cells in their places,
    /// reads a table with an empty first value as having no header, and goes on with a PDF table under a "continued"
    /// note over the page break. A sync of an index read by other readers reads every file again, so that it holds what
    /// a build now would, not the old rows of files unchanged since.
    /// </summary>
    public const string ReadersRevision = "3";

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
    /// Throws <see cref="EvaluationException"/>, one line naming the option, when a sync or an add (<paramref name="command"/>)
    /// would read files otherwise than the index in <paramref name="folder"/> recorded: another chunk size or overlap, text
    /// column or OCR setting (the readers' revision aside: a sync reads every file again then).
    /// </summary>
    private static void CheckReading(string folder, IndexManifest manifest, ChunkOptions chunking, IReadOnlyDictionary<string, string> reading, string command)
    {
        string advice = $"{(command == "sync" ? "a sync" : "an add")} reads files as the index's were read, or its " +
            $"{(command == "sync" ? "unchanged files' rows" : "rows")} would be of other settings: give the index's, or build the index again";
        if (manifest.ChunkTokens > 0 && (chunking.ChunkTokens, chunking.OverlapTokens) != (manifest.ChunkTokens, manifest.OverlapTokens))
            throw new EvaluationException($"{folder}: the index was chunked by {manifest.ChunkTokens} tokens, overlap {manifest.OverlapTokens} (chunk_tokens, overlap_tokens); " +
                $"this {command} asks {chunking.ChunkTokens}, overlap {chunking.OverlapTokens}: {advice}");
        if (manifest.Reading is null) return;
        foreach (var (key, value) in reading)
            if (key != ReadersKey && manifest.Reading.TryGetValue(key, out string? recorded) && recorded != value) // (other readers: read again)
                throw new EvaluationException($"{folder}: the index's documents were read with --{key.Replace('_', '-')} {recorded} (index.json's reading); this {command} asks {value}: {advice}");
    }

    /// <summary>
    /// What an add records as the reading of an index that recorded none (<paramref name="live"/>: its rows):
    /// <paramref name="reading"/>, without the readers' revision when the index holds documents' rows (read by earlier
    /// readers, unknown), so that a sync reads those again.
    /// </summary>
    private static IReadOnlyDictionary<string, string> ReadingOfAnAdd(IReadOnlyDictionary<string, string> reading, IReadOnlyList<IndexRecord> live) =>
        live.Any(IsChunk) ? new SortedDictionary<string, string>(reading.Where(kv => kv.Key != ReadersKey).ToDictionary(), StringComparer.Ordinal) : reading;
}
