using Skald.Data.Ingest.Readers;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Data.Ingest;

/// <summary>
/// Reads a user's documents (files, or folders searched recursively in name order) into cleaned
/// <see cref="SourceDocument"/>s and sentence-aligned <see cref="Chunk"/>s. Formats by extension: .txt, .md, .html/.htm,
/// .docx, .pdf (scanned pages by OCR, <see cref="Ocr"/>), .jsonl, and images by OCR (.png, .jpg, .tif). A file that cannot be read, or has no text, is listed
/// in <see cref="IngestResult.Skipped"/> and the rest go on; finding no document at all is a <see cref="DataException"/>.
/// </summary>
public static class DocumentIngest
{
    /// <summary>The extensions read (lower case, with the dot).</summary>
    public static readonly IReadOnlySet<string> Extensions = new HashSet<string>(
        [".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".jsonl", .. ImageReader.Extensions], StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads and chunks every document under <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Files and folders.</param>
    /// <param name="options">Chunking options.</param>
    /// <param name="textColumn">The column of .jsonl files holding the text.</param>
    /// <param name="ocr">OCR of scanned PDF pages and image files (default <see cref="Ocr.Auto"/>: when tesseract, and for PDF pages pdftoppm, are installed).</param>
    /// <param name="progress">Hears one line per page or image read by OCR (seconds each).</param>
    /// <param name="output">The folder the caller writes (a generated set, an index): when it lies inside a documents
    /// folder it is not read (listed as skipped), so a second run does not take the first run's output for documents.</param>
    /// <param name="requireText">Whether finding no text in any file is a <see cref="DataException"/> (else the files are all in <see cref="IngestResult.Skipped"/>).</param>
    public static IngestResult Ingest(IReadOnlyList<string> inputs, ChunkOptions options, string textColumn = "text", Ocr? ocr = null,
        Action<string>? progress = null, string? output = null, bool requireText = true)
    {
        ocr ??= Ocr.Auto;
        var skipped = new List<SkippedFile>();
        var notices = new List<string>();
        var files = ListFiles(inputs, skipped, output is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)));
        var documents = new List<SourceDocument>();
        foreach (var file in files)
        {
            List<(string Source, List<DocumentBlock> Blocks)> read;
            try
            {
                read = ReadFile(file, textColumn, ocr, notices, progress);
            }
            catch (DataException) when (Path.GetExtension(file).Equals(".jsonl", StringComparison.OrdinalIgnoreCase))
            {
                // Structured rows: a malformed line or a missing column is the export's error, named with its line
                // (skipping the whole file would drop every good row with it and lose where the bad one is).
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                bool unopened = e is IOException or UnauthorizedAccessException;
                skipped.Add(new SkippedFile(file, Reason(file, e))
                {
                    Unopened = unopened,
                    Failed = unopened || e is not DataException { UnreadPictures: true }, // (pictures OCR could not read: OCR's reach)
                });
                continue;
            }
            int before = documents.Count;
            foreach (var (source, blocks) in read)
            {
                if (Build(source, blocks) is { } doc) documents.Add(doc);
            }
            if (documents.Count == before) skipped.Add(new SkippedFile(file, "no text"));
        }
        if (documents.Count == 0 && requireText)
            throw new DataException(files.Count == 0
                ? $"no documents found in {string.Join(", ", inputs)} (looked for {string.Join(", ", Extensions.Order())})"
                : $"no readable text in {string.Join(", ", inputs)} ({Counted.Of(skipped.Count, "file")} skipped: {skipped[0].Path}: {skipped[0].Reason}{(skipped.Count > 1 ? ", ..." : "")})");
        var chunks = new List<Chunk>();
        for (int d = 0; d < documents.Count; d++) chunks.AddRange(Chunker.Split(documents[d], d, options));
        return new IngestResult(documents, chunks, skipped) { Notices = notices };
    }

    /// <summary>
    /// The files <see cref="Ingest"/> reads from <paramref name="inputs"/> (folders walked as it walks them, in its order,
    /// of the <see cref="Extensions"/> it reads, the <paramref name="output"/> folder left out), without reading them: what a
    /// sync of an index compares with the files it holds.
    /// </summary>
    public static IReadOnlyList<string> Files(IReadOnlyList<string> inputs, string? output = null) =>
        ListFiles(inputs, [], output is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)));

    /// <summary>Cleans blocks and joins them into a document (null when nothing is left).</summary>
    public static SourceDocument? Build(string source, IEnumerable<DocumentBlock> blocks)
    {
        var text = new System.Text.StringBuilder();
        var spans = new List<(BlockKind, int, int)>();
        foreach (var b in blocks)
        {
            string clean = TextCleaner.Clean(b.Text);
            if (clean.Length == 0) continue;
            if (text.Length > 0) text.Append("\n\n");
            spans.Add((b.Kind, text.Length, text.Length + clean.Length));
            text.Append(clean);
        }
        return spans.Any(s => s.Item1 != BlockKind.Heading) ? new SourceDocument(source, text.ToString(), spans) : null;
    }

    private static List<(string, List<DocumentBlock>)> ReadFile(string file, string textColumn, Ocr ocr, List<string> notices,
        Action<string>? progress) =>
        Path.GetExtension(file).ToLowerInvariant() switch
        {
            ".txt" => [(file, PlainTextReader.Read(file))],
            ".md" or ".markdown" => [(file, MarkdownReader.Read(file))],
            ".html" or ".htm" => [(file, HtmlReader.Read(file))],
            ".docx" => [(file, DocxReader.Read(file))],
            ".pdf" => [(file, PdfReader.Read(file, ocr, notices, progress))],
            ".jsonl" => JsonlReader.Read(file, textColumn),
            var image when ImageReader.Extensions.Contains(image) => [(file, ImageReader.Read(file, ocr, progress))],
            var ext => throw new DataException($"unsupported file type '{ext}'"),
        };

    private static List<string> ListFiles(IReadOnlyList<string> inputs, List<SkippedFile> skipped, string? output)
    {
        if (inputs.Count == 0) throw new DataException("no documents given");
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal); // folders walked, by real path: a link loop or a repeat is read once
        foreach (var input in inputs)
        {
            if (File.Exists(input))
            {
                if (Extensions.Contains(Path.GetExtension(input))) files.Add(input);
                else skipped.Add(new SkippedFile(input, $"unsupported file type '{Path.GetExtension(input)}'"));
            }
            else if (Directory.Exists(input))
            {
                var found = new List<string>();
                string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(input));
                Walk(input, RealPath(new DirectoryInfo(full), Path.GetDirectoryName(full) ?? full), seen, found, skipped, output);
                foreach (var f in found.Order(StringComparer.Ordinal))
                {
                    if (Path.GetFileName(f).StartsWith('.')) continue;
                    if (Extensions.Contains(Path.GetExtension(f))) files.Add(f);
                    else skipped.Add(new SkippedFile(f, $"unsupported file type '{Path.GetExtension(f)}'"));
                }
            }
            else throw new DataException($"{input}: no such file or folder");
        }
        return files;
    }

    /// <summary>
    /// Adds the files under <paramref name="dir"/> (whose path with links resolved is <paramref name="real"/>) to
    /// <paramref name="found"/>, following links to folders but entering each real folder once: a link back to a folder
    /// above it (a loop) or to a folder read already is listed as skipped instead of read again, and so is the caller's
    /// <paramref name="output"/> folder (by its full path).
    /// </summary>
    private static void Walk(string dir, string real, HashSet<string> seen, List<string> found, List<SkippedFile> skipped, string? output)
    {
        if (output is not null && (real == output || Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)) == output))
        {
            skipped.Add(new SkippedFile(dir, "the output folder"));
            return;
        }
        if (!seen.Add(real))
        {
            skipped.Add(new SkippedFile(dir, new DirectoryInfo(dir).LinkTarget is null ? "a folder read already" : $"a link to {real}, a folder read already"));
            return;
        }
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            skipped.Add(new SkippedFile(dir, $"unreadable folder ({e.Message})"));
            return;
        }
        foreach (var entry in entries)
        {
            if (Directory.Exists(entry)) Walk(entry, RealPath(new DirectoryInfo(entry), real), seen, found, skipped, output);
            else found.Add(entry);
        }
    }

    /// <summary>The absolute path of <paramref name="dir"/> with links resolved, its parent's being <paramref name="parentReal"/>.</summary>
    private static string RealPath(DirectoryInfo dir, string parentReal)
    {
        string path = Path.Combine(parentReal, dir.Name);
        if (dir.LinkTarget is { } target)
        {
            path = Path.GetFullPath(target, parentReal);
            try
            {
                if (new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true) is { } final) path = Path.GetFullPath(final.FullName);
            }
            catch (IOException)
            {
            }
        }
        return Path.TrimEndingDirectorySeparator(path);
    }

    // Why a file could not be read (also a sync's, for a file it could not hash), without the file's name the line will start with anyway; a message naming a line of the file
    // ("FILE:3: ...", as Utf8File's) keeps it as "line 3: ...". A parser's exception (PdfPig's, the Open XML SDK's, a
    // zip reader's) is said in words: "not a readable PDF (the reason)", never its type's name.
    internal static string Reason(string file, Exception e)
    {
        string msg = e.Message.Split('\n')[0].Trim();
        if (e is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException) return $"cannot read ({Words(file, msg)})";
        if (e is not DataException) return $"not a readable {FormatName(file)} ({Words(file, msg)})";
        if (msg.StartsWith(file + ":", StringComparison.Ordinal))
        {
            string rest = msg[(file.Length + 1)..];
            int digits = 0;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits])) digits++;
            if (digits > 0 && rest.AsSpan(digits).StartsWith(": ", StringComparison.Ordinal)) return $"line {rest[..digits]}: {rest[(digits + 2)..]}";
        }
        return msg.Contains(": ", StringComparison.Ordinal) ? msg[(msg.IndexOf(": ", StringComparison.Ordinal) + 2)..] : msg;
    }

    // What a file of this extension is, as the skip line names it.
    private static string FormatName(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".pdf" => "PDF",
        ".docx" => "Word file",
        ".html" or ".htm" => "HTML file",
        var ext => $"{ext.TrimStart('.')} file",
    };

    // A parser's message as the reason in words: without the file's path (the line starts with it), the first letter of a
    // sentence lower-cased, no closing full stop; "no reason given" for an empty one.
    private static string Words(string file, string msg)
    {
        msg = msg.Replace(Path.GetFullPath(file), "the file", StringComparison.Ordinal).Replace(file, "the file", StringComparison.Ordinal).Trim().TrimEnd('.');
        if (msg.Length == 0) return "no reason given";
        return msg.Length > 1 && char.IsUpper(msg[0]) && char.IsLower(msg[1]) ? char.ToLowerInvariant(msg[0]) + msg[1..] : msg;
    }
}
