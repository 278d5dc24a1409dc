namespace Skald.Tokenizers.Decoders;

/// <summary>HF's Fuse decoder: all tokens into one string.</summary>
internal sealed record FuseDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}
