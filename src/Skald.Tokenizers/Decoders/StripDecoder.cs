using System.Text;

namespace Skald.Tokenizers.Decoders;

/// <summary>HF's Strip decoder: removes up to Start leading and Stop trailing occurrences of Content from each token.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/decoders/strip.rs</remarks>
internal sealed record StripDecoder(string Content, int Start, int Stop) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        foreach (var tok in tokens)
        {
            var runes = tok.EnumerateRunes().ToList();
            int c = Content.Length == 0 ? -1 : char.ConvertToUtf32(Content, 0);
            int s = 0;
            while (s < Start && s < runes.Count && runes[s].Value == c) s++;
            int e = runes.Count, k = 0;
            while (k < Stop && e > s && runes[e - 1].Value == c) { e--; k++; }
            var sb = new StringBuilder();
            for (int i = s; i < e; i++) sb.Append(runes[i].ToString());
            r.Add(sb.ToString());
        }
        return r;
    }
}
