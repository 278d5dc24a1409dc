using System.Numerics;
using System.Runtime.CompilerServices;

namespace Skald.Tokenizers.Models;

/// <summary>
/// A char trie over a vocabulary. WordPiece's greedy longest-match-first walks the text from a position once to find
/// the longest entry starting there (what HF finds by trying ever shorter substrings), one table probe per char
/// instead of one string hash per candidate; continuation pieces are the entries under the prefix's node ("##").
/// Unigram's lattice walks it to find every entry starting at a position. Edges live in one open-addressing table
/// keyed by (node, char).
/// </summary>
internal sealed class VocabularyTrie
{
    private readonly long[] _keys;   // (node << 16 | char) + 1; 0 = empty slot
    private readonly int[] _targets;
    private readonly int _mask;
    private readonly int _shift;
    private readonly int[] _ids;     // terminal id per node, -1 when the node ends no entry
    private readonly string?[] _tokens;

    /// <summary>Builds the trie of <paramref name="vocab"/>; <see cref="ContinuationRoot"/> is the node of <paramref name="prefix"/>.</summary>
    public VocabularyTrie(IReadOnlyDictionary<string, int> vocab, string prefix)
    {
        var edges = new Dictionary<long, int>();
        var ids = new List<int> { -1 };
        var tokens = new List<string?> { null };
        foreach (var (token, id) in vocab)
        {
            int node = 0;
            foreach (char c in token)
            {
                long key = ((long)node << 16) | c;
                if (!edges.TryGetValue(key, out int next))
                {
                    next = ids.Count;
                    ids.Add(-1);
                    tokens.Add(null);
                    edges[key] = next;
                }
                node = next;
            }
            ids[node] = id;
            tokens[node] = token;
        }
        int cap = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, edges.Count * 2));
        _mask = cap - 1;
        _shift = 64 - BitOperations.Log2((uint)cap);
        _keys = new long[cap];
        _targets = new int[cap];
        foreach (var (key, target) in edges)
        {
            int slot = Slot(key + 1);
            while (_keys[slot] != 0) slot = (slot + 1) & _mask;
            _keys[slot] = key + 1;
            _targets[slot] = target;
        }
        _ids = [.. ids];
        _tokens = [.. tokens];
        int root = 0;
        foreach (char c in prefix)
        {
            root = Next(root, c);
            if (root < 0) break;
        }
        ContinuationRoot = root;
    }

    /// <summary>The node of the continuing-subword prefix, or -1 when no entry starts with it.</summary>
    public int ContinuationRoot { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> _shift) & _mask;

    /// <summary>The id of the entry that ends at <paramref name="node"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TerminalId(int node) => _ids[node];

    /// <summary>The child of <paramref name="node"/> by <paramref name="c"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int node, char c)
    {
        long key = (((long)node << 16) | c) + 1;
        var keys = _keys;
        int slot = Slot(key);
        while (true)
        {
            long k = keys[slot];
            if (k == key) return _targets[slot];
            if (k == 0) return -1;
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>
    /// The longest entry spelled by <paramref name="text"/>[<paramref name="start"/>..] after <paramref name="root"/>
    /// (at least one char, never ending inside a surrogate pair): its end, id and string; end = -1 when none.
    /// </summary>
    public int Longest(ReadOnlySpan<char> text, int start, int root, out int id, out string? token)
    {
        int end = -1;
        id = -1;
        token = null;
        int node = root;
        for (int i = start; i < text.Length; i++)
        {
            node = Next(node, text[i]);
            if (node < 0) break;
            int tid = _ids[node];
            if (tid >= 0 && !(i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && char.IsHighSurrogate(text[i])))
            {
                end = i + 1;
                id = tid;
                token = _tokens[node];
            }
        }
        return end;
    }
}
