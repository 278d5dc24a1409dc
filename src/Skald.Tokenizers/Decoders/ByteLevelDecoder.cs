using System.Text;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Decoders;

/// <summary>HF's ByteLevel decoder: byte-level characters back to bytes, then lossy UTF-8.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/byte_level.rs</remarks>
internal sealed record ByteLevelDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            bool all = true;
            foreach (char c in t) if (ByteLevelAlphabet.ByteOf(c) < 0) { all = false; break; }
            if (all) foreach (char c in t) bytes.Add((byte)ByteLevelAlphabet.ByteOf(c));
            else bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(t));
        }
        return [System.Text.Encoding.UTF8.GetString(bytes.ToArray())];
    }
}
