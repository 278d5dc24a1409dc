using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Processors;

/// <summary>HF's Sequence post-processor: each processor in turn.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/processors/sequence.rs</remarks>
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
