using System.Text;

namespace Skald.Retrieval.Data;

/// <summary>
/// How every input file is read as lines: UTF-8 (a BOM is skipped), strictly — a byte sequence that is not UTF-8 is an
/// error naming the file, line and byte offset rather than text silently replaced with U+FFFD — and split on
/// <c>\n</c>, <c>\r\n</c> or a lone <c>\r</c> (old Mac files; Python's universal newlines), so a CR-only file is never
/// read as one long line. A final line break ends the last line (no empty line after it).
/// </summary>
public static class TextFile
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The lines of <paramref name="path"/>, read as they are consumed.</summary>
    /// <exception cref="TextFileException">The file is not valid UTF-8 (the message names line and offset), or the path is a folder.</exception>
    public static IEnumerable<string> ReadLines(string path)
    {
        // (a folder would otherwise be "Access to the path is denied", which names neither the mistake nor its fix)
        if (Directory.Exists(path)) throw new TextFileException($"{path}: is a folder, expected a file");
        return Lines(path);
    }

    private static IEnumerable<string> Lines(string path)
    {
        using var reader = new StreamReader(path, Strict, detectEncodingFromByteOrderMarks: false);
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

    /// <summary>The error for a file that is not UTF-8: the first bad sequence's offset and its line.</summary>
    private static TextFileException Invalid(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var chars = new char[bytes.Length];
        System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out int offset, out _, replaceInvalidSequences: false, isFinalBlock: true);
        int line = 1;
        for (int i = 0; i < offset; i++)
        {
            if (bytes[i] == (byte)'\n' || (bytes[i] == (byte)'\r' && (i + 1 >= bytes.Length || bytes[i + 1] != (byte)'\n'))) line++;
        }
        string what = offset < bytes.Length ? $"byte 0x{bytes[offset]:X2} at offset {offset}" : "the file ends inside a character";
        return new TextFileException($"{path}:{line}: not valid UTF-8 ({what}); save the file as UTF-8");
    }
}
