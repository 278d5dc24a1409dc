namespace Skald.Serving;

/// <summary>The embeddings of one request, in input order, and the tokens they took (OpenAI's usage.prompt_tokens).</summary>
/// <param name="Embeddings">One embedding per input.</param>
/// <param name="PromptTokens">Tokens the model read, special tokens included.</param>
public sealed record EmbeddingResult(float[][] Embeddings, long PromptTokens);
