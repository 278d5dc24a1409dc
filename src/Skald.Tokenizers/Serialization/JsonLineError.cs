using System.Text.Json;

namespace Skald.Tokenizers.Serialization;

/// <summary>
/// One JSONL line that does not parse, described for a <c>FILE:LINE</c> message: the one wording of every JSON-lines reader
/// (training data, evaluation tasks, the texts <c>skald encode</c> reads, <c>skald generate</c>'s prompts), and the one
/// column count of it and of <see cref="JsonFile"/>, kept here, in the lowest assembly that reads JSON, so that all share it.
/// </summary>
public static class JsonLineError
{
    /// <summary>
    /// "invalid JSON at column C (reason)" for <paramref name="e"/>, thrown parsing <paramref name="line"/>: the column in
    /// characters counted from 1, as <see cref="JsonFile"/> counts it, and the parser's reason without its own position
    /// suffix, which counts lines from 0 within the one line it was given ("LineNumber: 0 | BytePositionInLine: 28", in
    /// bytes) and so contradicted the file's line number.
    /// </summary>
    public static string Describe(JsonException e, string line)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(line);
        return (e.BytePositionInLine is long position
            ? $"invalid JSON at column {Column(System.Text.Encoding.UTF8.GetBytes(line), e.LineNumber ?? 0, position)}"
            : "invalid JSON") + $" ({Reason(e)})";
    }

    /// <summary>
    /// The 1-based column, in characters, of the byte the parser places at <paramref name="bytePosition"/> (from 0) of
    /// line <paramref name="line"/> (from 0) of <paramref name="utf8"/>: every byte that does not continue a UTF-8
    /// sequence starts a character.
    /// </summary>
    public static int Column(ReadOnlySpan<byte> utf8, long line, long bytePosition)
    {
        int start = 0;
        for (long l = 0; l < line && start < utf8.Length; l++)
        {
            int next = utf8[start..].IndexOf((byte)'\n');
            start = next < 0 ? utf8.Length : start + next + 1;
        }
        var before = utf8[start..Math.Min(utf8.Length, start + (int)Math.Min(bytePosition, int.MaxValue))];
        int column = 1;
        foreach (byte b in before)
        {
            if ((b & 0xC0) != 0x80) column++;
        }
        return column;
    }

    /// <summary>
    /// The parser's reason alone ("'}' is an invalid start of a value."), without the " Path: ..." and " LineNumber: ...
    /// | BytePositionInLine: ..." it appends, for messages that state the position in their own words.
    /// </summary>
    public static string Reason(JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string reason = e.Message;
        foreach (string suffix in new[] { " Path:", " LineNumber:" })
        {
            int at = reason.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) reason = reason[..at];
        }
        return reason.Trim();
    }
}
