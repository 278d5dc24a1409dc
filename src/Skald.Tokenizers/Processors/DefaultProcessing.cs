using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Processors;

/// <summary>Combination of the sequences (HF's PostProcessor::process and default_process).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/mod.rs</remarks>
internal static class DefaultProcessing
{
    /// <summary>Concatenates A and B as they are (no post-processor).</summary>
    public static RawEncoding Merge(RawEncoding a, RawEncoding? b)
    {
        if (b is null) return a;
        var r = new RawEncoding(a.Count + b.Count);
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
        int n = 0;
        foreach (var e in result) n += e.Count;
        var r = new RawEncoding(n);
        foreach (var e in result) r.MergeWith(e);
        return r;
    }

    /// <summary>A special-token encoding (offsets (0, 0), special mask 1).</summary>
    public static RawEncoding Special(IReadOnlyList<int> ids, IReadOnlyList<string> tokens, int typeId)
    {
        var r = new RawEncoding(ids.Count);
        for (int i = 0; i < ids.Count; i++) r.Add(ids[i], tokens[i], (0, 0), typeId, 1, -1);
        return r;
    }
}
