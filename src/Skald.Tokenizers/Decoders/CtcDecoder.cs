namespace Skald.Tokenizers.Decoders;

/// <summary>HF's CTC decoder: collapse repeats, drop the pad token, word delimiter to space, optional cleanup.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/decoders/ctc.rs</remarks>
internal sealed record CtcDecoder(string PadToken, string WordDelimiterToken, bool Cleanup) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (i > 0 && tokens[i] == tokens[i - 1]) continue;
            string t = tokens[i].Replace(PadToken, "");
            if (Cleanup) t = WordPieceDecoder.CleanupText(t).Replace(WordDelimiterToken, " ");
            if (t.Length > 0) r.Add(t);
        }
        return r;
    }
}
