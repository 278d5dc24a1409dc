using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Skald.Serving;

/// <summary>
/// Writes the JSON bodies of OpenAI's API: the embeddings list, the model list and the error object, straight into the
/// response (Utf8JsonWriter over the response's pipe; no intermediate objects).
/// </summary>
internal static class ApiResponses
{
    // JSON for API clients, not HTML: quotes and non-ASCII letters in messages and model names stay readable.
    private static readonly JsonWriterOptions Writing = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <c>{object: "list", data: [{object: "embedding", index, embedding}], model, usage}</c>; with a quantized
    /// <paramref name="output"/> each embedding is its packed sign bits or its int8 / uint8 levels (from
    /// <paramref name="ranges"/>, their first dimensions when <c>dimensions</c> shortened the embeddings): integers, or
    /// the bytes in base64; with <paramref name="sparse"/> each is <c>{"indices": [...], "values": [...]}</c>, its
    /// non-zero entries (a sparse encoder's).
    /// </summary>
    public static Task Embeddings(HttpResponse response, EmbeddingResult result, string model, bool base64,
        Skald.Retrieval.Quantization.EmbeddingPrecision output = Skald.Retrieval.Quantization.EmbeddingPrecision.Float32,
        Skald.Retrieval.Quantization.QuantizationRanges? ranges = null, bool sparse = false) => Streamed(response, w =>
    {
        bool bits = output != Skald.Retrieval.Quantization.EmbeddingPrecision.Float32;
        byte[] packed = bits && result.Embeddings.Length > 0
            ? new byte[Skald.Retrieval.Quantization.EmbeddingQuantizer.BytesPerRow(output, result.Embeddings[0].Length)] : [];
        if (ranges is not null && result.Embeddings.Length > 0 && ranges.Dimension > result.Embeddings[0].Length)
            ranges = new Skald.Retrieval.Quantization.QuantizationRanges([.. ranges.Minima.Take(result.Embeddings[0].Length)],
                [.. ranges.Maxima.Take(result.Embeddings[0].Length)]);
        bool signed = output is Skald.Retrieval.Quantization.EmbeddingPrecision.Binary or Skald.Retrieval.Quantization.EmbeddingPrecision.Int8;
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        for (int i = 0; i < result.Embeddings.Length; i++)
        {
            w.WriteStartObject();
            w.WriteString("object", "embedding");
            w.WriteNumber("index", i);
            if (sparse)
            {
                var row = result.Embeddings[i];
                w.WriteStartObject("embedding");
                w.WriteStartArray("indices");
                for (int j = 0; j < row.Length; j++)
                {
                    if (row[j] != 0f) w.WriteNumberValue(j);
                }
                w.WriteEndArray();
                w.WriteStartArray("values");
                foreach (float v in row)
                {
                    if (v != 0f) w.WriteNumberValue(v);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else if (bits)
            {
                Skald.Retrieval.Quantization.EmbeddingQuantizer.QuantizeRow(result.Embeddings[i], output,
                    Skald.Retrieval.Quantization.EmbeddingQuantizer.NeedsRanges(output) ? ranges : null, packed);
                if (base64) w.WriteBase64String("embedding", packed);
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (byte b in packed) w.WriteNumberValue(signed ? (sbyte)b : b);
                    w.WriteEndArray();
                }
            }
            else if (base64)
            {
                w.WriteBase64String("embedding", LittleEndianBytes(result.Embeddings[i]));
            }
            else
            {
                w.WriteStartArray("embedding");
                foreach (float v in result.Embeddings[i]) w.WriteNumberValue(v);
                w.WriteEndArray();
            }
            w.WriteEndObject();
            if (w.BytesPending > 1 << 16) w.Flush();
        }
        w.WriteEndArray();
        w.WriteString("model", model);
        Usage(w, result.PromptTokens);
        w.WriteEndObject();
    });

    /// <summary>
    /// A 200 JSON answer written by <paramref name="write"/> straight into the response's pipe (a long list is flushed
    /// as it grows: <c>if (w.BytesPending &gt; 1 &lt;&lt; 16) w.Flush()</c> in the loop).
    /// </summary>
    public static async Task Streamed(HttpResponse response, Action<Utf8JsonWriter> write)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        using (var w = new Utf8JsonWriter(response.BodyWriter, Writing)) write(w);
        await response.BodyWriter.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>OpenAI's <c>usage</c> object: every token read is a prompt token.</summary>
    public static void Usage(Utf8JsonWriter w, long tokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", tokens);
        w.WriteNumber("total_tokens", tokens);
        w.WriteEndObject();
    }

    /// <summary><c>{object: "list", data: [{id, object: "model", created, owned_by}]}</c>.</summary>
    public static Task Models(HttpResponse response, IReadOnlyList<ServedModel> models) => Json(response, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var m in models) Model(w, m);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary><c>{id, object: "model", created, owned_by}</c>.</summary>
    public static Task Model(HttpResponse response, ServedModel model) => Json(response, 200, w => Model(w, model));

    /// <summary>
    /// <c>{"error": {"message", "type", "param", "code"}}</c> with the exception's status; a 503 (a full queue, a server
    /// stopping) says <c>Retry-After: 1</c>, which OpenAI's SDKs wait before they retry; a 415 (a Content-Encoding not
    /// decoded) lists the encodings that are in <c>Accept-Encoding</c>.
    /// </summary>
    public static Task Error(HttpResponse response, ApiException e)
    {
        if (e.Status == 401) response.Headers.WWWAuthenticate = "Bearer";
        if (e.Status == 503) response.Headers.RetryAfter = "1";
        if (e.Status == 415) response.Headers.AcceptEncoding = RequestBody.Decoded; // RFC 9110 15.5.16: the encodings it takes
        return Json(response, e.Status, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("message", e.Message);
            w.WriteString("type", e.Type);
            w.WriteString("param", e.Param);
            w.WriteString("code", e.Code);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    public static Task Json(HttpResponse response, int status, Action<Utf8JsonWriter> write)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Writing)) write(w);
        return response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    private static void Model(Utf8JsonWriter w, ServedModel model)
    {
        w.WriteStartObject();
        w.WriteString("id", model.Id);
        w.WriteString("object", "model");
        w.WriteNumber("created", model.Created);
        w.WriteString("owned_by", "skald");
        w.WriteEndObject();
    }

    /// <summary>The float32 values as little-endian bytes (OpenAI's base64 encoding_format).</summary>
    internal static byte[] LittleEndianBytes(float[] values)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < bytes.Length; i += 4) bytes.AsSpan(i, 4).Reverse();
        }
        return bytes;
    }
}
