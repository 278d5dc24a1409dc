namespace Skald.Tokenizers.Core;

/// <summary>
/// UTF-16 offsets to code point offsets over a span of a text that starts at <see cref="From"/> (<see cref="Before"/>
/// code points precede it): <see cref="Map"/> holds entry <c>i - From</c> for index <c>i</c>, or is null when the span
/// has no surrogates.
/// </summary>
internal readonly record struct CodePointSpan(int[]? Map, int From, int Before)
{
    /// <summary>The code point offset of UTF-16 index <paramref name="i"/> (clamped to the span).</summary>
    public int At(int i)
    {
        int k = Math.Max(0, i - From);
        return Map is null ? Before + k : Before + Map[Math.Min(k, Map.Length - 1)];
    }
}
