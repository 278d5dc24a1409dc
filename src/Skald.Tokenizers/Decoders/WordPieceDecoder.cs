namespace Skald.Tokenizers.Decoders;

/// <summary>HF's WordPiece decoder.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/decoders/wordpiece.rs</remarks>
internal sealed record WordPieceDecoder(string Prefix, bool Cleanup) : IDecoder
{
    /// <summary>HF's cleanup of tokenization spaces.</summary>
    public static string CleanupText(string s) => s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" do not", " don't").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (i != 0)
            {
                if (t.StartsWith(Prefix, StringComparison.Ordinal)) t = t[Prefix.Length..];
                else t = " " + t;
            }
            if (Cleanup) t = CleanupText(t);
            r.Add(t);
        }
        return r;
    }
}
