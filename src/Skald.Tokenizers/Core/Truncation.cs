using Skald.Tokenizers.Serialization;
namespace Skald.Tokenizers.Core;

/// <summary>HF's truncate_encodings.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/utils/truncation.rs</remarks>
internal static class Truncation
{
    /// <summary>
    /// HF's truncate_encodings: a.Count + b.Count &lt;= <paramref name="maxLength"/> (special tokens already
    /// subtracted). longest_first: with n1 the shorter, either only the longer is cut (to maxLength - n1)
    /// or both to halves (second gets the odd token, swapped back when the first was the longer).
    /// </summary>
    public static void Apply(RawEncoding a, RawEncoding? b, int maxLength, TruncationOptions options)
    {
        if (maxLength <= 0)
        {
            a.TruncateWithOverflow(0, options.Stride, options.Direction);
            b?.TruncateWithOverflow(0, options.Stride, options.Direction);
            return;
        }
        int total = a.Count + (b?.Count ?? 0);
        if (total <= maxLength) return;
        int toRemove = total - maxLength;
        switch (options.Strategy)
        {
            case TruncationStrategy.LongestFirst when b is not null:
            {
                int n1 = a.Count, n2 = b.Count;
                bool swap = n1 > n2;
                if (swap) (n1, n2) = (n2, n1);
                n2 = n1 > maxLength ? n1 : Math.Max(n1, maxLength - n1);
                if (n1 + n2 > maxLength)
                {
                    n1 = maxLength / 2;
                    n2 = n1 + maxLength % 2;
                }
                if (swap) (n1, n2) = (n2, n1);
                a.TruncateWithOverflow(n1, options.Stride, options.Direction);
                b.TruncateWithOverflow(n2, options.Stride, options.Direction);
                break;
            }
            case TruncationStrategy.LongestFirst:
                a.TruncateWithOverflow(maxLength, options.Stride, options.Direction);
                break;
            default:
            {
                var target = options.Strategy == TruncationStrategy.OnlyFirst ? a
                    : b ?? throw new TokenizerException("truncation only_second needs a pair of sequences");
                if (target.Count <= toRemove)
                    throw new TokenizerException($"truncation {(options.Strategy == TruncationStrategy.OnlyFirst ? "only_first" : "only_second")}: the sequence to truncate ({Counted.Of(target.Count, "token")}) is too short to remove {toRemove}");
                target.TruncateWithOverflow(target.Count - toRemove, options.Stride, options.Direction);
                break;
            }
        }
    }
}
