using Skald.Models;

namespace Skald.Retrieval.Models;

/// <summary>
/// How a <see cref="SentenceEncoder"/> embeds a text of a <see cref="TextRole"/> with a role's prompt, the one rule that
/// <see cref="EncoderEmbeddingModel"/> and Skald.Evaluation's model (<c>skald index</c>, <c>skald search</c>,
/// <c>skald evaluate</c>) share, so that an index built from code and one built by the CLI hold the same rows.
/// </summary>
public static class RoleEncoding
{
    /// <summary>
    /// The options that embed texts of <paramref name="role"/> with <paramref name="prompt"/> (null or "": none): the
    /// prompt put before the text, or for an LLM2Vec model given as its instruction (attended to, left out of pooling);
    /// a Router folder's query or document route by the role.
    /// </summary>
    public static EncodeOptions Options(SentenceEncoder encoder, TextRole role, string? prompt)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        bool llm2vec = encoder.Folder.Llm2Vec is not null;
        return new EncodeOptions
        {
            Prompt = llm2vec ? null : prompt,
            Instruction = llm2vec && !string.IsNullOrEmpty(prompt) ? prompt : null,
            Route = role switch { TextRole.Query => "query", TextRole.Document => "document", _ => null },
        };
    }

    /// <summary>
    /// Splits <paramref name="text"/> into consecutive pieces that each fit <paramref name="maxTokens"/> with
    /// <paramref name="prompt"/> and the special tokens (one piece when it already fits). Pieces are cut at token
    /// boundaries (the tokenizer's character offsets); a piece that re-tokenises longer than the limit (a word split
    /// mid-way) is halved again.
    /// </summary>
    public static IReadOnlyList<string> SplitToFit(Skald.Tokenizers.Tokenizer tokenizer, string? prompt, int maxTokens, string text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(text);
        prompt ??= "";
        int specials = tokenizer.Encode("", true).Ids.Length;
        int promptTokens = prompt.Length == 0 ? 0 : tokenizer.Encode(prompt, false).Ids.Length;
        int budget = Math.Max(4, maxTokens - specials - promptTokens);
        var pieces = new List<string>();
        Split(text, budget, pieces, 0);
        return pieces.Count > 0 ? pieces : [text];

        void Split(string t, int size, List<string> into, int depth)
        {
            if (depth > 8 || tokenizer.Encode(prompt + t, true).Ids.Length <= maxTokens)
            {
                into.Add(t);
                return;
            }
            var enc = tokenizer.Encode(t, false);
            int step = Math.Max(1, Math.Min(size, (enc.Ids.Length + 1) / 2));
            for (int start = 0; start < enc.Ids.Length; start += step)
            {
                int end = Math.Min(enc.Ids.Length, start + step) - 1;
                int from = Math.Clamp(enc.Offsets[start].Start, 0, t.Length), to = Math.Clamp(enc.Offsets[end].End, from, t.Length);
                var piece = t[from..to].Trim();
                if (piece.Length > 0) Split(piece, Math.Max(1, step - 2), into, depth + 1);
            }
        }
    }
}
