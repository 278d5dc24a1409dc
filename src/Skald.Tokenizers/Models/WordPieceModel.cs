using Skald.Tokenizers.Core;
using Skald.Tokenizers.Normalizers;

namespace Skald.Tokenizers.Models;

/// <summary>HF's WordPiece: greedy longest-match-first with a continuing-subword prefix.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/wordpiece/mod.rs</remarks>
internal sealed class WordPieceModel : IModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string[] _byId;
    private readonly string _unkToken;

    /// <inheritdoc/>
    public string? UnkToken => _unkToken;
    private readonly string _prefix;
    private readonly int _maxChars;
    private readonly VocabularyTrie _trie;

    /// <summary>Creates the model; <paramref name="vocab"/> maps token to id.</summary>
    public WordPieceModel(Dictionary<string, int> vocab, string unkToken, string continuingSubwordPrefix, int maxInputCharsPerWord)
    {
        _vocab = vocab;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _unkToken = unkToken;
        _prefix = continuingSubwordPrefix;
        _maxChars = maxInputCharsPerWord;
        int max = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        _byId = new string[max];
        foreach (var (tok, id) in vocab) if (id >= 0) _byId[id] = tok;
        _trie = new VocabularyTrie(vocab, continuingSubwordPrefix);
    }

    /// <summary>HF's max_input_chars_per_word: a word of more code points becomes one unknown token.</summary>
    public int MaxInputCharsPerWord => _maxChars;

    /// <inheritdoc/>
    public string Kind => "WordPiece";

    /// <inheritdoc/>
    public int VocabSize => _vocab.Count;

    /// <inheritdoc/>
    public int IdBound => _byId.Length;

    /// <inheritdoc/>
    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    /// <inheritdoc/>
    public string? IdToToken(int id) => (uint)id < (uint)_byId.Length ? _byId[id] : null;

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> text, List<Token> output)
    {
        var buf = TokenBuffer.ForThread();
        int first = buf.Count;
        TokenizeInto(text, buf);
        for (int i = first; i < buf.Count; i++) output.Add(new Token(buf.Ids[i], buf.Values[i], buf.Starts[i], buf.Ends[i]));
        buf.Count = first;
    }

    /// <summary>
    /// Appends the tokens of one word to <paramref name="buf"/> (offsets in UTF-16 units of <paramref name="text"/>):
    /// greedy longest match first, as HF's loop over ever shorter substrings, found by one walk of the vocabulary trie
    /// per piece (<see cref="TokenizeByLookup"/> is HF's loop itself, kept as the reference the tests compare with).
    /// </summary>
    public void TokenizeInto(ReadOnlySpan<char> text, TokenBuffer buf)
    {
        if (text.Length > _maxChars && TextUtil.CodePoints(text) > _maxChars)
        {
            AddUnk(buf, text.Length);
            return;
        }
        int first = buf.Count;
        int start = 0;
        while (start < text.Length)
        {
            int root = start > 0 ? _trie.ContinuationRoot : 0;
            int id = -1;
            string? token = null;
            int end = root < 0 ? -1 : _trie.Longest(text, start, root, out id, out token);
            if (end < 0)
            {
                buf.Count = first;
                AddUnk(buf, text.Length);
                return;
            }
            buf.Add(id, token!, start, end);
            start = end;
        }
    }

    /// <summary>HF's loop: for each piece, look up ever shorter substrings (prefixed after the first) until one is in the vocabulary.</summary>
    internal void TokenizeByLookup(ReadOnlySpan<char> text, TokenBuffer buf)
    {
        if (TextUtil.CodePoints(text) > _maxChars)
        {
            AddUnk(buf, text.Length);
            return;
        }
        int first = buf.Count;
        char[] key = buf.KeyScratch(text.Length + _prefix.Length);
        _prefix.AsSpan().CopyTo(key);
        int start = 0;
        while (start < text.Length)
        {
            int end = text.Length;
            bool found = false;
            while (start < end)
            {
                scoped ReadOnlySpan<char> sub;
                if (start > 0)
                {
                    text[start..end].CopyTo(key.AsSpan(_prefix.Length));
                    sub = key.AsSpan(0, _prefix.Length + end - start);
                }
                else
                {
                    sub = text[..end];
                }
                if (_lookup.TryGetValue(sub, out string? k, out int id))
                {
                    buf.Add(id, k, start, end);
                    found = true;
                    break;
                }
                end -= end - 2 >= start && char.IsLowSurrogate(text[end - 1]) && char.IsHighSurrogate(text[end - 2]) ? 2 : 1;
            }
            if (!found)
            {
                buf.Count = first;
                AddUnk(buf, text.Length);
                return;
            }
            start = end;
        }
    }

    private void AddUnk(TokenBuffer buf, int length)
    {
        var t = Unk(length);
        buf.Add(t.Id, t.Value, t.Start, t.End);
    }

    private Token Unk(int length)
    {
        if (!_vocab.TryGetValue(_unkToken, out int id))
            throw new TokenizerException($"WordPiece: unk_token \"{_unkToken}\" is not in the vocabulary");
        return new Token(id, _unkToken, 0, length);
    }
}
