using System.Text.Json;

namespace Skald.Serving;

/// <summary>
/// Reads a create-embedding request body as OpenAI's API defines it
/// (<see href="https://platform.openai.com/docs/api-reference/embeddings/create"/>): <c>input</c> is a string, an array
/// of strings, an array of token ids, or an array of token-id arrays; <c>encoding_format</c> is "float" (default) or
/// "base64" or, for a sparse encoder (Skald's extension), "sparse"; <c>dimensions</c> a positive integer; <c>output_dtype</c> (Skald's extension) "float", "int8", "uint8", "binary" or "ubinary"; <c>max_active_dims</c> (Skald's extension) a positive integer. Unknown fields (<c>user</c>, ...) are ignored. Every problem is an
/// <see cref="ApiException"/> 400 naming the field.
/// </summary>
internal static class EmbeddingRequestReader
{
    public static EmbeddingRequest Read(ReadOnlyMemory<byte> body, int maxInputs)
    {
        using (var doc = JsonBody.Parse(body))
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw ApiException.WrongType("the request body must be a JSON object with an \"input\" field");
            if (!root.TryGetProperty("input", out var input))
                throw JsonBody.Missing(root, "input", "a string, an array of strings, or token-id arrays");
            string? model = null;
            if (root.TryGetProperty("model", out var m) && m.ValueKind != JsonValueKind.Null)
                model = m.ValueKind == JsonValueKind.String ? m.GetString() : throw ApiException.WrongType("\"model\" must be a string", "model");
            return new EmbeddingRequest(Inputs(input, maxInputs), model, Base64(root), Dimensions(root))
            {
                InputType = InputType(root),
                OutputType = OutputType(root),
                Sparse = root.TryGetProperty("encoding_format", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == "sparse",
                MaxActiveDims = MaxActiveDims(root),
            };
        }
    }

    private static bool Base64(JsonElement root)
    {
        if (!root.TryGetProperty("encoding_format", out var f) || f.ValueKind == JsonValueKind.Null) return false;
        return f.ValueKind == JsonValueKind.String ? f.GetString() switch
        {
            "float" or "sparse" => false,
            "base64" => true,
            var other => throw ApiException.BadRequest($"encoding_format \"{other}\" is not supported: use \"float\", \"base64\" or (a sparse encoder) \"sparse\"", "encoding_format"),
        } : throw ApiException.BadRequest("encoding_format must be \"float\", \"base64\" or \"sparse\"", "encoding_format");
    }

    private static string? InputType(JsonElement root)
    {
        if (!root.TryGetProperty("input_type", out var t) || t.ValueKind == JsonValueKind.Null) return null;
        return t.ValueKind == JsonValueKind.String ? t.GetString() switch
        {
            "query" => "query",
            "document" or "passage" => "document",
            var other => throw ApiException.BadRequest($"input_type \"{other}\" is not supported: use \"query\" or \"document\"", "input_type"),
        } : throw ApiException.BadRequest("input_type must be \"query\" or \"document\"", "input_type");
    }

    private static Skald.Retrieval.Quantization.EmbeddingPrecision OutputType(JsonElement root)
    {
        if (!root.TryGetProperty("output_dtype", out var t) || t.ValueKind == JsonValueKind.Null) return Skald.Retrieval.Quantization.EmbeddingPrecision.Float32;
        return t.ValueKind == JsonValueKind.String ? t.GetString() switch
        {
            "float" => Skald.Retrieval.Quantization.EmbeddingPrecision.Float32,
            "binary" => Skald.Retrieval.Quantization.EmbeddingPrecision.Binary,
            "ubinary" => Skald.Retrieval.Quantization.EmbeddingPrecision.Ubinary,
            "int8" => Skald.Retrieval.Quantization.EmbeddingPrecision.Int8,
            "uint8" => Skald.Retrieval.Quantization.EmbeddingPrecision.Uint8,
            var other => throw ApiException.BadRequest($"output_dtype \"{other}\" is not supported: use \"float\", \"int8\", \"uint8\", \"binary\" or \"ubinary\"", "output_dtype"),
        } : throw ApiException.BadRequest("output_dtype must be \"float\", \"int8\", \"uint8\", \"binary\" or \"ubinary\"", "output_dtype");
    }

    private static int? MaxActiveDims(JsonElement root)
    {
        if (!root.TryGetProperty("max_active_dims", out var d) || d.ValueKind == JsonValueKind.Null) return null;
        if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int n) || n < 1)
            throw ApiException.BadRequest("max_active_dims must be a positive integer", "max_active_dims");
        return n;
    }

    private static int? Dimensions(JsonElement root)
    {
        if (!root.TryGetProperty("dimensions", out var d) || d.ValueKind == JsonValueKind.Null) return null;
        if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int n) || n < 1)
            throw ApiException.BadRequest("dimensions must be a positive integer", "dimensions");
        return n;
    }

    private static EmbeddingInputs Inputs(JsonElement input, int maxInputs)
    {
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                return new EmbeddingInputs([Text(input, 0)], null);
            case JsonValueKind.Array:
                break;
            default:
                throw ApiException.WrongType("\"input\" must be a string, an array of strings, or token-id arrays", "input");
        }
        int count = input.GetArrayLength();
        if (count == 0) throw ApiException.BadRequest("\"input\" is an empty array: give at least one input", "input");
        var first = input[0];
        if (first.ValueKind == JsonValueKind.Number) return new EmbeddingInputs(null, [Ids(input, 0)]);
        if (count > maxInputs)
            throw ApiException.BadRequest($"\"input\" has {count} items; at most {maxInputs} are allowed per request: send them in several requests (the server's limit is skald serve --max-inputs)", "input");
        if (first.ValueKind == JsonValueKind.String)
        {
            var texts = new string[count];
            int i = 0;
            foreach (var e in input.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                    throw ApiException.WrongType($"input[{i}] is not a string (an array of strings must hold only strings)", "input");
                texts[i] = Text(e, i);
                i++;
            }
            return new EmbeddingInputs(texts, null);
        }
        if (first.ValueKind == JsonValueKind.Array)
        {
            var ids = new int[count][];
            int i = 0;
            foreach (var e in input.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Array)
                    throw ApiException.WrongType($"input[{i}] is not an array of token ids", "input");
                ids[i] = Ids(e, i);
                i++;
            }
            return new EmbeddingInputs(null, ids);
        }
        throw ApiException.WrongType("\"input\" must be a string, an array of strings, or token-id arrays", "input");
    }

    private static string Text(JsonElement e, int index)
    {
        string text = e.GetString()!;
        if (text.Length == 0) throw ApiException.BadRequest($"input[{index}] is an empty string", "input");
        return text;
    }

    private static int[] Ids(JsonElement array, int index)
    {
        int n = array.GetArrayLength();
        if (n == 0) throw ApiException.BadRequest($"input[{index}] is an empty token array", "input");
        var ids = new int[n];
        int j = 0;
        foreach (var t in array.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out ids[j]) || ids[j] < 0)
                throw ApiException.WrongType($"input[{index}][{j}] is not a token id (a non-negative integer)", "input");
            j++;
        }
        return ids;
    }
}
