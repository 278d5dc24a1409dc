using Skald.Tokenizers.Core;

namespace Skald.Tokenizers;

/// <summary>
/// Left truncation whose cost is bounded by what is kept: a long text is tokenized from a growing suffix that starts
/// at a cut where the pipeline splits, until the suffix proves it holds the last tokens of the whole text (<see cref="SuffixCut"/>
/// says when a pipeline allows it).
/// </summary>
public sealed partial class Tokenizer
{
    private int _suffixState; // 0 not yet analysed, 1 allowed, 2 not allowed

    /// <summary>
    /// Encodes one text truncated (longest first) to at most <paramref name="maxLength"/> tokens, special tokens
    /// included, from the side <paramref name="direction"/> says: <see cref="TruncationDirection.Left"/> keeps the
    /// text's last tokens (a decoder keeping a conversation's end). A long text is read only as far as the kept tokens
    /// need, with the ids, offsets and <see cref="Encoding.Truncated"/> of the whole text; where only part of it was
    /// read, <see cref="Encoding.Overflowing"/> holds the tokens of that part. A non-positive
    /// <paramref name="maxLength"/> encodes without truncation.
    /// </summary>
    public Encoding Encode(string text, int maxLength, TruncationDirection direction, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (maxLength <= 0 || direction == TruncationDirection.Right) return EncodeCore(text, null, addSpecialTokens, maxLength);
        return EncodeCore(text, null, addSpecialTokens, new TruncationOptions(maxLength, Direction: direction), bounded: true);
    }

    /// <summary>
    /// Encodes a pair truncated to at most <paramref name="maxLength"/> tokens, special tokens included, as HF's
    /// truncate_encodings does with <paramref name="strategy"/> (longest_first: the longer sequence loses tokens first,
    /// then both share; only_first / only_second: that sequence alone, a <see cref="TokenizerException"/> when it is too
    /// short) from the side <paramref name="direction"/> says. Each long text is read only as far as needed: a sequence
    /// whose token count decides the split (both for longest_first, the untouched one otherwise) until its early cut is
    /// proven, the truncated one only until its kept tokens are; the ids, offsets and <see cref="Encoding.Truncated"/>
    /// are those of <see cref="EncodePair(string, string, TruncationOptions?, bool)"/> with the same options, and
    /// <see cref="Encoding.Overflowing"/> holds the tokens of what was read. A non-positive
    /// <paramref name="maxLength"/> encodes without truncation.
    /// </summary>
    public Encoding EncodePair(string a, string b, int maxLength, TruncationStrategy strategy, TruncationDirection direction = TruncationDirection.Right, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (maxLength <= 0) return EncodeCore(a, b, addSpecialTokens, null);
        return EncodeCore(a, b, addSpecialTokens, new TruncationOptions(maxLength, strategy, Direction: direction), bounded: true);
    }

    /// <summary>
    /// <see cref="EncodeSequence"/> with left truncation, reading only as much of <paramref name="text"/> as needed: a
    /// text no longer than the first suffix takes the ordinary path unchanged; a longer one is tokenized from a cut
    /// near its end (<see cref="SuffixCut.Previous"/>: a space, a tab or line break, punctuation or ideographs where the
    /// pipeline splits, or a vocabulary break of a single BPE piece), and the result is taken when its tokens start at or
    /// after the next such cut (the margin), shifted to the whole text's offsets; otherwise the suffix doubles. A text
    /// without such a cut, or a pipeline without the proof, is tokenized whole (giant WordPiece words in part). With <paramref name="exactCount"/> (a
    /// pair) a single piece, whose count is all of its tokens, is read whole.
    /// </summary>
    private RawEncoding EncodeFromEnd(string text, int sequenceId, TruncationOptions truncation, bool exactCount)
    {
        int limit = truncation.MaxLength;
        long first = (long)limit * PrefixCharsPerToken + 64;
        bool single = _prefixMode == PrefixMode.SinglePiece;
        if (limit <= 0 || text.Length <= first || !SuffixAllowed())
            return EncodeSequence(text, sequenceId, truncation);
        if (exactCount && single) return EncodeRead(text, sequenceId, truncation);
        var cuts = Cuts;
        long budget = first;
        while (budget < text.Length)
        {
            int start = SuffixCut.Previous(text, text.Length - (int)budget, cuts, single);
            if (start < 0) break;
            int margin = SuffixCut.Next(text, start + 1, cuts, single);
            if (margin > 0)
            {
                var suffix = text[start..];
                var enc = EncodeRead(suffix, sequenceId, truncation);
                if (FromMargin(enc, suffix, sequenceId, truncation, margin - start, single) is { } kept)
                {
                    Shift(kept, start);
                    return kept;
                }
            }
            budget = Math.Max(budget * 2, (long)(text.Length - start) * 2);
        }
        return EncodeRead(text, sequenceId, truncation);
    }

    /// <summary>
    /// The suffix's encoding when it is the whole text's (<see cref="SuffixCut"/>), null when not proven: for pieces,
    /// every token starts at or after <paramref name="margin"/> (and an early cut of exactly max_length has its nearest
    /// earlier token there too, or none at all makes it unproven); for a single piece, more than max_length tokens
    /// start there, and only those are kept.
    /// </summary>
    private RawEncoding? FromMargin(RawEncoding enc, string suffix, int sequenceId, TruncationOptions truncation, int margin, bool single)
    {
        int limit = truncation.MaxLength;
        if (single)
        {
            int j = 0;
            while (j < enc.Count && enc.Offsets[j].Start < margin) j++;
            return enc.Count - j > limit ? enc.Slice(j, enc.Count) : null;
        }
        if (enc.Count < limit || enc.Offsets[0].Start < margin) return null;
        if (enc.Count > limit) return enc;
        // Exactly max_length: whether the text has tokens before them is the nearest earlier piece with tokens, which
        // the early cut for one token more reaches.
        if (!enc.Truncated) return null;
        var more = EncodeRead(suffix, sequenceId, truncation with { MaxLength = limit + 1 });
        return more.Count > limit && more.Offsets[0].Start >= margin ? enc : null;
    }

    private static void Shift(RawEncoding enc, int by)
    {
        for (int i = 0; i < enc.Count; i++)
        {
            var (s, e) = enc.Offsets[i];
            enc.Offsets[i] = (s + by, e + by);
        }
    }

    private bool SuffixAllowed()
    {
        if (_suffixState == 0)
            _suffixState = SuffixCut.Allows(_prefixMode, _model) ? 1 : 2;
        return _suffixState == 1;
    }
}
