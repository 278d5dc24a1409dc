namespace Skald.Serving;

/// <summary>
/// The <c>input</c> of an embeddings request: texts, or token-id sequences of the model's own tokenizer (the ids the
/// model sees, special tokens included, as <c>skald tokenize</c> prints them). Exactly one of the two is set.
/// </summary>
/// <param name="Texts">The texts (null when the input is token ids).</param>
/// <param name="TokenIds">The token-id sequences (null when the input is texts).</param>
public sealed record EmbeddingInputs(IReadOnlyList<string>? Texts, IReadOnlyList<int[]>? TokenIds)
{
    /// <summary>Number of inputs.</summary>
    public int Count => Texts?.Count ?? TokenIds!.Count;
}
