using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Skald.Serving;

/// <summary>
/// Reads a chat (or text completions) request's <c>response_format</c> as OpenAI's API defines it: <c>{"type": "text"}</c>,
/// <c>{"type": "json_object"}</c>, or <c>{"type": "json_schema", "json_schema": {"name", "description", "schema",
/// "strict"}}</c> (<c>name</c> required, 1–64 letters, digits, _ or -; <c>strict</c> a boolean, and decoding is
/// constrained either way; without a <c>schema</c>, any JSON object, as <c>json_object</c>). The schema itself is
/// compiled by <see cref="Skald.Models.Generation.SkaldChatClient"/>, whose refusal names the keyword. Every problem is an
/// <see cref="ApiException"/> 400 naming response_format.
/// </summary>
internal static class ResponseFormatReader
{
    private const string Field = "response_format";

    /// <summary>The format <paramref name="format"/> asks for (null: free text).</summary>
    public static ChatResponseFormat? Read(JsonElement format)
    {
        string? type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var ft) && ft.ValueKind == JsonValueKind.String
            ? ft.GetString() : throw ApiException.WrongType("response_format must be an object with a \"type\"", Field);
        return type switch
        {
            "text" => null,
            "json_object" => ChatResponseFormat.Json,
            "json_schema" => Schema(format),
            _ => throw ApiException.BadRequest($"response_format \"{type}\" is not one this server takes (\"text\", \"json_object\" or \"json_schema\")", Field),
        };
    }

    private static ChatResponseFormat Schema(JsonElement format)
    {
        if (!format.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object)
            throw ApiException.MissingParameter("response_format.json_schema is required with \"type\": \"json_schema\": an object with a \"name\" and a \"schema\"", Field);
        string name = js.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!
            : throw ApiException.MissingParameter("response_format.json_schema.name is required: a string", Field);
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw ApiException.BadRequest($"response_format.json_schema.name \"{name}\" must be 1 to 64 letters, digits, underscores or dashes", Field);
        string? description = null;
        if (js.TryGetProperty("description", out var d) && d.ValueKind != JsonValueKind.Null)
            description = d.ValueKind == JsonValueKind.String ? d.GetString() : throw ApiException.WrongType("response_format.json_schema.description must be a string", Field);
        if (js.TryGetProperty("strict", out var strict) && strict.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            throw ApiException.WrongType("response_format.json_schema.strict must be true or false", Field);
        if (!js.TryGetProperty("schema", out var schema) || schema.ValueKind == JsonValueKind.Null) return ChatResponseFormat.Json;
        if (schema.ValueKind != JsonValueKind.Object)
            throw ApiException.WrongType("response_format.json_schema.schema must be a JSON schema object", Field);
        return ChatResponseFormat.ForJsonSchema(schema.Clone(), name, description);
    }
}
