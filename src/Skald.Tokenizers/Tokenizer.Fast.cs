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
    private readonly UnigramFastPath? _unigramFast;
    private readonly List<TemplatePiece>? _fastTemplate;
    private readonly IReadOnlyDictionary<string, (int[] Ids, string[] Tokens)>? _fastSpecials;

    /// <summary>
    /// False makes every text take the general pipeline (tests compare the two). Set it before sharing the instance.
    /// </summary>
    internal bool UseFastPath { get; set; } = true;

    /// <summary>True when this tokenizer's pipeline has a fused fast path.</summary>
    internal bool HasFastPath => _fast is not null || _byteLevelFast is not null || _unigramFast is not null;

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
        if (!HasFastPath || !UseFastPath) return false;
        if (truncation is { MaxLength: > 0, Direction: TruncationDirection.Left }) return false;
        if (_added.MayMatch(text)) return false;
        buffer = TokenBuffer.ForThread();
        int limit = truncation is { MaxLength: > 0 } ? truncation.MaxLength : int.MaxValue;
        return _fast is not null ? _fast.TryEncode(text, limit, buffer)
            : _byteLevelFast is not null ? _byteLevelFast.TryEncode(text, limit, buffer)
            : _unigramFast!.TryEncode(text, limit, buffer);
    }

    /// <summary>The buffer's tokens as an internal encoding of sequence <paramref name="sequenceId"/>.</summary>
    private static RawEncoding ToRaw(TokenBuffer buf, int sequenceId)
    {
        var enc = new RawEncoding(buf.Count) { Truncated = buf.More };
        for (int i = 0; i < buf.Count; i++)
            enc.Add(buf.Ids[i], buf.Values[i], (buf.Starts[i], buf.Ends[i]), sequenceId, 0, sequenceId);
        return enc;
    }

    /// <summary>
    /// The single-sequence template of a post-processor the fast paths can apply themselves (null: none): BERT's
    /// [CLS] $A [SEP], a TemplateProcessing (alone or in a Sequence with offset-keeping ByteLevel processors), or
    /// just $A for no post-processor or an offset-keeping ByteLevel one.
    /// </summary>
    private static (List<TemplatePiece>? Template, IReadOnlyDictionary<string, (int[] Ids, string[] Tokens)>? Specials) SingleTemplate(IPostProcessor? post)
    {
        switch (post)
        {
            case null or ByteLevelProcessing { TrimOffsets: false }:
                return ([new TemplatePiece(true, "A", 0)], new Dictionary<string, (int[], string[])>());
            case BertProcessing bert:
                return ([new(false, "[CLS]", 0), new(true, "A", 0), new(false, "[SEP]", 0)],
                    new Dictionary<string, (int[], string[])> { ["[CLS]"] = ([bert.Cls.Id], [bert.Cls.Token]), ["[SEP]"] = ([bert.Sep.Id], [bert.Sep.Token]) });
            case TemplateProcessing t:
                return t.Single.All(p => p.IsSequence || t.SpecialTokens.ContainsKey(p.Id)) ? ([.. t.Single], t.SpecialTokens) : (null, null);
            case SequenceProcessing seq:
                TemplateProcessing? found = null;
                foreach (var p in seq.Processors)
                {
                    if (p is ByteLevelProcessing { TrimOffsets: false }) continue;
                    if (p is not TemplateProcessing tp || found is not null) return (null, null);
                    found = tp;
                }
                return SingleTemplate(found);
            default:
                return (null, null);
        }
    }

    /// <summary>
    /// One text without truncation through the fast path straight into the public encoding (BERT's [CLS] … [SEP],
    /// a single-sequence template, or no post-processor), or null when the general pipeline must run.
    /// </summary>
    private Encoding? TryFastEncode(string text, bool addSpecialTokens)
    {
        if (_fastTemplate is null) return null;
        if (!TryFastSequence(text, null, out var buf)) return null;
        var specials = _fastSpecials!;
        int n = 0;
        foreach (var piece in _fastTemplate)
        {
            if (piece.IsSequence) n += piece.Id == "A" ? buf.Count : 0;
            else if (addSpecialTokens) n += specials[piece.Id].Ids.Length;
        }
        var ids = new int[n];
        var tokens = new string[n];
        var offsets = new (int, int)[n];
        var typeIds = new int[n];
        var specialMask = new int[n];
        var mask = new int[n];
        Array.Fill(mask, 1);
        int[]? map = CodePointMap(text);
        int at = 0;
        foreach (var piece in _fastTemplate)
        {
            if (piece.IsSequence)
            {
                if (piece.Id != "A") continue;
                buf.Ids.AsSpan(0, buf.Count).CopyTo(ids.AsSpan(at));
                buf.Values.AsSpan(0, buf.Count).CopyTo(tokens.AsSpan(at));
                typeIds.AsSpan(at, buf.Count).Fill(piece.TypeId);
                for (int i = 0; i < buf.Count; i++)
                {
                    int s = buf.Starts[i], e = buf.Ends[i];
                    offsets[at + i] = map is null ? (s, e) : (map[Math.Min(s, map.Length - 1)], map[Math.Min(e, map.Length - 1)]);
                }
                at += buf.Count;
            }
            else if (addSpecialTokens)
            {
                var (sid, stok) = specials[piece.Id];
                for (int k = 0; k < sid.Length; k++, at++)
                    (ids[at], tokens[at], typeIds[at], specialMask[at]) = (sid[k], stok[k], piece.TypeId, 1);
            }
        }
        return new Encoding
        {
            Ids = ids,
            Tokens = tokens,
            TypeIds = typeIds,
            AttentionMask = mask,
            Offsets = offsets,
            SpecialTokensMask = specialMask,
        };
    }
}
