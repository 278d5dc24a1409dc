using System.Globalization;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;

namespace Skald.Tokenizers.Core;

/// <summary>
/// The SentencePiece-style pipeline (Precompiled normalizer, optionally followed by Replace(" {2,}" → " "), then
/// Metaspace, then a Unigram model without byte fallback) fused into one pass over a text with per-thread scratch
/// buffers: no NormalizedString, transforms, split lists or slices. The Precompiled map works per grapheme cluster; a
/// BMP char is "safe" when it is always a cluster of its own (not a surrogate, CR or Hangul jamo/syllable, and .NET's
/// segmentation splits it from letters on both sides), and then its replacement is the map's entry for the char
/// alone, every replacement unit aligned with that char (HF's transform gives inserted chars the previous old char's
/// alignment). Space runs collapse to their last space's alignment (HF's replace), spaces become the replacement
/// (aligned with the space), the prepended replacement takes the first unit's alignment, and pieces start at each
/// replacement (MergedWithNext). A text with an unsafe char or an added token falls back to the general pipeline,
/// which this must match id for id and offset for offset (tests compare the two).
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/metaspace.rs</remarks>
internal sealed class UnigramFastPath
{
    private static readonly string Unsafe = new('\uFFFF', 1);

    private readonly PrecompiledNormalizer _precompiled;
    private readonly bool _collapseSpaces;
    private readonly char _replacement;
    private readonly bool _prepend;
    private readonly bool _split;
    private readonly UnigramModel _model;
    private readonly string?[] _expansion = new string?[0x10000];

    private UnigramFastPath(PrecompiledNormalizer precompiled, bool collapseSpaces, MetaspacePreTokenizer metaspace, UnigramModel model)
    {
        _precompiled = precompiled;
        _collapseSpaces = collapseSpaces;
        _replacement = metaspace.Replacement[0];
        // The whole text is one split starting at 0, so First prepends exactly when Always does.
        _prepend = metaspace.Scheme is PrependScheme.Always or PrependScheme.First;
        _split = metaspace.SplitPieces;
        _model = model;
    }

    /// <summary>The fast path for this pipeline, or null when it does not apply.</summary>
    public static UnigramFastPath? TryCreate(INormalizer? normalizer, IPreTokenizer? preTokenizer, IModel model)
    {
        if (model is not UnigramModel { ByteFallback: false } unigram) return null;
        if (preTokenizer is not MetaspacePreTokenizer { Replacement.Length: 1 } metaspace) return null;
        char rep = metaspace.Replacement[0];
        if (rep == ' ' || char.IsSurrogate(rep)) return null;
        return normalizer switch
        {
            PrecompiledNormalizer p => new UnigramFastPath(p, false, metaspace, unigram),
            SequenceNormalizer { Normalizers: [PrecompiledNormalizer p] } => new UnigramFastPath(p, false, metaspace, unigram),
            SequenceNormalizer { Normalizers: [PrecompiledNormalizer p, ReplaceNormalizer r] } when CollapsesSpaces(r) =>
                new UnigramFastPath(p, true, metaspace, unigram),
            _ => null,
        };
    }

    /// <summary>True for Replace(Regex " {2,}", " ") (SentencePiece's space-run collapse as exported by HF).</summary>
    private static bool CollapsesSpaces(ReplaceNormalizer r) => r is { Literal: null, Regex.Pattern: " {2,}", Content: " " };

    /// <summary>
    /// Tokenizes <paramref name="text"/> into <paramref name="buf"/> (UTF-16 offsets into the text), keeping whole
    /// pieces while fewer than <paramref name="limit"/> tokens are held, as the general pipeline does. False: the
    /// text needs the general pipeline.
    /// </summary>
    public bool TryEncode(string text, int limit, TokenBuffer buf)
    {
        buf.Clear();
        if (!Normalize(text, buf, out int start)) return false;
        int end = buf.TextLength;
        if (start == end) return true;
        var chars = buf.Text;
        if (!_split)
        {
            Piece(start, end, ref limit, buf);
            return buf.Finish();
        }
        int pieceStart = start;
        for (int i = start + 1; i < end; i++)
        {
            if (chars[i] != _replacement) continue;
            if (!Piece(pieceStart, i, ref limit, buf)) return buf.Finish();
            pieceStart = i;
        }
        Piece(pieceStart, end, ref limit, buf);
        return buf.Finish();
    }

    /// <summary>Tokenizes the normalized piece [start, end) unless the limit is reached (then false).</summary>
    private bool Piece(int start, int end, ref int limit, TokenBuffer buf)
    {
        if (buf.Count >= limit && buf.StopAt(ref limit)) return false;
        int first = buf.Count;
        _model.TokenizeInto(buf.Text.AsSpan(start, end - start), buf);
        buf.MapPieceToOriginal(first, start);
        return true;
    }

    /// <summary>
    /// Normalizes, collapses spaces, replaces them and prepends into buf.Text from <paramref name="start"/> to
    /// buf.TextLength, each unit's original index in buf.Origin; false if a char is unsafe.
    /// </summary>
    private bool Normalize(string src, TokenBuffer buf, out int start)
    {
        start = 1;
        buf.EnsureText(src.Length + 17);
        var chars = buf.Text;
        var origin = buf.Origin;
        // Slot 0 is kept for the prepended replacement.
        int len = 1;
        bool prevSpace = false;
        for (int i = 0; i < src.Length; i++)
        {
            char c = src[i];
            string exp = _expansion[c] ?? Expansion(c);
            if (ReferenceEquals(exp, Unsafe)) return false;
            if (len + exp.Length > chars.Length)
            {
                buf.EnsureText(len + exp.Length + src.Length - i);
                chars = buf.Text;
                origin = buf.Origin;
            }
            foreach (char e in exp)
            {
                if (e == ' ')
                {
                    if (prevSpace && _collapseSpaces)
                    {
                        // The run becomes one space aligned with its last space.
                        origin[len - 1] = i;
                        continue;
                    }
                    chars[len] = _replacement;
                    origin[len++] = i;
                    prevSpace = true;
                    continue;
                }
                chars[len] = e;
                origin[len++] = i;
                prevSpace = false;
            }
        }
        buf.TextLength = len;
        if (len > 1 && _prepend && chars[1] != _replacement)
        {
            chars[0] = _replacement;
            origin[0] = origin[1];
            start = 0;
        }
        return true;
    }

    /// <summary>What the Precompiled map makes of <paramref name="c"/> alone (cached), or <see cref="Unsafe"/>.</summary>
    private string Expansion(char c)
    {
        string result;
        if (!StandsAlone(c))
        {
            result = Unsafe;
        }
        else
        {
            result = _precompiled.Transform([c]) ?? c.ToString();
            if (result.Length == 0 || result.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 || result == Unsafe) result = Unsafe;
        }
        _expansion[c] = result;
        return result;
    }

    /// <summary>True when <paramref name="c"/> is a grapheme cluster of its own next to any other such char.</summary>
    private static bool StandsAlone(char c)
    {
        if (char.IsSurrogate(c) || c == '\r' || c == '\uFFFF') return false;
        // Hangul jamo and syllables join each other (GB6-GB8), which letters around them do not reveal.
        if (c is >= '\u1100' and <= '\u11FF' or >= '\uA960' and <= '\uA97F' or >= '\uAC00' and <= '\uD7FF' or >= '\u3130' and <= '\u318F') return false;
        string probe = string.Concat("a", c.ToString(), "a");
        return StringInfo.GetNextTextElementLength(probe) == 1 && StringInfo.GetNextTextElementLength(probe.AsSpan(1)) == 1;
    }
}
