using System.Globalization;
using System.Text;

namespace Skald.Tokenizers.Decoders;

/// <summary>HF's ByteFallback decoder: runs of &lt;0xXX&gt; tokens become their UTF-8 text (or one U+FFFD per byte if invalid).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/decoders/byte_fallback.rs</remarks>
internal sealed record ByteFallbackDecoder : IDecoder
{
    private static readonly UTF8Encoding Strict = new(false, true);

    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                byte.TryParse(t.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            r.Add(t);
        }
        Flush();
        return r;

        void Flush()
        {
            if (bytes.Count == 0) return;
            try
            {
                r.Add(Strict.GetString(bytes.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                r.Add(new string('\uFFFD', bytes.Count));
            }
            bytes.Clear();
        }
    }
}
