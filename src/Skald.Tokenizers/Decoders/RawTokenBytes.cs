using System.Globalization;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Decoders;

/// <summary>
/// The bytes one vocabulary token stands for in decoded text (<see cref="Tokenizer.TokenBytes(int)"/>), read through the
/// tokenizer's decoder one token at a time: a byte-level token's characters mapped back to their bytes (GPT-2's
/// byte-to-unicode table reversed), a byte-fallback <c>&lt;0xNN&gt;</c> token's byte, and otherwise the token's text as the
/// decoder writes it in running text — the metaspace replacement or a replaced pattern as its replacement, a WordPiece
/// continuation without its prefix, a BPE end-of-word suffix as a space, a CTC pad token as nothing — in UTF-8. Steps
/// that only tidy a whole sequence (Fuse, Strip, WordPiece's cleanup, the strip of a first token's leading space) are
/// left out, so that a token's bytes do not depend on where it stands.
/// </summary>
internal static class RawTokenBytes
{
    /// <summary>The bytes of <paramref name="token"/> (a vocabulary token, not an added one) under <paramref name="decoder"/>.</summary>
    public static byte[] Of(string token, IDecoder? decoder)
    {
        string t = token;
        foreach (var step in Steps(decoder))
        {
            switch (step)
            {
                case ByteLevelDecoder:
                    return ByteLevel(t);
                case ByteFallbackDecoder when ByteToken(t) is byte b:
                    return [b];
                case MetaspaceDecoder m:
                    t = Replace(t, m.Replacement, " ");
                    break;
                case ReplaceDecoder r:
                    t = r.DecodeChain([t])[0];
                    break;
                case WordPieceDecoder w:
                    if (t.StartsWith(w.Prefix, StringComparison.Ordinal)) t = t[w.Prefix.Length..];
                    break;
                case BpeDecoder bpe:
                    t = Replace(t, bpe.Suffix, " ");
                    break;
                case CtcDecoder ctc:
                    t = Replace(Replace(t, ctc.PadToken, ""), ctc.WordDelimiterToken, " ");
                    break;
            }
        }
        return System.Text.Encoding.UTF8.GetBytes(t);
    }

    // Every occurrence of a non-empty `what` replaced (an empty one, which a tokenizer.json may hold, replaces nothing).
    private static string Replace(string t, string what, string with) =>
        what.Length == 0 ? t : t.Replace(what, with, StringComparison.Ordinal);

    // The decoders in the order they run (a Sequence flattened).
    private static IEnumerable<IDecoder> Steps(IDecoder? decoder)
    {
        if (decoder is SequenceDecoder sequence)
        {
            foreach (var inner in sequence.Decoders)
                foreach (var step in Steps(inner)) yield return step;
        }
        else if (decoder is not null) yield return decoder;
    }

    // As the ByteLevel decoder: every character back to its byte, or the token's UTF-8 when one is not in the alphabet.
    private static byte[] ByteLevel(string t)
    {
        var bytes = new byte[t.Length];
        for (int i = 0; i < t.Length; i++)
        {
            int b = ByteLevelAlphabet.ByteOf(t[i]);
            if (b < 0) return System.Text.Encoding.UTF8.GetBytes(t);
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    // The byte of a "<0xNN>" token, as the ByteFallback decoder reads it.
    private static byte? ByteToken(string t) =>
        t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
        byte.TryParse(t.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b) ? b : null;
}
