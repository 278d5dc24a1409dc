namespace Skald.Tokenizers.Core;

/// <summary>HF's truncation (strategy longest_first, direction right, stride 0).</summary>
internal static class Truncation
{
    /// <summary>
    /// Truncates so that a.Count + b.Count &lt;= <paramref name="maxLength"/> (special tokens already
    /// subtracted), following HF's truncate_encodings: the shorter sequence is kept when the longer
    /// one can absorb the cut; otherwise the shorter gets half and the longer the rounded-up half.
    /// </summary>
    /// <remarks>
    /// The node oracle (tokenizers 0.23.2) occasionally splits long pairs the other way round
    /// (first sequence rounded down even when it is the longer one); see the oracle tests.
    /// </remarks>
    public static void LongestFirst(RawEncoding a, RawEncoding? b, int maxLength)
    {
        int total = a.Count + (b?.Count ?? 0);
        if (total <= maxLength) return;
        if (b is null)
        {
            a.Truncate(maxLength);
            return;
        }
        int n1 = a.Count, n2 = b.Count;
        bool swap = false;
        if (n1 > n2)
        {
            swap = true;
            (n1, n2) = (n2, n1);
        }
        n2 = n1 > maxLength ? n1 : Math.Max(n1, maxLength - n1);
        if (n1 + n2 > maxLength)
        {
            n1 = maxLength / 2;
            n2 = n1 + maxLength % 2;
        }
        if (swap) (n1, n2) = (n2, n1);
        a.Truncate(n1);
        b.Truncate(n2);
    }
}
