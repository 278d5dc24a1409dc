namespace Skald.Tokenizers.Decoders;

/// <summary>A decoder (HF's Decoder): turns tokens back into text pieces (decode_chain).</summary>
internal interface IDecoder
{
    /// <summary>HF's decode_chain.</summary>
    List<string> DecodeChain(List<string> tokens);
}
