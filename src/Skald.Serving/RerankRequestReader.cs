using System.Text.Json;

namespace Skald.Serving;

/// <summary>
/// Reads a <c>POST /v1/rerank</c> body in the shape Jina's, Cohere's, TEI's and llama.cpp's rerank APIs share:
/// <c>{"query": TEXT, "documents": [TEXT | {"text": TEXT}, ...], "top_n": N, "return_documents": true, "model": NAME}</c>;
/// <c>query</c> and <c>documents</c> are required. A BGE-M3 reranker also takes <c>"bge_m3_weights": [W1, W2, W3]</c>
/// (read as <c>/v1/search</c> reads it). Unknown fields are ignored. Every problem is an
/// <see cref="ApiException"/> 400 naming the field.
/// </summary>
internal static class RerankRequestReader
{
    public static RerankRequest Read(ReadOnlyMemory<byte> body, int maxDocuments)
    {
        using var doc = JsonBody.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw ApiException.WrongType("the request body must be a JSON object with \"query\" and \"documents\" fields");
        if (!root.TryGetProperty("query", out var q) || q.ValueKind == JsonValueKind.Null)
            throw JsonBody.Missing(root, "query", "the query text as a string");
        if (q.ValueKind != JsonValueKind.String)
            throw ApiException.WrongType($"\"query\" must be a string (the query text), not {JsonBody.Kind(q)}", "query");
        string query = q.GetString()!;
        if (query.Trim().Length == 0) throw ApiException.BadRequest("\"query\" is empty", "query");
        if (!root.TryGetProperty("documents", out var docs) || docs.ValueKind == JsonValueKind.Null)
            throw JsonBody.Missing(root, "documents", "an array of texts (or of {\"text\": ...} objects)");
        if (docs.ValueKind != JsonValueKind.Array)
            throw ApiException.WrongType($"\"documents\" must be an array of texts (or of {{\"text\": ...}} objects), not {JsonBody.Kind(docs)}", "documents");
        int count = docs.GetArrayLength();
        if (count == 0) throw ApiException.BadRequest("\"documents\" is empty", "documents");
        if (count > maxDocuments) throw ApiException.BadRequest($"{count} documents is more than this server takes in one request ({maxDocuments})", "documents");
        var texts = new string[count];
        int i = 0;
        foreach (var d in docs.EnumerateArray())
        {
            var text = d.ValueKind == JsonValueKind.Object && d.TryGetProperty("text", out var t) ? t : d;
            if (text.ValueKind != JsonValueKind.String)
                throw ApiException.WrongType($"documents[{i}] must be a string or an object with a \"text\" string", "documents");
            texts[i++] = text.GetString()!;
        }
        int? topN = null;
        if (root.TryGetProperty("top_n", out var n) && n.ValueKind != JsonValueKind.Null)
        {
            topN = n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out int v) && v >= 1 ? v
                : throw ApiException.BadRequest("top_n must be an integer of at least 1", "top_n");
        }
        bool returnDocuments = true;
        if (root.TryGetProperty("return_documents", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            returnDocuments = r.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw ApiException.WrongType("return_documents must be true or false", "return_documents"),
            };
        }
        string? model = null;
        if (root.TryGetProperty("model", out var m) && m.ValueKind != JsonValueKind.Null)
            model = m.ValueKind == JsonValueKind.String ? m.GetString() : throw ApiException.WrongType("\"model\" must be a string", "model");
        return new RerankRequest(query, texts, topN, returnDocuments, model, SearchRequestReader.BgeM3Weights(root));
    }
}
