using System.Globalization;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Decoders;

namespace Skald.Tokenizers;

/// <summary>The bytes each token adds to decoded text, for decoding under a grammar constraint.</summary>
public sealed partial class Tokenizer
{
    /// <summary>
    /// The UTF-8 bytes each id (0 to <see cref="IdBound"/> − 1) adds to the decoded text when it follows other tokens,
    /// as a grammar-constrained decoder checks them: a byte-level BPE token's raw bytes (which may be part of a UTF-8
    /// character, as <see cref="Decode"/> joins them), a byte-fallback <c>&lt;0xXX&gt;</c> token's byte, and any other
    /// token's text after another token (so a SentencePiece ▁ is its space, a WordPiece word its leading space); empty
    /// for special tokens (which <see cref="Decode"/> skips) and ids without a token. A decoder that rewrites text
    /// across tokens is not followed: a sequence's first token loses a leading space (Metaspace, Strip), and WordPiece's
    /// cleanup joins a space and the punctuation after it; byte-level BPE and SentencePiece decoders change nothing
    /// else. Computed afresh on each call (one decode per id): keep the result.
    /// </summary>
    public byte[][] TokenBytes()
    {
        bool byteLevel = Uses<ByteLevelDecoder>(_decoder), byteFallback = Uses<ByteFallbackDecoder>(_decoder);
        // A plain token to decode each id after, so that it decodes as a token inside a text does.
        int[] anchorIds = Encode("a", addSpecialTokens: false).Ids;
        int? anchor = anchorIds.Length > 0 ? anchorIds[^1] : null;
        string anchorText = anchor is int a ? Decode([a]) : "";
        var result = new byte[IdBound][];
        for (int id = 0; id < result.Length; id++)
        {
            string? token = IdToToken(id);
            if (token is null || (_added.TryGetToken(id, out var added) && added!.Special))
            {
                result[id] = [];
                continue;
            }
            if (byteLevel && RawBytes(token) is { } raw) result[id] = raw;
            else if (byteFallback && FallbackByte(token) is byte b) result[id] = [b];
            else
            {
                string text = Decode([id]);
                if (anchor is int at && Decode([at, id]) is var joined && joined.StartsWith(anchorText, StringComparison.Ordinal))
                    text = joined[anchorText.Length..];
                result[id] = System.Text.Encoding.UTF8.GetBytes(text);
            }
        }
        return result;
    }

    private static bool Uses<T>(IDecoder? decoder) => decoder switch
    {
        T => true,
        SequenceDecoder s => s.Decoders.Any(Uses<T>),
        _ => false,
    };

    // A byte-level token's bytes, or null when one of its characters is outside the byte alphabet (an added token's text).
    private static byte[]? RawBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            int b = ByteLevelAlphabet.ByteOf(token[i]);
            if (b < 0) return null;
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    private static byte? FallbackByte(string token) =>
        token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>' &&
        byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b) ? b : null;
}
