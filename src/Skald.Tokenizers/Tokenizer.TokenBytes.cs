namespace Skald.Tokenizers;

/// <summary>The bytes each token adds to decoded text, for decoding under a grammar constraint.</summary>
public sealed partial class Tokenizer
{
    /// <summary>
    /// The UTF-8 bytes each id (0 to <see cref="IdBound"/> − 1) adds to the decoded text when it follows other tokens,
    /// as a grammar-constrained decoder checks them: <see cref="TokenBytes(int)"/> of each id (a byte-level token's raw
    /// bytes, which may be part of a UTF-8 character, a byte-fallback token's byte, a SentencePiece ▁ as its space),
    /// empty for special tokens (which <see cref="Decode"/> skips) and ids without a token. A decoder that rewrites
    /// text across tokens is not followed: a sequence's first token loses a leading space (Metaspace, Strip), and
    /// WordPiece's cleanup joins a space and the punctuation after it. Computed afresh on each call: keep the result.
    /// </summary>
    public byte[][] TokenBytes()
    {
        var result = new byte[IdBound][];
        for (int id = 0; id < result.Length; id++)
            result[id] = _added.TryGetToken(id, out var added) && added!.Special ? [] : TokenBytes(id) ?? [];
        return result;
    }
}
