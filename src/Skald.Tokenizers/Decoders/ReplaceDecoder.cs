using System.Text;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Decoders;

/// <summary>HF's Replace decoder (string or regex pattern).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/replace.rs</remarks>
internal sealed record ReplaceDecoder(string? Literal, OnigRegex? Regex, string Content) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        var matches = new List<(int Start, int End)>();
        foreach (var t in tokens)
        {
            if (Literal is not null)
            {
                r.Add(Literal.Length == 0 ? t : t.Replace(Literal, Content, StringComparison.Ordinal));
                continue;
            }
            matches.Clear();
            Regex!.Matches(t, matches);
            var sb = new StringBuilder();
            int prev = 0;
            foreach (var (s, e) in matches)
            {
                sb.Append(t, prev, s - prev).Append(Content);
                prev = e;
            }
            sb.Append(t, prev, t.Length - prev);
            r.Add(sb.ToString());
        }
        return r;
    }
}
