using System.Text;

namespace Skald.Tokenizers.Serialization;

/// <summary>
/// The encoding of a text file, told from its first bytes: UTF-8, with or without its byte order mark, or UTF-16
/// (little- or big-endian) with its mark, which Windows' Notepad writes for "Unicode" and Excel for "Unicode text".
/// Every encoding is strict: bytes that do not decode are an error naming the file, never text silently holding
/// U+FFFD. UTF-16 without a mark (a NUL byte beside every Latin letter, which UTF-8 would read as NUL characters) and
/// UTF-32 are refused in one line that says what the file is. The one place <see cref="Utf8File"/> and
/// <c>Skald.Retrieval.Data.TextFile</c> decide it.
/// </summary>
public static class TextEncoding
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UnicodeEncoding Utf16Le = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly UnicodeEncoding Utf16Be = new(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);

    /// <summary>How many first bytes <see cref="Of"/> needs to tell UTF-16 without a mark from UTF-8.</summary>
    public const int HeadLength = 512;

    /// <summary>
    /// The strict decoding of a file that starts with <paramref name="head"/> (its first <see cref="HeadLength"/> bytes,
    /// or all of a shorter file), and the length of its byte order mark (0 when it has none), which the text starts after.
    /// </summary>
    /// <param name="path">The file, for the message.</param>
    /// <param name="head">The file's first bytes.</param>
    /// <param name="invalid">Makes the exception thrown for a file in an encoding not read, from its one-line message.</param>
    /// <param name="mark">The byte order mark's length.</param>
    public static System.Text.Encoding Of(string path, ReadOnlySpan<byte> head, Func<string, Exception> invalid, out int mark)
    {
        ArgumentNullException.ThrowIfNull(invalid);
        mark = 0;
        if (head.StartsWith("\uFEFF"u8))
        {
            mark = 3;
            return Utf8;
        }
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0, 0]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
            throw invalid($"{path}: UTF-32 (its byte order mark says so); save the file as UTF-8");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            mark = 2;
            return head[0] == 0xFF ? Utf16Le : Utf16Be;
        }
        if (MarklessUtf16(head) is { } order)
            throw invalid($"{path}: UTF-16 {order} without a byte order mark (a NUL byte beside every letter); save the file as UTF-8, or as UTF-16 with its mark");
        return Utf8;
    }

    /// <summary>The text of <paramref name="bytes"/>, the whole content of <paramref name="path"/>, decoded as <see cref="Of"/> says.</summary>
    /// <exception cref="Exception">What <paramref name="invalid"/> makes of the one-line message for a file in an encoding
    /// not read, or bytes that do not decode (<see cref="Problem"/>).</exception>
    public static string Decode(string path, byte[] bytes, Func<string, Exception> invalid)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var encoding = Of(path, bytes.AsSpan(0, Math.Min(bytes.Length, HeadLength)), invalid, out int mark);
        try
        {
            return encoding.GetString(bytes, mark, bytes.Length - mark);
        }
        catch (DecoderFallbackException)
        {
            throw invalid(Problem(path, bytes));
        }
    }

    /// <summary>
    /// The one-line message for <paramref name="bytes"/> (the content of <paramref name="path"/>) that do not decode in
    /// the encoding <see cref="Of"/> finds: UTF-8's as <see cref="Utf8File.Problem"/> words it, and for UTF-16
    /// <c>PATH:LINE: not valid UTF-16 (a lone surrogate at offset N); save the file as UTF-8</c>.
    /// </summary>
    public static string Problem(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        bool le = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]), be = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]);
        if (!le && !be) return Utf8File.Problem(path, bytes);
        int line = 1;
        for (int i = 2; i + 1 < bytes.Length; i += 2)
        {
            int unit = le ? bytes[i] | bytes[i + 1] << 8 : bytes[i] << 8 | bytes[i + 1];
            if (char.IsHighSurrogate((char)unit))
            {
                int next = i + 3 < bytes.Length ? (le ? bytes[i + 2] | bytes[i + 3] << 8 : bytes[i + 2] << 8 | bytes[i + 3]) : -1;
                if (next >= 0 && char.IsLowSurrogate((char)next)) { i += 2; continue; }
                return $"{path}:{line}: not valid UTF-16 (a lone surrogate at offset {i}); save the file as UTF-8";
            }
            if (char.IsLowSurrogate((char)unit)) return $"{path}:{line}: not valid UTF-16 (a lone surrogate at offset {i}); save the file as UTF-8";
            if (unit == '\n' || (unit == '\r' && !NextIs(bytes, i + 2, le, '\n'))) line++;
        }
        return $"{path}:{line}: not valid UTF-16 (the file ends inside a character); save the file as UTF-8";
    }

    private static bool NextIs(byte[] bytes, int i, bool le, char c) =>
        i + 1 < bytes.Length && (le ? bytes[i] | bytes[i + 1] << 8 : bytes[i] << 8 | bytes[i + 1]) == c;

    // "little-endian" or "big-endian" when the head reads as UTF-16 without a mark: NUL bytes on one side of at least
    // a quarter of its byte pairs and on the other side of none (Latin text has a zero high byte in nearly every
    // character; UTF-8 text has no NUL at all), else null.
    private static string? MarklessUtf16(ReadOnlySpan<byte> head)
    {
        int pairs = head.Length / 2, even = 0, odd = 0;
        for (int i = 0; i < 2 * pairs; i += 2)
        {
            if (head[i] == 0) even++;
            if (head[i + 1] == 0) odd++;
        }
        if (pairs == 0 || (even == 0) == (odd == 0)) return null;
        return 4 * Math.Max(even, odd) < pairs ? null : odd > 0 ? "little-endian" : "big-endian";
    }
}
