namespace Skald.Serving;

/// <summary>A parsed <c>POST /v1/embeddings</c> body (OpenAI's create-embedding request).</summary>
/// <param name="Inputs">What to embed.</param>
/// <param name="Model">The model the client named (any name is accepted; responses name the served model).</param>
/// <param name="Base64">True for <c>encoding_format: "base64"</c> (little-endian float32), false for floats.</param>
/// <param name="Dimensions">Matryoshka truncation: keep the first N values and renormalise (null: the full width).</param>
public sealed record EmbeddingRequest(EmbeddingInputs Inputs, string? Model, bool Base64, int? Dimensions)
{
    /// <summary>
    /// Skald's extension <c>input_type</c>: "query" or "document" ("passage" is read as "document"), as
    /// sentence-transformers' <c>encode_query</c> / <c>encode_document</c>: the route of a Router model (a query
    /// adapter runs on queries only) and the model's "query"/"document" prompt when it defines one. Null (the field
    /// absent): the Router's default route (document) and no prompt, as before.
    /// </summary>
    public string? InputType { get; init; }

    /// <summary>
    /// Skald's extension <c>output_dtype</c> (Voyage AI's name and values): "float" (default); "binary" / "ubinary":
    /// the sign bits packed 8 to a byte as sentence-transformers' quantize_embeddings packs them (after
    /// <c>dimensions</c>), as integers (binary: each byte minus 128) or, with base64, the bytes themselves; "int8" /
    /// "uint8": one level per dimension from the server's calibration ranges (<see cref="EmbeddingServiceOptions.Ranges"/>).
    /// </summary>
    public Skald.Retrieval.Quantization.EmbeddingPrecision OutputType { get; init; } = Skald.Retrieval.Quantization.EmbeddingPrecision.Float32;

    /// <summary>
    /// Skald's extension <c>encoding_format: "sparse"</c>, for a sparse encoder (SPLADE): each embedding as its non-zero
    /// entries, <c>{"indices": [...], "values": [...]}</c> (indices ascending), the form sparse-vector stores take.
    /// </summary>
    public bool Sparse { get; init; }

    /// <summary>
    /// Skald's extension <c>max_active_dims</c> (sentence-transformers' encode argument), for a sparse encoder: each
    /// embedding keeps its N largest entries (a CSR model's code at most its k); null: all.
    /// </summary>
    public int? MaxActiveDims { get; init; }

    /// <summary>
    /// Cut inputs longer than the model's max_seq_length whatever the server's <c>--truncate</c> says: a
    /// <c>/v1/search</c> query is embedded as <c>skald search</c> embeds it, truncated.
    /// </summary>
    internal bool Truncate { get; init; }
}
