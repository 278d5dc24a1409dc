namespace Skald.Tokenizers.Decoders;

/// <summary>HF's Fuse decoder: all tokens into one string.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/decoders/fuse.rs</remarks>
internal sealed record FuseDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}
