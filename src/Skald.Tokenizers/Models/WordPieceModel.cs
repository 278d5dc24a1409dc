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
    private readonly string _prefix;
    private readonly int _maxChars;

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
    }

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
        if (TextUtil.CodePoints(text) > _maxChars)
        {
            output.Add(Unk(text.Length));
            return;
        }
        int first = output.Count;
        int need = text.Length + _prefix.Length;
        Span<char> buf = need <= 256 ? stackalloc char[256] : new char[need];
        _prefix.AsSpan().CopyTo(buf);
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
                    text[start..end].CopyTo(buf[_prefix.Length..]);
                    sub = buf[..(_prefix.Length + end - start)];
                }
                else
                {
                    sub = text[..end];
                }
                if (_lookup.TryGetValue(sub, out string? key, out int id))
                {
                    output.Add(new Token(id, key, start, end));
                    found = true;
                    break;
                }
                end -= end - 2 >= start && char.IsLowSurrogate(text[end - 1]) && char.IsHighSurrogate(text[end - 2]) ? 2 : 1;
            }
            if (!found)
            {
                output.RemoveRange(first, output.Count - first);
                output.Add(Unk(text.Length));
                return;
            }
            start = end;
        }
    }

    private Token Unk(int length)
    {
        if (!_vocab.TryGetValue(_unkToken, out int id))
            throw new TokenizerException($"WordPiece: unk_token \"{_unkToken}\" is not in the vocabulary");
        return new Token(id, _unkToken, 0, length);
    }
}
