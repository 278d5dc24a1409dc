namespace Skald.Tokenizers.Decoders;

/// <summary>HF's Metaspace decoder: the replacement becomes a space; the first token loses a leading space unless prepend_scheme is never.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/metaspace.rs</remarks>
internal sealed record MetaspaceDecoder(string Replacement, bool StripFirst) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(Replacement, " ");
            if (i == 0 && StripFirst && t.StartsWith(' ')) t = t[1..];
            r.Add(t);
        }
        return r;
    }
}
