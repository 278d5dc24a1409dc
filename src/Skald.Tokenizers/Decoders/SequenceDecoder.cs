namespace Skald.Tokenizers.Decoders;

/// <summary>HF's Sequence decoder.</summary>
internal sealed record SequenceDecoder(IReadOnlyList<IDecoder> Decoders) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var d in Decoders) tokens = d.DecodeChain(tokens);
        return tokens;
    }
}
