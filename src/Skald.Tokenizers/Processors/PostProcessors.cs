using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Processors;

/// <summary>A post-processor (HF's PostProcessor): adds special tokens around one or two sequences.</summary>
internal interface IPostProcessor
{
    /// <summary>How many tokens <see cref="Process"/> adds.</summary>
    int AddedTokens(bool isPair);

    /// <summary>Combines the sequence encodings; special tokens only when <paramref name="addSpecialTokens"/>.</summary>
    RawEncoding Process(RawEncoding a, RawEncoding? b, bool addSpecialTokens);
}

/// <summary>Default combination without special tokens (also HF's behaviour with no post-processor).</summary>
internal static class DefaultProcessing
{
    /// <summary>Concatenates A and B as they are.</summary>
    public static RawEncoding Merge(RawEncoding a, RawEncoding? b)
    {
        if (b is null) return a;
        var r = new RawEncoding();
        r.Append(a);
        r.Append(b);
        return r;
    }
}

/// <summary>HF's BertProcessing: [CLS] A [SEP] (B [SEP]); B side has type id 1.</summary>
internal sealed record BertProcessing((string Token, int Id) Sep, (string Token, int Id) Cls) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) => isPair ? 3 : 2;

    /// <inheritdoc/>
    public RawEncoding Process(RawEncoding a, RawEncoding? b, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return DefaultProcessing.Merge(a, b);
        var r = new RawEncoding();
        r.Add(Cls.Id, Cls.Token, (0, 0), 0, 1, -1);
        r.Append(a, 0);
        r.Add(Sep.Id, Sep.Token, (0, 0), 0, 1, -1);
        if (b is not null)
        {
            r.Append(b, 1);
            r.Add(Sep.Id, Sep.Token, (0, 0), 1, 1, -1);
        }
        return r;
    }
}

/// <summary>HF's RobertaProcessing: &lt;s&gt; A &lt;/s&gt; (&lt;/s&gt; B &lt;/s&gt;), optional offset trimming.</summary>
internal sealed record RobertaProcessing((string Token, int Id) Sep, (string Token, int Id) Cls, bool TrimOffsets, bool AddPrefixSpace) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) => isPair ? 4 : 2;

    /// <summary>Trims leading/trailing whitespace (and Ġ) of each token from its offsets, as HF does.</summary>
    internal static void Trim(RawEncoding e, bool addPrefixSpace)
    {
        for (int i = 0; i < e.Count; i++)
        {
            string tok = e.Tokens[i];
            var (s, end) = e.Offsets[i];
            int lead = 0, trail = 0;
            foreach (var r in tok.EnumerateRunes())
            {
                if (r.Value == 0x120 || UnicodeData.IsWhitespace(r.Value)) lead++;
                else break;
            }
            var runes = tok.EnumerateRunes().ToList();
            for (int k = runes.Count - 1; k >= 0; k--)
            {
                if (runes[k].Value == 0x120 || UnicodeData.IsWhitespace(runes[k].Value)) trail++;
                else break;
            }
            if (lead == 0 && trail == 0) continue;
            if (lead > 0)
            {
                bool isFirst = i == 0 || s == 0;
                if (isFirst && addPrefixSpace && lead == 1) lead = 0;
                s = Math.Min(s + lead, end);
            }
            if (trail > 0 && end >= trail) end = Math.Max(end - trail, s);
            e.Offsets[i] = (s, end);
        }
    }

    /// <inheritdoc/>
    public RawEncoding Process(RawEncoding a, RawEncoding? b, bool addSpecialTokens)
    {
        if (TrimOffsets)
        {
            Trim(a, AddPrefixSpace);
            if (b is not null) Trim(b, AddPrefixSpace);
        }
        if (!addSpecialTokens) return DefaultProcessing.Merge(a, b);
        var r = new RawEncoding();
        r.Add(Cls.Id, Cls.Token, (0, 0), 0, 1, -1);
        r.Append(a, 0);
        r.Add(Sep.Id, Sep.Token, (0, 0), 0, 1, -1);
        if (b is not null)
        {
            r.Add(Sep.Id, Sep.Token, (0, 0), 0, 1, -1);
            r.Append(b, 0);
            r.Add(Sep.Id, Sep.Token, (0, 0), 0, 1, -1);
        }
        return r;
    }
}

/// <summary>One piece of a template: a special token or a sequence (A / B), with its type id.</summary>
internal sealed record TemplatePiece(bool IsSequence, string Id, int TypeId);

/// <summary>HF's TemplateProcessing.</summary>
internal sealed record TemplateProcessing(
    IReadOnlyList<TemplatePiece> Single,
    IReadOnlyList<TemplatePiece> Pair,
    IReadOnlyDictionary<string, (int[] Ids, string[] Tokens)> SpecialTokens) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) =>
        (isPair ? Pair : Single).Where(p => !p.IsSequence).Sum(p => SpecialTokens[p.Id].Ids.Length);

    /// <inheritdoc/>
    public RawEncoding Process(RawEncoding a, RawEncoding? b, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return DefaultProcessing.Merge(a, b);
        var r = new RawEncoding();
        foreach (var piece in b is null ? Single : Pair)
        {
            if (piece.IsSequence)
            {
                var seq = piece.Id == "A" ? a : b;
                if (seq is not null) r.Append(seq, piece.TypeId);
                continue;
            }
            var (ids, tokens) = SpecialTokens[piece.Id];
            for (int i = 0; i < ids.Length; i++) r.Add(ids[i], tokens[i], (0, 0), piece.TypeId, 1, -1);
        }
        return r;
    }
}
