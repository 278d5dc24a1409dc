using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Models;

/// <summary>HF's WordLevel model: each piece is looked up whole, else the unk token.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/wordlevel/mod.rs</remarks>
internal sealed class WordLevelModel : IModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string?[] _byId;

    /// <summary>Creates the model.</summary>
    public WordLevelModel(Dictionary<string, int> vocab, string unkToken)
    {
        _vocab = vocab;
        UnkToken = unkToken;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        int max = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        _byId = new string?[max];
        foreach (var (tok, id) in vocab) if (id >= 0) _byId[id] = tok;
    }

    /// <summary>The unknown token.</summary>
    public string UnkToken { get; }

    /// <summary>The vocabulary.</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <inheritdoc/>
    public string Kind => "WordLevel";

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
        if (text.Length == 0) return;
        if (_lookup.TryGetValue(text, out string? key, out int id))
        {
            output.Add(new Token(id, key, 0, text.Length));
            return;
        }
        if (!_vocab.TryGetValue(UnkToken, out int unk))
            throw new TokenizerException($"WordLevel: unk_token \"{UnkToken}\" is not in the vocabulary");
        output.Add(new Token(unk, UnkToken, 0, text.Length));
    }
}
