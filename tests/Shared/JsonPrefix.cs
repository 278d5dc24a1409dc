using System.Text;
using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// What System.Text.Json says of a text as JSON mode's output: whether it is a whole JSON object, and whether it can
/// still become one (its reader, given the bytes as a partial block, throws at the first byte no continuation can fix).
/// An oracle independent of the automaton under test.
/// </summary>
internal static class JsonPrefix
{
    /// <summary>Whether <paramref name="text"/> parses as a JSON object with nothing after it.</summary>
    public static bool IsObject(string text) => IsObject(Encoding.UTF8.GetBytes(text));

    /// <summary>Whether <paramref name="bytes"/> parse as a JSON object with nothing after it, not even whitespace.</summary>
    public static bool IsObject(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || bytes[^1] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') return false;
        try
        {
            using var doc = JsonDocument.Parse(bytes.ToArray());
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether some continuation makes <paramref name="text"/> a JSON object.</summary>
    public static bool CanBecomeObject(string text) => CanBecomeObject(Encoding.UTF8.GetBytes(text));

    /// <summary>Whether some continuation makes <paramref name="bytes"/> a JSON object (whitespace runs are not bounded here).</summary>
    public static bool CanBecomeObject(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        try
        {
            bool first = true;
            while (reader.Read())
            {
                if (first && reader.TokenType != JsonTokenType.StartObject) return false;
                first = false;
                if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.EndObject)
                    return reader.BytesConsumed == bytes.Length;
            }
            return !first || bytes.IndexOfAnyExcept(" \t\r\n"u8) < 0; // no token yet: only whitespace so far
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
