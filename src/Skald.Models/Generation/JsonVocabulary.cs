using System.Text.Unicode;

namespace Skald.Models.Generation;

/// <summary>
/// A vocabulary's token bytes prepared for <see cref="JsonConstraint{TAutomaton}"/>, once per tokenizer and shared by its rows: the
/// trie of every token, and apart the tokens that are plain string content (well-formed UTF-8 without a quote, a
/// backslash or a control byte). Inside a string, between characters, every plain token is valid and leaves the state
/// as it was, so a step there copies their set and walks only the trie of the others (quotes, escapes, control and
/// partial-character bytes): most of a vocabulary is plain, and strings are where a model spends most of its tokens.
/// </summary>
internal sealed class JsonVocabulary
{
    /// <summary>The tries of <paramref name="tokenBytes"/>[id] over a vocabulary (the logits) of <paramref name="vocab"/> ids.</summary>
    public JsonVocabulary(IReadOnlyList<byte[]> tokenBytes, int vocab)
    {
        All = new TokenTrie(tokenBytes, vocab);
        Plain = new ulong[(vocab + 63) / 64];
        var others = new byte[Math.Min(tokenBytes.Count, vocab)][];
        for (int id = 0; id < others.Length; id++)
        {
            var bytes = tokenBytes[id];
            if (bytes.Length > 0 && IsPlain(bytes))
            {
                Plain[id >> 6] |= 1UL << id;
                AnyPlain = true;
                others[id] = [];
            }
            else others[id] = bytes;
        }
        Others = new TokenTrie(others, vocab);
    }

    /// <summary>Every token with bytes.</summary>
    public TokenTrie All { get; }

    /// <summary>The tokens with bytes that are not plain string content.</summary>
    public TokenTrie Others { get; }

    /// <summary>The plain string content tokens, a bit per id.</summary>
    public ulong[] Plain { get; }

    /// <summary>Whether any token is plain string content.</summary>
    public bool AnyPlain { get; }

    /// <summary>The vocabulary size (the logits).</summary>
    public int Vocab => All.Vocab;

    private static bool IsPlain(ReadOnlySpan<byte> bytes) =>
        bytes.IndexOfAnyInRange((byte)0, (byte)0x1F) < 0 && bytes.IndexOfAny((byte)'"', (byte)'\\') < 0 && Utf8.IsValid(bytes);
}
