namespace Skald.Models.CrossEncoders;

/// <summary>
/// How a causal-LM reranker reads a (query, document) pair: one prompt, <see cref="Prefix"/> + the body
/// (<see cref="Body"/> with <c>{instruction}</c>, <c>{query}</c>, <c>{doc}</c> filled; cut at the end to fit) +
/// <see cref="Suffix"/>, the three tokenized separately and joined, as the model card's code does; the score is read at
/// the last token.
/// </summary>
/// <param name="Prefix">Text before the body (tokenized without special tokens).</param>
/// <param name="Body">The body's template.</param>
/// <param name="Suffix">Text after the body (tokenized without special tokens).</param>
/// <param name="Instruction">The task instruction put in for <c>{instruction}</c>.</param>
public sealed record PromptedPairs(string Prefix, string Body, string Suffix, string Instruction)
{
    /// <summary>
    /// Qwen3-Reranker's prompt (https://huggingface.co/Qwen/Qwen3-Reranker-0.6B, the model card's transformers usage):
    /// a system turn asking for a yes/no judgement, the user turn <c>&lt;Instruct&gt;: … &lt;Query&gt;: … &lt;Document&gt;: …</c>,
    /// and an assistant turn with an empty thinking block; the score is P(yes) against "no" at the last token.
    /// </summary>
    public static PromptedPairs Qwen3Reranker { get; } = new(
        "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. " +
        "Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n",
        "<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {doc}",
        "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
        "Given a web search query, retrieve relevant passages that answer the query");

    /// <summary>The body for one pair.</summary>
    public string Format(string query, string document)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(document);
        return Body.Replace("{instruction}", Instruction, StringComparison.Ordinal)
            .Replace("{query}", query, StringComparison.Ordinal).Replace("{doc}", document, StringComparison.Ordinal);
    }
}
