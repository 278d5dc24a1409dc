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
        // A long text maps only as far as its tokens reach (a truncated 9 MB text needs a few hundred positions).
        int[]? mapA = CodePointMap(a, a.Length <= LongMapText ? a.Length : MaxEnd(e, 0)),
            mapB = b is null ? null : CodePointMap(b, b.Length <= LongMapText ? b.Length : MaxEnd(e, 1));
        for (int i = 0; i < n; i++)
        {
            var (s, end) = e.Offsets[i];
            var map = e.SequenceIds[i] == 1 ? mapB : mapA;
            offsets[i] = map is null ? (s, end) : (map[Math.Min(s, map.Length - 1)], map[Math.Min(end, map.Length - 1)]);
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
    private static int[]? CodePointMap(string text) => CodePointMap(text, text.Length);

    /// <summary>
    /// UTF-16 index to code point index for indices 0..<paramref name="upTo"/>, or null when text[..upTo] has no
    /// surrogates (a pair is never split by an offset, so the prefix decides).
    /// </summary>
    private static int[]? CodePointMap(string text, int upTo)
    {
        upTo = Math.Min(upTo, text.Length);
        int scan = Math.Min(upTo + 1, text.Length); // the unit at upTo: a low surrogate there means a pair ends past it
        if (text.AsSpan(0, scan).IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return null;
        var map = new int[upTo + 1];
        int cp = 0;
        for (int i = 0; i < upTo; i++)
        {
            map[i] = cp;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (i + 1 < map.Length) map[i + 1] = cp;
                i++;
            }
            cp++;
        }
        map[upTo] = cp;
        return map;
    }
}
