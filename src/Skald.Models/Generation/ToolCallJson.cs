using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// What the tool-call parsers (<see cref="HermesToolCallParser"/>, <see cref="Llama3JsonToolCallParser"/>,
/// <see cref="MistralToolCallParser"/>) read alike: one call's JSON object, and how much of a streamed text's end may
/// still become a format's tag.
/// </summary>
internal static class ToolCallJson
{
    /// <summary>
    /// <paramref name="call"/> as a call: an object with a non-empty string <c>name</c> and, under the first of
    /// <paramref name="argumentKeys"/> it has, an object of arguments (absent: <c>{}</c>); null when it is not one.
    /// </summary>
    public static ChatToolCall? Read(JsonElement call, Func<string> newId, params ReadOnlySpan<string> argumentKeys)
    {
        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("name", out var name)
            || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } function)
            return null;
        string arguments = "{}";
        foreach (string key in argumentKeys)
        {
            if (!call.TryGetProperty(key, out var args)) continue;
            if (args.ValueKind != JsonValueKind.Object) return null;
            arguments = args.GetRawText();
            break;
        }
        return new ChatToolCall(newId(), function, arguments);
    }

    /// <summary>The length of the longest end of <paramref name="text"/> that is a start of <paramref name="tag"/> (shorter than it).</summary>
    public static int TagPrefix(string text, string tag)
    {
        for (int n = Math.Min(tag.Length - 1, text.Length); n > 0; n--)
        {
            if (string.CompareOrdinal(text, text.Length - n, tag, 0, n) == 0) return n;
        }
        return 0;
    }
}
