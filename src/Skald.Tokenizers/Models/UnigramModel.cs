using System.Text;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Models;

/// <summary>
/// HF's Unigram model: Viterbi best segmentation over the vocabulary pieces (HF's optimized
/// encoder: ties keep the first candidate, unknown chars score min_score - 10 and consecutive
/// unknowns are fused), with optional byte fallback (&lt;0xXX&gt; pieces).
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/unigram/model.rs</remarks>
internal sealed class UnigramModel : IModel
{
    /// <inheritdoc/>
    public string? UnkToken => null; // HF's Unigram has unk_id, not unk_token

    private const double UnkPenalty = 10.0;
    private readonly (string Piece, double Score)[] _vocab;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly VocabularyTrie _trie;
    private readonly int? _unkId;
    private readonly bool _byteFallback;
    private readonly double _minScore = double.PositiveInfinity;

    /// <summary>Creates the model from (piece, score) pairs.</summary>
    public UnigramModel((string Piece, double Score)[] vocab, int? unkId, bool byteFallback)
    {
        _vocab = vocab;
        _unkId = unkId;
        _byteFallback = byteFallback;
        _ids = new Dictionary<string, int>(vocab.Length);
        for (int i = 0; i < vocab.Length; i++)
        {
            _ids[vocab[i].Piece] = i;
            if (vocab[i].Score < _minScore) _minScore = vocab[i].Score;
        }
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _trie = new VocabularyTrie(_ids, "");
    }

    /// <inheritdoc/>
    public string Kind => "Unigram";

    /// <inheritdoc/>
    public int VocabSize => _vocab.Length;

    /// <inheritdoc/>
    public int IdBound => _vocab.Length;

    /// <inheritdoc/>
    public int? TokenToId(string token) => _ids.TryGetValue(token, out int id) ? id : null;

    /// <inheritdoc/>
    public string? IdToToken(int id) => (uint)id < (uint)_vocab.Length ? _vocab[id].Piece : null;

    /// <summary>True when unknown pieces become &lt;0xXX&gt; byte tokens.</summary>
    public bool ByteFallback => _byteFallback;

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> text, List<Token> output)
    {
        if (text.Length == 0) return;
        var pieces = Segment(text);
        for (int k = pieces.Count - 1; k >= 0; k--)
        {
            var (s, e) = pieces[k];
            var span = text[s..e];
            if (_lookup.TryGetValue(span, out string? key, out int id))
            {
                output.Add(new Token(id, key, s, e));
                continue;
            }
            if (_byteFallback && TryByteFallback(span, s, e, output)) continue;
            output.Add(new Token(UnkIdOrThrow(), span.ToString(), s, e));
        }
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/> (non-empty) straight into <paramref name="buf"/> with offsets relative to
    /// the text, exactly as <see cref="Tokenize"/> would; only for a model without byte fallback.
    /// </summary>
    internal void TokenizeInto(ReadOnlySpan<char> text, TokenBuffer buf)
    {
        var pieces = Segment(text);
        for (int k = pieces.Count - 1; k >= 0; k--)
        {
            var (s, e) = pieces[k];
            var span = text[s..e];
            if (_lookup.TryGetValue(span, out string? key, out int id)) buf.Add(id, key, s, e);
            else buf.Add(UnkIdOrThrow(), span.ToString(), s, e);
        }
    }

    private int UnkIdOrThrow() => _unkId ?? throw new TokenizerException("Unigram: encountered an unknown token but unk_id is missing");

    /// <summary>
    /// Viterbi over the thread's reused lattice arrays, then the backtrack (consecutive unknowns fused): the best
    /// pieces [start, end) of the non-empty <paramref name="text"/>, last piece first, in the thread's reused list.
    /// </summary>
    private List<(int Start, int End)> Segment(ReadOnlySpan<char> text)
    {
        int size = text.Length;
        double unkScore = _minScore - UnkPenalty;
        var scratch = t_scratch ??= new Scratch();
        scratch.Ensure(size + 1);
        var bestScore = scratch.BestScore;
        var startsAt = scratch.StartsAt;
        var bestId = scratch.BestId;
        bestScore[0] = 0;
        startsAt.AsSpan(0, size + 1).Fill(-1);
        int pos = 0;
        while (pos < size)
        {
            double here = bestScore[pos];
            int mblen = char.IsHighSurrogate(text[pos]) && pos + 1 < size && char.IsLowSurrogate(text[pos + 1]) ? 2 : 1;
            bool hasSingle = false;
            int node = 0;
            for (int i = pos; i < size; i++)
            {
                node = _trie.Next(node, text[i]);
                if (node < 0) break;
                int id = _trie.TerminalId(node);
                if (id < 0) continue;
                int keyPos = i + 1;
                double cand = _vocab[id].Score + here;
                if (startsAt[keyPos] < 0 || cand > bestScore[keyPos])
                {
                    bestScore[keyPos] = cand;
                    startsAt[keyPos] = pos;
                    bestId[keyPos] = id;
                }
                if (keyPos - pos == mblen) hasSingle = true;
            }
            if (!hasSingle)
            {
                int target = pos + mblen;
                double cand = unkScore + here;
                if (startsAt[target] < 0 || cand > bestScore[target])
                {
                    bestScore[target] = cand;
                    startsAt[target] = pos;
                    bestId[target] = UnkIdOrThrow();
                }
            }
            pos += mblen;
        }

        // Backtrack, fusing consecutive unknown pieces (collected last first).
        var pieces = scratch.Pieces;
        pieces.Clear();
        int endsAt = size;
        int fuseEnd = -1;
        while (endsAt > 0)
        {
            int s = startsAt[endsAt];
            bool isUnk = _unkId is int u && bestId[endsAt] == u;
            if (isUnk)
            {
                if (fuseEnd < 0) fuseEnd = endsAt;
            }
            else
            {
                if (fuseEnd >= 0)
                {
                    pieces.Add((endsAt, fuseEnd));
                    fuseEnd = -1;
                }
                pieces.Add((s, endsAt));
            }
            endsAt = s;
        }
        if (fuseEnd >= 0) pieces.Add((0, fuseEnd));
        return pieces;
    }

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>Per-thread lattice arrays (only [0, size] is used; startsAt is reset and bestScore[0] zeroed per word).</summary>
    private sealed class Scratch
    {
        public double[] BestScore = new double[64];
        public int[] StartsAt = new int[64];
        public int[] BestId = new int[64];
        public readonly List<(int Start, int End)> Pieces = new(32);

        public void Ensure(int n)
        {
            if (n <= StartsAt.Length) return;
            int cap = Math.Max(n, StartsAt.Length * 2);
            BestScore = new double[cap];
            StartsAt = new int[cap];
            BestId = new int[cap];
        }
    }

    private bool TryByteFallback(ReadOnlySpan<char> span, int s, int e, List<Token> output)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(span.ToArray());
        var tokens = new List<Token>(bytes.Length);
        foreach (byte b in bytes)
        {
            string piece = $"<0x{b:X2}>";
            if (!_ids.TryGetValue(piece, out int id)) return false;
            tokens.Add(new Token(id, piece, s, e));
        }
        output.AddRange(tokens);
        return true;
    }
}
