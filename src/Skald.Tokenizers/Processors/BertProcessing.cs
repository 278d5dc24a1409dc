using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Processors;

/// <summary>HF's BertProcessing: [CLS] A [SEP] (B [SEP]); B side has type id 1.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/processors/bert.rs</remarks>
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
