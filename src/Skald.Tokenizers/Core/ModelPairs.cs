using Skald.Tokenizers.Models;

namespace Skald.Tokenizers.Core;

/// <summary>
/// The character pairs a BPE or Unigram vocabulary holds side by side, to tell where no token can span a cut
/// (<see cref="CutTableBuilder"/>). Byte-level vocabularies are read in their byte alphabet.
/// </summary>
internal sealed class ModelPairs
{
    private readonly IModel _model;
    private readonly bool _byteLevel;
    private readonly HashSet<int> _pairs = [];
    private readonly HashSet<char> _afterIdeograph = [], _beforeIdeograph = [];
    private readonly bool _ideographPair;
    private bool? _allIdeographs;

    private ModelPairs(IModel model, bool byteLevel)
    {
        _model = model;
        _byteLevel = byteLevel;
        for (int id = 0; id < model.IdBound; id++)
        {
            if (model.IdToToken(id) is not { } t) continue;
            for (int i = 1; i < t.Length; i++)
            {
                char a = t[i - 1], b = t[i];
                _pairs.Add(a << 16 | b);
                bool ia = IsIdeograph(a), ib = IsIdeograph(b);
                if (ia) _afterIdeograph.Add(b);
                if (ib) _beforeIdeograph.Add(a);
                if (ia && ib) _ideographPair = true;
            }
        }
    }

    /// <summary>The pairs of <paramref name="model"/>, or null for a model whose tokens are not merges or pieces of the text (WordPiece, WordLevel, BPE with dropout, a subword prefix or a word suffix).</summary>
    public static ModelPairs? For(IModel model, bool byteLevel) => model switch
    {
        BpeModel { Options: { Dropout: null or 0, ContinuingSubwordPrefix: null, EndOfWordSuffix: null } } => new ModelPairs(model, byteLevel),
        UnigramModel when !byteLevel => new ModelPairs(model, false),
        _ => null,
    };

    /// <summary>
    /// True when no token can span a cut between <paramref name="l"/> and <paramref name="r"/> (normalized characters;
    /// U+4E00 stands for every ideograph): both are tokens of their own and no token holds them side by side.
    /// </summary>
    public bool Breaks(char l, char r)
    {
        if (_byteLevel)
        {
            foreach (char c in (char[])[l, r])
                foreach (byte b in Bytes(c, BytePart.All))
                    if (_model.TokenToId(ByteLevelAlphabet.ByteStrings[b]) is null) return false;
            foreach (byte a in Bytes(l, BytePart.Last))
                foreach (byte b in Bytes(r, BytePart.First))
                    if (_pairs.Contains(ByteLevelAlphabet.ByteToChar[a] << 16 | ByteLevelAlphabet.ByteToChar[b])) return false;
            return true;
        }
        bool il = IsIdeograph(l), ir = IsIdeograph(r);
        if ((il || ir) && !AllIdeographsKnown()) return false;
        if (!il && _model.TokenToId(l.ToString()) is null || !ir && _model.TokenToId(r.ToString()) is null) return false;
        if (il && ir) return !_ideographPair;
        if (il) return !_afterIdeograph.Contains(r);
        if (ir) return !_beforeIdeograph.Contains(l);
        return !_pairs.Contains(l << 16 | r);
    }

    private bool AllIdeographsKnown() => _allIdeographs ??= EveryIdeographIsAToken();

    private bool EveryIdeographIsAToken()
    {
        for (char c = '\u4E00'; c <= '\u9FA5'; c++)
            if (_model.TokenToId(c.ToString()) is null) return false;
        return true;
    }

    /// <summary>
    /// The UTF-8 bytes of <paramref name="c"/> (all, the first or the last); for an ideograph, every byte any ideograph
    /// has there (lead bytes E4..E9, continuation bytes 80..BF).
    /// </summary>
    private static IEnumerable<byte> Bytes(char c, BytePart part)
    {
        if (IsIdeograph(c))
        {
            if (part != BytePart.Last)
                for (int b = 0xE4; b <= 0xE9; b++) yield return (byte)b;
            if (part != BytePart.First)
                for (int b = 0x80; b <= 0xBF; b++) yield return (byte)b;
            yield break;
        }
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(c.ToString());
        if (part == BytePart.All)
            foreach (byte b in bytes) yield return b;
        else
            yield return part == BytePart.First ? bytes[0] : bytes[^1];
    }

    private static bool IsIdeograph(char c) => c is >= '\u4E00' and <= '\u9FA5';
}
