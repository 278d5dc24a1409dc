namespace Skald.Tokenizers.Serialization;

/// <summary>
/// A text file read whole and strictly as UTF-8 (a BOM is skipped; UTF-16 with its byte order mark is read too,
/// <see cref="TextEncoding"/>): bytes that are not UTF-8 are an error naming the file, the line and the byte offset of
/// the first bad sequence, never text silently holding U+FFFD (a tokenizer's
/// vocabulary, a chat template or a config read so would differ from the file without a word). The one place that
/// message is written; <c>Skald.Retrieval.Data.TextFile</c> reads lines the same way.
/// </summary>
public static class Utf8File
{

    /// <summary>The text of <paramref name="path"/>: UTF-8, or UTF-16 with its byte order mark (<see cref="TextEncoding"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="invalid">Makes the exception thrown for bytes that do not decode from its one-line message (see <see cref="TextEncoding.Problem"/>).</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static string ReadAllText(string path, Func<string, Exception> invalid) => TextEncoding.Decode(path, File.ReadAllBytes(path), invalid);

    /// <summary>
    /// The UTF-8 bytes of <paramref name="path"/>, checked to be UTF-8 (for a JSON reader over bytes, which otherwise fails
    /// on the first bad string it is asked for, an error that names neither file nor place); a file in UTF-16 with its
    /// byte order mark comes back as UTF-8, as <see cref="ReadAllText"/> reads it (<see cref="TextEncoding"/>).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="invalid">Makes the exception thrown for bytes that do not decode from its one-line message (see <see cref="TextEncoding.Problem"/>).</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static byte[] ReadAllBytes(string path, Func<string, Exception> invalid)
    {
        ArgumentNullException.ThrowIfNull(invalid);
        byte[] bytes = File.ReadAllBytes(path);
        var encoding = TextEncoding.Of(path, bytes.AsSpan(0, Math.Min(bytes.Length, TextEncoding.HeadLength)), invalid, out _);
        if (encoding is not System.Text.UTF8Encoding) return System.Text.Encoding.UTF8.GetBytes(TextEncoding.Decode(path, bytes, invalid));
        return System.Text.Unicode.Utf8.IsValid(bytes) ? bytes : throw invalid(Problem(path, bytes));
    }

    /// <summary>
    /// The one-line message for <paramref name="bytes"/> (the content of <paramref name="path"/>) that are not UTF-8:
    /// <c>PATH:LINE: not valid UTF-8 (byte 0xFF at offset N); save the file as UTF-8</c>.
    /// </summary>
    public static string Problem(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var chars = new char[bytes.Length];
        System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out int offset, out _, replaceInvalidSequences: false, isFinalBlock: true);
        int line = 1;
        for (int i = 0; i < offset; i++)
        {
            if (bytes[i] == (byte)'\n' || (bytes[i] == (byte)'\r' && (i + 1 >= bytes.Length || bytes[i + 1] != (byte)'\n'))) line++;
        }
        string what = offset < bytes.Length ? $"byte 0x{bytes[offset]:X2} at offset {offset}" : "the file ends inside a character";
        return $"{path}:{line}: not valid UTF-8 ({what}); save the file as UTF-8";
    }
}
