using Skald.Tokenizers.Core;
using Skald.Tokenizers.Processors;

namespace Skald.Tokenizers;

/// <summary>From the encoded sequences to the public <see cref="Encoding"/>: truncation, post-processing, code point offsets.</summary>
public sealed partial class Tokenizer
{
    /// <summary>Truncates (longest first, special tokens counted) and post-processes the encoded sequences of <paramref name="a"/> and <paramref name="b"/>.</summary>
    private Encoding Complete(RawEncoding ea, RawEncoding? eb, string a, string? b, bool addSpecialTokens, TruncationOptions? truncation)
    {
        if (truncation is not null)
        {
            int added = addSpecialTokens && _postProcessor is not null ? _postProcessor.AddedTokens(b is not null) : 0;
            Core.Truncation.Apply(ea, eb, Math.Max(0, truncation.MaxLength - added), truncation);
        }
        bool truncated = ea.Truncated || eb?.Truncated == true; // read before post-processing, which builds new encodings
        var merged = _postProcessor is not null ? DefaultProcessing.Process(_postProcessor, ea, eb, addSpecialTokens) : DefaultProcessing.Merge(ea, eb);
        return ToPublic(merged, a, b, truncated);
    }

    private static Encoding ToPublic(RawEncoding e, string a, string? b, bool truncated = false)
    {
        int n = e.Count;
        var offsets = new (int, int)[n];
        // A long text maps only the span its tokens reach (a truncated 9 MB text needs a few hundred positions; from
        // its end under left truncation, the code points before counted without a map).
        var mapA = CodePointSpan(e, 0, a);
        var mapB = b is null ? default : CodePointSpan(e, 1, b);
        for (int i = 0; i < n; i++)
        {
            var (s, end) = e.Offsets[i];
            var span = e.SequenceIds[i] == 1 ? mapB : mapA;
            offsets[i] = e.SequenceIds[i] < 0 ? (s, end) : (span.At(s), span.At(end));
        }
        var mask = new int[n];
        Array.Fill(mask, 1);
        return new Encoding
        {
            Overflowing = e.Overflowing.Count == 0 ? [] : e.Overflowing.Select(o => ToPublic(o, a, b)).ToArray(),
            Ids = [.. e.Ids],
            Tokens = [.. e.Tokens],
            TypeIds = [.. e.TypeIds],
            AttentionMask = mask,
            Offsets = offsets,
            SpecialTokensMask = [.. e.SpecialMask],
            Truncated = truncated,
        };
    }

    /// <summary>Texts longer than this (UTF-16 units) get a code point map only as far as their tokens reach.</summary>
    private const int LongMapText = 1 << 16;

    /// <summary>UTF-16 index to code point index, or null when the text has no surrogate pairs.</summary>
    private static int[]? CodePointMap(string text) => CodePointMap(text, 0, text.Length);

    /// <summary>
    /// The code point map of sequence <paramref name="sequenceId"/>'s text: whole for a short text, else over the span
    /// from its tokens' first start to their last end (overflowing parts included), the code points before it counted.
    /// </summary>
    private static CodePointSpan CodePointSpan(RawEncoding e, int sequenceId, string text)
    {
        if (text.Length <= LongMapText) return new CodePointSpan(CodePointMap(text, 0, text.Length), 0, 0);
        int upTo = MaxEnd(e, sequenceId), from = Math.Min(MinStart(e, sequenceId, 0), upTo);
        // Offsets never split a surrogate pair: a start between its halves would be a lone low surrogate's.
        return new CodePointSpan(CodePointMap(text, from, upTo), from, from == 0 ? 0 : CodePointsBefore(text, from));
    }

    /// <summary>The smallest start offset of sequence <paramref name="sequenceId"/>'s tokens, overflowing parts included (<paramref name="none"/> without any).</summary>
    private static int MinStart(RawEncoding e, int sequenceId, int none)
    {
        int min = int.MaxValue;
        for (int i = 0; i < e.Count; i++)
            if (e.SequenceIds[i] == sequenceId) min = Math.Min(min, e.Offsets[i].Start);
        foreach (var o in e.Overflowing) min = Math.Min(min, MinStart(o, sequenceId, int.MaxValue));
        return min == int.MaxValue ? none : min;
    }

    /// <summary>The code points of <paramref name="text"/>[..<paramref name="end"/>] (a surrogate pair is one, a lone surrogate one), counted without a map.</summary>
    private static int CodePointsBefore(string text, int end)
    {
        var span = text.AsSpan(0, end);
        int pairs = 0;
        for (int i = span.IndexOfAnyInRange('\uD800', '\uDBFF'); i >= 0 && i + 1 < span.Length;)
        {
            if (char.IsLowSurrogate(span[i + 1])) { pairs++; i++; }
            int next = span[(i + 1)..].IndexOfAnyInRange('\uD800', '\uDBFF');
            i = next < 0 ? -1 : i + 1 + next;
        }
        return end - pairs;
    }

    /// <summary>
    /// UTF-16 index to code points from <paramref name="from"/> for indices <paramref name="from"/>..<paramref name="upTo"/>
    /// (entry <c>i - from</c>), or null when that span has no surrogates (a pair is never split by an offset, so the span decides).
    /// </summary>
    private static int[]? CodePointMap(string text, int from, int upTo)
    {
        upTo = Math.Min(upTo, text.Length);
        int scan = Math.Min(upTo + 1, text.Length); // the unit at upTo: a low surrogate there means a pair ends past it
        if (text.AsSpan(from, scan - from).IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return null;
        var map = new int[upTo - from + 1];
        int cp = 0;
        for (int i = from; i < upTo; i++)
        {
            map[i - from] = cp;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (i + 1 - from < map.Length) map[i + 1 - from] = cp;
                i++;
            }
            cp++;
        }
        map[upTo - from] = cp;
        return map;
    }
}
