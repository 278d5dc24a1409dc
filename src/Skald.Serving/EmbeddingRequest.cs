namespace Skald.Serving;

/// <summary>A parsed <c>POST /v1/embeddings</c> body (OpenAI's create-embedding request).</summary>
/// <param name="Inputs">What to embed.</param>
/// <param name="Model">The model the client named (any name is accepted; responses name the served model).</param>
/// <param name="Base64">True for <c>encoding_format: "base64"</c> (little-endian float32), false for floats.</param>
/// <param name="Dimensions">Matryoshka truncation: keep the first N values and renormalise (null: the full width).</param>
public sealed record EmbeddingRequest(EmbeddingInputs Inputs, string? Model, bool Base64, int? Dimensions);
