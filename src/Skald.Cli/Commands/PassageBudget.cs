using Skald.Tokenizers;

namespace Skald.Cli.Commands;

/// <summary>
/// How long the passages of <c>skald data generate</c> (and a pipeline's generate stage) are: 256 tokens, or what the
/// model reads when the tokenizer given is a sentence-transformers folder that reads fewer, so that training and
/// evaluation see each passage whole.
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
        int? reads = ModelReads(tokenizer);
        int chunk = given ?? Math.Min(DefaultChunkTokens, reads ?? DefaultChunkTokens);
        if (reads is int room && chunk > room)
            log($"warning: chunks of {chunk} tokens are more than the {room} tokens {tokenizer} reads (its max_seq_length less special tokens): " +
                "a passage longer than that is cut when the model trains or embeds it");
        return chunk;
    }

    /// <summary>
    /// The overlap when none was given: a quarter of the chunk, at most 32 tokens. (It was 32 for every chunk over 32
    /// tokens, so chunks of 33–64 tokens, such as a small model's, repeated half or more of their neighbour.)
    /// </summary>
    public static int Overlap(int chunk) => Math.Min(32, chunk / 4);

    /// <summary>
    /// The tokens a sentence-transformers model folder reads of a passage: its max_seq_length less the special tokens
    /// its tokenizer adds (null: not such a folder, or no max_seq_length).
    /// </summary>
    public static int? ModelReads(string? path)
    {
        if (path is null || !Directory.Exists(path) || !File.Exists(Path.Combine(path, "tokenizer.json"))) return null;
        var folder = Skald.Models.Modules.ModelFolder.Read(path);
        if (folder.MaxSeqLength is not int max) return null;
        int special = Tokenizer.FromFile(Path.Combine(path, "tokenizer.json")).Encode("", true).Ids.Length;
        return Math.Max(1, max - special);
    }
}
