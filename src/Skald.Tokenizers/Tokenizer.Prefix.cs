using System.Diagnostics.CodeAnalysis;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Models;

namespace Skald.Tokenizers;

/// <summary>
/// Truncation whose cost is bounded by what is kept: a long text is tokenized from a growing prefix until the prefix
/// proves it holds the first tokens of the whole text (<see cref="PrefixCut"/> says when a pipeline allows it).
/// </summary>
public sealed partial class Tokenizer
{
    /// <summary>Characters of the first prefix tried per kept token (a generous guess; the prefix doubles while short).</summary>
    private const int PrefixCharsPerToken = 8;

    private readonly PrefixMode _prefixMode;
    private long _longTextChars;
    private CutTable? _cuts;
    private GiantWords? _giant;
    private int _giantState; // 0 not yet analysed, 1 analysed

    /// <summary>
    /// The characters of the first prefix bounded truncation to <paramref name="maxLength"/> tokens tries: a text no
    /// longer is tokenized whole (and <see cref="TryEncodeStart"/> of a start no longer is false).
    /// </summary>
    internal static long FirstPrefixChars(int maxLength) => (long)maxLength * PrefixCharsPerToken + 64;

    /// <summary>How this tokenizer's pipeline may be cut (tests check which fixtures take the prefix path).</summary>
    internal PrefixMode PrefixMode => _prefixMode;

    /// <summary>
    /// Characters tokenized by bounded truncation of texts longer than its first prefix (prefixes tried, or the whole
    /// text where no prefix could be used). Tests read it to check the work a long text costs; short texts do not count.
    /// </summary>
    internal long LongTextChars => Interlocked.Read(ref _longTextChars);

    /// <summary>
    /// Encodes many pairs truncated longest first so each has at most <paramref name="maxLength"/> tokens, special tokens
    /// included (as <see cref="EncodePair(string, string, bool, int)"/>: a long text is read only as far as the kept tokens
    /// need, or whole by a single-piece pipeline, whose early cut is the whole text), in parallel when the batch is large enough to profit; the result order matches the input order.
    /// </summary>
    public IReadOnlyList<Encoding> EncodePairBatch(IReadOnlyList<(string A, string B)> pairs, int maxLength, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var results = new Encoding[pairs.Count];
        ForEachText(pairs.Count, i => (pairs[i].A?.Length ?? 0) + (pairs[i].B?.Length ?? 0), i =>
        {
            var (a, b) = pairs[i];
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            results[i] = EncodeCore(a, b, addSpecialTokens, maxLength);
        });
        return results;
    }

    /// <summary>
    /// <see cref="EncodeSequence"/> with right truncation, reading only as much of <paramref name="text"/> as needed:
    /// a text no longer than the first prefix takes the ordinary path unchanged (no extra pass); a longer one is cut
    /// where this pipeline allows (<see cref="CutTable.Next"/>: a space between words, or a pair of characters the
    /// pipeline splits or no token spans) and tokenized up to there with the same early cut, and the result is taken
    /// when its tokens end at or before an earlier cut (the margin): all of them for <see cref="PrefixMode.Pieces"/>,
    /// so the overflowing part is the whole text's, or the first max_length when that margin lies inside a piece
    /// (<see cref="CutKind.Inside"/>, a long word or a CJK run) and for <see cref="PrefixMode.SinglePiece"/>;
    /// otherwise the prefix doubles. The tokens kept are those of the whole text. Where only the first max_length are
    /// checked, the tokens after them come from the prefix, so the overflowing part holds less than tokenizing the
    /// whole text would give; <see cref="RawEncoding.Truncated"/> is set all the same (the prefix's tokens past
    /// max_length, or the early cut's look past it). A text without any cut is tokenized whole.
    /// </summary>
    private RawEncoding EncodeSequenceBounded(string text, int sequenceId, TruncationOptions truncation, bool exactCount = false) =>
        truncation.Direction == TruncationDirection.Left
            ? EncodeFromEnd(text, sequenceId, truncation, exactCount)
            : EncodeFromStart(text, sequenceId, truncation, wholeText: true, exactCount)!;

    /// <summary>
    /// Encodes the first max_length tokens of any text that begins with <paramref name="start"/>, reading only that
    /// start: true when a cut in it lies past the kept tokens (<see cref="Encode(string, bool, int)"/> of the whole
    /// text then gives the same encoding: ids, offsets, Truncated), false when the rest of the text could change them
    /// (a start without such a cut, or no longer than a first prefix): then encode the whole text. Callers that make
    /// the text (strip, lower-case) can so prepare only its start.
    /// </summary>
    public bool TryEncodeStart(string start, int maxLength, [NotNullWhen(true)] out Encoding? encoding, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(start);
        encoding = null;
        if (maxLength <= 0) return false;
        var truncation = new TruncationOptions(maxLength);
        if (EncodeFromStart(start, 0, truncation, wholeText: false) is not { } raw) return false;
        encoding = Complete(raw, null, start, null, addSpecialTokens, truncation);
        return true;
    }

    /// <summary>
    /// The bounded encoding of <paramref name="text"/> (<see cref="EncodeSequenceBounded"/>); with
    /// <paramref name="wholeText"/> false the text may go on past its end, and null is returned wherever the whole
    /// text would have to be read. With <paramref name="exactCount"/> (a pair, whose longest-first truncation compares
    /// the two counts) only a prefix whose tokens all end before the margin is taken, so the count is the whole text's
    /// early cut; a single piece, whose early cut is all of its tokens, is then read whole.
    /// </summary>
    private RawEncoding? EncodeFromStart(string text, int sequenceId, TruncationOptions truncation, bool wholeText, bool exactCount = false)
    {
        int limit = truncation.MaxLength;
        long first = FirstPrefixChars(limit);
        // Left truncation is EncodeFromEnd's (a suffix cut has its own proof, SuffixCut); here it reads the whole text.
        if (_prefixMode == PrefixMode.None || limit <= 0 || truncation.Direction != TruncationDirection.Right || text.Length <= first)
            return wholeText ? EncodeSequence(text, sequenceId, truncation) : null;
        if (exactCount && _prefixMode == PrefixMode.SinglePiece) return wholeText ? EncodeRead(text, sequenceId, truncation) : null;
        var cuts = Cuts;
        int budget = (int)first;
        while (true)
        {
            int cut = cuts.Next(text, budget, out _);
            if (cut < 0) return wholeText ? EncodeRead(text, sequenceId, truncation) : null;
            int margin = cuts.Previous(text, cut, out var marginKind);
            if (margin > 0)
            {
                var enc = EncodeRead(text[..cut], sequenceId, truncation);
                bool firstOnly = !exactCount && (_prefixMode == PrefixMode.SinglePiece || marginKind == CutKind.Inside);
                if (enc.Count >= limit && (enc.Offsets[enc.Count - 1].End <= margin || firstOnly && enc.Offsets[limit - 1].End <= margin))
                {
                    // Exactly max_length tokens and nothing more in the prefix: whether the text goes on past the cut is
                    // not in the prefix (the last word before the cut gives a token, so this is not expected to happen):
                    // the whole text's early cut answers it, and keeps the same tokens.
                    if (enc.Count == limit && !enc.Truncated) return wholeText ? EncodeRead(text, sequenceId, truncation) : null;
                    return enc;
                }
            }
            budget = (int)Math.Min((long)cut * 2, int.MaxValue);
        }
    }

    /// <summary>
    /// <see cref="EncodeSequence"/> of a long text or part of one that bounded truncation reads, counted in
    /// <see cref="LongTextChars"/>; a WordPiece pipeline leaves out the middle of giant words (<see cref="GiantWords"/>),
    /// so such a word costs its margins, not its length.
    /// </summary>
    private RawEncoding EncodeRead(string text, int sequenceId, TruncationOptions truncation)
    {
        if (Giant() is { } giant)
        {
            var cuts = new List<(int At, int Length)>();
            if (giant.Compact(text, cuts) is { } copy)
            {
                Interlocked.Add(ref _longTextChars, copy.Length);
                var enc = EncodeSequence(copy, sequenceId, truncation);
                GiantWords.Restore(enc, cuts);
                return enc;
            }
        }
        Interlocked.Add(ref _longTextChars, text.Length);
        return EncodeSequence(text, sequenceId, truncation);
    }

    /// <summary>The giant-word compactor of a WordPiece pipeline that keeps words whole (<see cref="CutTable.WordChars"/>), or null.</summary>
    private GiantWords? Giant()
    {
        if (_giantState == 0)
        {
            _giant = _model is WordPieceModel wp && _prefixMode == PrefixMode.Pieces && Cuts.WordChars is { } word
                ? new GiantWords(wp.MaxInputCharsPerWord, _added.Tokens.Count == 0 ? 0 : _added.Tokens.Max(t => t.Content.Length), word)
                : null;
            _giantState = 1;
        }
        return _giant;
    }

    /// <summary>Where this pipeline may cut a long text (built at the first long text: it reads the vocabulary).</summary>
    internal CutTable Cuts => _cuts ?? BuildCuts();

    /// <summary>The word characters of <see cref="Cuts"/> found trying every letter pair (the reference its classes of letters are tested against).</summary>
    internal string? PairwiseWordChars() => CutTableBuilder.Build(_prefixMode, _normalizer, _preTokenizer, _model, _added.Tokens, pairwiseLetters: true).WordChars;

    private CutTable BuildCuts()
    {
        var table = CutTableBuilder.Build(_prefixMode, _normalizer, _preTokenizer, _model, _added.Tokens);
        return Interlocked.CompareExchange(ref _cuts, table, null) ?? table;
    }

    /// <summary>The largest end offset of sequence <paramref name="sequenceId"/>'s tokens, overflowing parts included.</summary>
    private static int MaxEnd(RawEncoding e, int sequenceId)
    {
        int max = 0;
        for (int i = 0; i < e.Count; i++)
            if (e.SequenceIds[i] == sequenceId) max = Math.Max(max, e.Offsets[i].End);
        foreach (var o in e.Overflowing) max = Math.Max(max, MaxEnd(o, sequenceId));
        return max;
    }
}
