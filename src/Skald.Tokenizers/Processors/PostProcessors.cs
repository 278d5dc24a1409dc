using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Processors;

/// <summary>A post-processor (HF's PostProcessor): adds special tokens around one or two sequences.</summary>
internal interface IPostProcessor
{
    /// <summary>How many tokens processing adds.</summary>
    int AddedTokens(bool isPair);

    /// <summary>HF's process_encodings: returns the encodings to concatenate, in order.</summary>
    List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens);
}

/// <summary>Combination of the sequences (HF's PostProcessor::process and default_process).</summary>
internal static class DefaultProcessing
{
    /// <summary>Concatenates A and B as they are (no post-processor).</summary>
    public static RawEncoding Merge(RawEncoding a, RawEncoding? b)
    {
        if (b is null) return a;
        var r = new RawEncoding();
        r.MergeWith(a);
        r.MergeWith(b);
        return r;
    }

    /// <summary>HF's process: type ids = sequence index, then the processor, then concatenation.</summary>
    public static RawEncoding Process(IPostProcessor processor, RawEncoding a, RawEncoding? b, bool addSpecialTokens)
    {
        var list = new List<RawEncoding> { a };
        if (b is not null) list.Add(b);
        for (int i = 0; i < list.Count; i++) list[i].SetTypeIds(i);
        var result = processor.ProcessEncodings(list, addSpecialTokens);
        var r = new RawEncoding();
        foreach (var e in result) r.MergeWith(e);
        return r;
    }

    /// <summary>A special-token encoding (offsets (0, 0), special mask 1).</summary>
    public static RawEncoding Special(IReadOnlyList<int> ids, IReadOnlyList<string> tokens, int typeId)
    {
        var r = new RawEncoding();
        for (int i = 0; i < ids.Count; i++) r.Add(ids[i], tokens[i], (0, 0), typeId, 1, -1);
        return r;
    }
}

/// <summary>HF's BertProcessing: [CLS] A [SEP] (B [SEP]); B side has type id 1.</summary>
internal sealed record BertProcessing((string Token, int Id) Sep, (string Token, int Id) Cls) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) => isPair ? 3 : 2;

    /// <inheritdoc/>
    public List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return encodings;
        encodings[0].SetTypeIds(0);
        var r = new List<RawEncoding> { DefaultProcessing.Special([Cls.Id], [Cls.Token], 0), encodings[0], DefaultProcessing.Special([Sep.Id], [Sep.Token], 0) };
        if (encodings.Count > 1)
        {
            encodings[1].SetTypeIds(1);
            r.Add(encodings[1]);
            r.Add(DefaultProcessing.Special([Sep.Id], [Sep.Token], 1));
        }
        return r;
    }
}

/// <summary>HF's RobertaProcessing: &lt;s&gt; A &lt;/s&gt; (&lt;/s&gt; B &lt;/s&gt;), optional offset trimming, all type ids 0.</summary>
internal sealed record RobertaProcessing((string Token, int Id) Sep, (string Token, int Id) Cls, bool TrimOffsets, bool AddPrefixSpace) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) => isPair ? 4 : 2;

    /// <inheritdoc/>
    public List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens)
    {
        if (TrimOffsets) foreach (var e in encodings) ByteLevelProcessing.TrimAll(e, AddPrefixSpace);
        foreach (var e in encodings)
        {
            e.SetTypeIds(0);
            foreach (var o in e.Overflowing) o.SetTypeIds(0);
        }
        if (!addSpecialTokens) return encodings;
        var r = new List<RawEncoding> { DefaultProcessing.Special([Cls.Id], [Cls.Token], 0), encodings[0], DefaultProcessing.Special([Sep.Id], [Sep.Token], 0) };
        if (encodings.Count > 1)
        {
            r.Add(DefaultProcessing.Special([Sep.Id], [Sep.Token], 0));
            r.Add(encodings[1]);
            r.Add(DefaultProcessing.Special([Sep.Id], [Sep.Token], 0));
        }
        return r;
    }
}

/// <summary>HF's ByteLevel post-processor: only trims whitespace (Ġ) from offsets when trim_offsets.</summary>
internal sealed record ByteLevelProcessing(bool TrimOffsets, bool AddPrefixSpace) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) => 0;

    /// <inheritdoc/>
    public List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens)
    {
        if (TrimOffsets) foreach (var e in encodings) TrimAll(e, AddPrefixSpace);
        return encodings;
    }

    /// <summary>Trims an encoding and its overflowing parts.</summary>
    internal static void TrimAll(RawEncoding e, bool addPrefixSpace)
    {
        Trim(e, addPrefixSpace);
        foreach (var o in e.Overflowing) Trim(o, addPrefixSpace);
    }

    /// <summary>HF's process_offsets: leading/trailing whitespace (and Ġ) of each token leave its offsets.</summary>
    internal static void Trim(RawEncoding e, bool addPrefixSpace)
    {
        for (int i = 0; i < e.Count; i++)
        {
            string tok = e.Tokens[i];
            if (tok.Length == 0) continue;
            if (!IsSpace(tok[0]) && !IsSpace(tok[^1]) && !char.IsSurrogate(tok[0]) && !char.IsSurrogate(tok[^1])) continue;
            var runes = tok.EnumerateRunes().ToList();
            int lead = 0, trail = 0;
            while (lead < runes.Count && IsSpace(runes[lead].Value)) lead++;
            for (int k = runes.Count - 1; k >= 0 && IsSpace(runes[k].Value); k--) trail++;
            if (lead == 0 && trail == 0) continue;
            var (s, end) = e.Offsets[i];
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

    private static bool IsSpace(int cp) => cp == 0x120 || UnicodeData.IsWhitespace(cp);
}

/// <summary>HF's Sequence post-processor: each processor in turn.</summary>
internal sealed record SequenceProcessing(IReadOnlyList<IPostProcessor> Processors) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) => Processors.Sum(p => p.AddedTokens(isPair));

    /// <inheritdoc/>
    public List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens)
    {
        foreach (var p in Processors) encodings = p.ProcessEncodings(encodings, addSpecialTokens);
        return encodings;
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
    public List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens)
    {
        var result = new List<RawEncoding>();
        foreach (var piece in encodings.Count > 1 ? Pair : Single)
        {
            if (piece.IsSequence)
            {
                int i = piece.Id == "A" ? 0 : 1;
                if (i >= encodings.Count) continue;
                var seq = encodings[i].Clone();
                seq.SetTypeIds(piece.TypeId);
                result.Add(seq);
            }
            else if (addSpecialTokens)
            {
                var (ids, tokens) = SpecialTokens[piece.Id];
                result.Add(DefaultProcessing.Special(ids, tokens, piece.TypeId));
            }
        }
        return result;
    }
}
