using System.Text.Json;

namespace Skald.Serving;

/// <summary>A request body parsed as JSON, or an OpenAI-style 400 saying why it is not.</summary>
internal static class JsonBody
{
    /// <summary>Parses <paramref name="body"/> (nesting at most 8 deep); invalid JSON is a 400.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON ({e.Message})");
        }
    }
}
