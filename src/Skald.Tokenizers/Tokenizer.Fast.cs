using Skald.Tokenizers.Core;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Processors;

namespace Skald.Tokenizers;

/// <summary>The fused fast paths, taken when the pipeline and the text allow it (same ids and offsets as the general one).</summary>
public sealed partial class Tokenizer
{
    private readonly BertWordPieceFastPath? _fast;
    private readonly ByteLevelBpeFastPath? _byteLevelFast;

    /// <summary>
    /// False makes every text take the general pipeline (tests compare the two). Set it before sharing the instance.
    /// </summary>
    internal bool UseFastPath { get; set; } = true;

    /// <summary>True when this tokenizer's pipeline has a fused fast path.</summary>
    internal bool HasFastPath => _fast is not null || _byteLevelFast is not null;

    /// <summary>True when <paramref name="text"/> would take the fast path (tests check the fast path is really exercised).</summary>
    internal bool TakesFastPath(string text) => TryFastSequence(text, null, out _);

    private static BertWordPieceFastPath? CreateFastPath(INormalizer? normalizer, IPreTokenizer? preTokenizer, IModel model) =>
        preTokenizer is BertPreTokenizer && model is WordPieceModel wp && normalizer is null or BertNormalizer
            ? new BertWordPieceFastPath(normalizer as BertNormalizer, wp)
            : null;

    /// <summary>Runs the fast path on one sequence into the thread's buffer, or returns false (use the general pipeline).</summary>
    private bool TryFastSequence(string text, TruncationOptions? truncation, out TokenBuffer buffer)
    {
        buffer = null!;
        if ((_fast is null && _byteLevelFast is null) || !UseFastPath) return false;
        if (truncation is { MaxLength: > 0, Direction: TruncationDirection.Left }) return false;
        if (_added.MayMatch(text)) return false;
        buffer = TokenBuffer.ForThread();
        int limit = truncation is { MaxLength: > 0 } ? truncation.MaxLength : int.MaxValue;
        return _fast is not null ? _fast.TryEncode(text, limit, buffer) : _byteLevelFast!.TryEncode(text, limit, buffer);
    }

    /// <summary>The buffer's tokens as an internal encoding of sequence <paramref name="sequenceId"/>.</summary>
    private static RawEncoding ToRaw(TokenBuffer buf, int sequenceId)
    {
        var enc = new RawEncoding(buf.Count);
        for (int i = 0; i < buf.Count; i++)
            enc.Add(buf.Ids[i], buf.Values[i], (buf.Starts[i], buf.Ends[i]), sequenceId, 0, sequenceId);
        return enc;
    }

    /// <summary>
    /// One text without truncation through the fast path straight into the public encoding (BERT's [CLS] … [SEP]
    /// or no post-processor), or null when the general pipeline must run.
    /// </summary>
    private Encoding? TryFastEncode(string text, bool addSpecialTokens)
    {
        BertProcessing? bert = _postProcessor as BertProcessing;
        if (_postProcessor is not null && bert is null) return null;
        if (!TryFastSequence(text, null, out var buf)) return null;
        bool specials = addSpecialTokens && bert is not null;
        int lead = specials ? 1 : 0;
        int n = buf.Count + (specials ? 2 : 0);
        var ids = new int[n];
        var tokens = new string[n];
        var offsets = new (int, int)[n];
        var specialMask = new int[n];
        var mask = new int[n];
        Array.Fill(mask, 1);
        buf.Ids.AsSpan(0, buf.Count).CopyTo(ids.AsSpan(lead));
        buf.Values.AsSpan(0, buf.Count).CopyTo(tokens.AsSpan(lead));
        for (int i = 0; i < buf.Count; i++) offsets[lead + i] = (buf.Starts[i], buf.Ends[i]);
        if (specials)
        {
            (tokens[0], ids[0], specialMask[0]) = (bert!.Cls.Token, bert.Cls.Id, 1);
            (tokens[n - 1], ids[n - 1], specialMask[n - 1]) = (bert.Sep.Token, bert.Sep.Id, 1);
        }
        return new Encoding
        {
            Ids = ids,
            Tokens = tokens,
            TypeIds = new int[n],
            AttentionMask = mask,
            Offsets = offsets,
            SpecialTokensMask = specialMask,
        };
    }
}
