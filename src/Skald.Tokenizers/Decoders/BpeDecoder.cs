namespace Skald.Tokenizers.Decoders;

/// <summary>HF's BPEDecoder: the end-of-word suffix becomes a space (nothing on the last token).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/decoders/bpe.rs</remarks>
internal sealed record BpeDecoder(string Suffix) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens) =>
        tokens.Select((t, i) => t.Replace(Suffix, i == tokens.Count - 1 ? "" : " ")).ToList();
}
