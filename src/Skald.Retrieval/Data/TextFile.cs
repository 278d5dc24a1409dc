using System.Text;

namespace Skald.Retrieval.Data;

/// <summary>
/// How every input file is read as lines: UTF-8 (a BOM is skipped), or UTF-16 with its byte order mark
/// (<see cref="Skald.Tokenizers.Serialization.TextEncoding"/>), strictly — a byte sequence that is not UTF-8 is an
/// error naming the file, line and byte offset rather than text silently replaced with U+FFFD — and split on
/// <c>\n</c>, <c>\r\n</c> or a lone <c>\r</c> (old Mac files; Python's universal newlines), so a CR-only file is never
/// read as one long line. A final line break ends the last line (no empty line after it).
/// </summary>
public static class TextFile
{
    /// <summary>The lines of <paramref name="path"/>, read as they are consumed.</summary>
    /// <exception cref="TextFileException">The file is not valid UTF-8 (the message names line and offset), the path is a folder, or nothing is there.</exception>
    public static IEnumerable<string> ReadLines(string path)
    {
        // (a folder would otherwise be "Access to the path is denied", which names neither the mistake nor its fix, and
        // a missing file "cannot read (Could not find file '/full/path')" in the callers that wrap an IOException)
        if (Directory.Exists(path)) throw new TextFileException($"{path}: is a folder, expected a file");
        if (!File.Exists(path)) throw new TextFileException($"{path}: file not found");
        return Lines(path);
    }

    private static IEnumerable<string> Lines(string path)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[Skald.Tokenizers.Serialization.TextEncoding.HeadLength];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var encoding = Skald.Tokenizers.Serialization.TextEncoding.Of(path, head.AsSpan(0, read), m => new TextFileException(m), out int mark);
        stream.Position = mark;
        using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false);
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw Invalid(path);
            }
            if (line is null) yield break;
            yield return line.Length > 0 && line[0] == '\uFEFF' ? line[1..] : line;
        }
    }

    /// <summary>All lines of <paramref name="path"/> (see <see cref="ReadLines"/>).</summary>
    public static List<string> ReadAllLines(string path) => [.. ReadLines(path)];

    /// <summary>The error for a file that does not decode: the first bad sequence's offset and its line.</summary>
    private static TextFileException Invalid(string path) => new(Skald.Tokenizers.Serialization.TextEncoding.Problem(path, File.ReadAllBytes(path)));
}
