using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Processors;

/// <summary>HF's RobertaProcessing: &lt;s&gt; A &lt;/s&gt; (&lt;/s&gt; B &lt;/s&gt;), optional offset trimming, all type ids 0.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/processors/roberta.rs</remarks>
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
