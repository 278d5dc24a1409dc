namespace Skald.Tokenizers.Templates;

/// <summary>
/// When a chat template's rendering may stop early (<see cref="ChatTemplate.ApplyWithin"/>): each time the text written
/// so far (the template's top-level output, which what follows only extends) reaches a check length,
/// <see cref="Exceeded"/> is asked about it; true stops the rendering, false doubles the check length. The checks so
/// cost at most about twice the text rendered, and a rendering that is not stopped gives the same text as without a
/// limit.
/// </summary>
public sealed class RenderLimit
{
    /// <summary>
    /// A limit first checked when the text reaches <paramref name="firstCheck"/> characters; <paramref name="exceeded"/>
    /// says of a text whether every text that starts with it is past the limit.
    /// </summary>
    public RenderLimit(int firstCheck, Func<string, bool> exceeded)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(firstCheck);
        ArgumentNullException.ThrowIfNull(exceeded);
        FirstCheck = firstCheck;
        Exceeded = exceeded;
    }

    /// <summary>The length (characters) of the text at the first check.</summary>
    public int FirstCheck { get; }

    /// <summary>True when every text starting with the given one is past the limit (the rendering then stops).</summary>
    public Func<string, bool> Exceeded { get; }

    /// <summary>
    /// A limit that stops a rendering once its text so far proves that the whole text holds more than
    /// <paramref name="maxTokens"/> tokens of <paramref name="tokenizer"/> (<paramref name="addSpecialTokens"/> as it will
    /// be encoded): <see cref="Tokenizer.TryEncodeStart"/>, whose proof is the tokenizer's bounded truncation's, cut
    /// where the pipeline allows (<see cref="Core.PrefixCut"/>: byte-level BPE, SentencePiece BPE and Unigram, WordPiece,
    /// added tokens without whitespace), so a text that fits is never stopped. Null for a pipeline without such a proof:
    /// its texts render whole.
    /// </summary>
    public static RenderLimit? Tokens(Tokenizer tokenizer, int maxTokens, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        if (tokenizer.PrefixMode == Core.PrefixMode.None) return null;
        long first = Tokenizer.FirstPrefixChars(maxTokens);
        if (first >= int.MaxValue) return null;
        // (a text no longer than the first prefix is never proven from its start: the first check is one character past it)
        return new RenderLimit((int)first + 1, text => tokenizer.TryEncodeStart(text, maxTokens, out var encoding, addSpecialTokens) && encoding.Truncated);
    }
}
