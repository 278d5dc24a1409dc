using Skald.Cli.IO;
using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Tokenizers;

namespace Skald.Cli.Commands;

/// <summary>
/// How long passages are: the one rule <c>skald data generate</c> (and a pipeline's generate stage) and <c>skald index
/// build</c> size chunks by (<see cref="Room"/>: what the model embeds whole), and data generate's defaults: 256 tokens,
/// or that room when the tokenizer given is a model folder that reads fewer, so that training and evaluation see each
/// passage whole.
/// </summary>
internal static class PassageBudget
{
    /// <summary>The chunk size when none was given.</summary>
    public const int DefaultChunkTokens = 256;

    /// <summary>
    /// <paramref name="given"/>, else the default cut to what <paramref name="tokenizer"/> reads; a given size larger than
    /// that is kept with a warning to <paramref name="log"/>.
    /// </summary>
    public static int Chunk(int? given, string? tokenizer, Action<string> log)
    {
        var reads = ModelReads(tokenizer);
        int chunk = given ?? Math.Min(DefaultChunkTokens, reads?.Tokens ?? DefaultChunkTokens);
        if (reads is { } room && chunk > room.Tokens)
            log($"warning: chunks of {chunk} tokens are more than the {room.Tokens} tokens {tokenizer} reads of a passage ({room.Why}): " +
                "a passage longer than that is cut when the model trains or embeds it");
        return chunk;
    }

    /// <summary>
    /// The overlap when none was given: a quarter of the chunk, at most 32 tokens. (It was 32 for every chunk over 32
    /// tokens, so chunks of 33–64 tokens, such as a small model's, repeated half or more of their neighbour.)
    /// </summary>
    public static int Overlap(int chunk) => Math.Min(32, chunk / 4);

    /// <summary>
    /// The tokens of a passage the model folder <paramref name="path"/> reads, as a load configures it
    /// (<see cref="TokenizerFile.Model"/>: an adapter folder's base with the adapter's llm2vec_config.json max_length and
    /// doc_max_length, an LLM2Vec run's <c>final</c>): <see cref="Room"/> with its max_seq_length (else its tokenizer's
    /// model_max_length, as the model cuts a text then) and its document prompt; null: no model folder, or no length.
    /// </summary>
    public static (int Tokens, string Why)? ModelReads(string? path)
    {
        if (path is null || TokenizerFile.Model(path) is not { } folder) return null;
        string file = Path.Combine(folder.TransformerPath, "tokenizer.json");
        if (!File.Exists(file)) return null;
        var (max, limit) = folder.MaxSeqLength is int m ? (m, "max_seq_length")
            : folder.TokenizerMaxLength() is int t ? (t, "model_max_length") : (0, "");
        return max == 0 ? null
            : Room(Tokenizer.FromFile(file), max, RolePrompts.For(folder.Prompts, TextRole.Document), folder.Llm2Vec, limit);
    }

    /// <summary>
    /// The one rule for the tokens of a passage a model embeds whole: <paramref name="maxTokens"/> (the model's
    /// max_seq_length; an LLM2Vec model's max_length, which a folder Skald saves gives cut to the model's positions) less
    /// the special tokens <paramref name="tokenizer"/> adds and the tokens of the document <paramref name="prompt"/> (an
    /// LLM2Vec model's document instruction), and for an LLM2Vec model (<paramref name="llm2vec"/>) at most its
    /// doc_max_length: LLM2Vec's <c>encode</c> cuts a text of more tokens than that down by words before it tokenizes the
    /// input with max_length (<c>LLM2Vec._convert_to_str</c>, llm2vec/llm2vec.py in McGill-NLP/llm2vec at 020e65f8;
    /// Skald's <see cref="Llm2VecInputs"/>). At least 1. <c>Why</c> says which bound gave it, for a message.
    /// </summary>
    public static (int Tokens, string Why) Room(Tokenizer tokenizer, int maxTokens, string? prompt, Llm2VecConfig? llm2vec,
        string limit = "max_seq_length")
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        long room = (long)maxTokens - tokenizer.Encode("", true).Ids.Length - (string.IsNullOrEmpty(prompt) ? 0 : tokenizer.Encode(prompt, false).Ids.Length);
        int fits = (int)Math.Clamp(room, 1, int.MaxValue);
        if (llm2vec is { } c && c.DocMaxLength < fits) return (c.DocMaxLength, $"LLM2Vec's doc_max_length {c.DocMaxLength}");
        return (fits, $"{(llm2vec is null ? limit : "max_length")} {maxTokens} less special tokens and prompt");
    }
}
