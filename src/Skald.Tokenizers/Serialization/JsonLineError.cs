using System.Text.Json;

namespace Skald.Tokenizers.Serialization;

/// <summary>
/// One JSONL line that does not parse, described for a <c>FILE:LINE</c> message: the one wording of every JSON-lines reader
/// (training data, evaluation tasks, the texts <c>skald encode</c> reads) and of the JSON files read whole (a model's
/// tokenizer_config.json, <c>--json-schema</c>), kept here, in the lowest assembly that reads JSON, so that all share it.
/// </summary>
public static class JsonLineError
{
    /// <summary>
    /// "invalid JSON at byte N of the line (reason)": the parser's reason without its own position suffix, which counts
    /// lines from 0 within the one line it was given ("LineNumber: 0 | BytePositionInLine: 28") and so contradicted the
    /// file's line number.
    /// </summary>
    public static string Describe(JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return (e.BytePositionInLine is long position ? $"invalid JSON at byte {position + 1} of the line" : "invalid JSON") + $" ({Reason(e)})";
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
