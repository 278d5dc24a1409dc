using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Nmt normalizer: drops some control chars and maps other spaces to ' '.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/unicode.rs</remarks>
internal sealed record NmtNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        ns.Filter(static cp => cp is not ((>= 0x0001 and <= 0x0008) or 0x000B or (>= 0x000E and <= 0x001F) or 0x007F or 0x008F or 0x009F));
        ns.Map(static cp => cp is 0x0009 or 0x000A or 0x000C or 0x000D or 0x1680 or (>= 0x200B and <= 0x200F)
            or 0x2028 or 0x2029 or 0x2581 or 0xFEFF or 0xFFFD ? ' ' : cp);
    }
}
