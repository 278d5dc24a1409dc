namespace Skald.Tokenizers.Decoders;

/// <summary>HF's Sequence decoder.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/decoders/sequence.rs</remarks>
internal sealed record SequenceDecoder(IReadOnlyList<IDecoder> Decoders) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var d in Decoders) tokens = d.DecodeChain(tokens);
        return tokens;
    }
}
