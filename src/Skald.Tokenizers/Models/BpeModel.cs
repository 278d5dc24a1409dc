using System.Collections.Concurrent;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Models;

/// <summary>
/// HF's BPE model: the characters of a piece (with continuing-subword prefix / end-of-word suffix,
/// unknown characters as byte-fallback tokens or (fused) unk) are merged by rank exactly like HF's
/// Word::merge_all (min-heap on rank, then position; expired entries skipped). Dropout is ignored
/// (inference). Results are cached per piece as in HF.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/bpe/model.rs</remarks>
internal sealed class BpeModel : IModel
{
    private const int CacheCapacity = 10_000;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string?[] _byId;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly int _unkId = -1;
    private readonly ConcurrentDictionary<string, Token[]> _cache = new();
    private int _cached;
    private readonly ConcurrentDictionary<string, Token[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    /// <summary>Creates the model; <paramref name="merges"/> are in rank order.</summary>
    /// <exception cref="TokenizerException">A merge names a token that is not in the vocabulary (message holds the merge index).</exception>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string A, string B)> merges, BpeOptions options)
    {
        _vocab = vocab;
        Options = options;
        Merges = merges;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        int max = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        _byId = new string?[max];
        foreach (var (tok, id) in vocab) if (id >= 0) _byId[id] = tok;
        int prefixLen = options.ContinuingSubwordPrefix?.Length ?? 0;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int i = 0; i < merges.Count; i++)
        {
            var (a, b) = merges[i];
            if (!vocab.TryGetValue(a, out int ia)) throw new TokenizerException($"merges[{i}] \"{a} {b}\": token \"{a}\" is not in the vocabulary");
            if (!vocab.TryGetValue(b, out int ib)) throw new TokenizerException($"merges[{i}] \"{a} {b}\": token \"{b}\" is not in the vocabulary");
            string merged = a + (prefixLen <= b.Length ? b[prefixLen..] : "");
            if (!vocab.TryGetValue(merged, out int im)) throw new TokenizerException($"merges[{i}] \"{a} {b}\": merged token \"{merged}\" is not in the vocabulary");
            _merges[Key(ia, ib)] = (i, im);
        }
        for (int b = 0; b < 256; b++) _byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        if (options.UnkToken is not null && vocab.TryGetValue(options.UnkToken, out int u)) _unkId = u;
    }

    /// <summary>The options.</summary>
    public BpeOptions Options { get; }

    /// <inheritdoc/>
    public string? UnkToken => Options.UnkToken;

    /// <summary>The merges in rank order.</summary>
    public IReadOnlyList<(string A, string B)> Merges { get; }

    /// <summary>The vocabulary (token to id).</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <inheritdoc/>
    public string Kind => "BPE";

    /// <inheritdoc/>
    public int VocabSize => _vocab.Count;

    /// <inheritdoc/>
    public int IdBound => _byId.Length;

    /// <inheritdoc/>
    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    /// <inheritdoc/>
    public string? IdToToken(int id) => (uint)id < (uint)_byId.Length ? _byId[id] : null;

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>The merge of the pair (<paramref name="a"/>, <paramref name="b"/>): its rank and the merged id (fused fast paths).</summary>
    internal bool TryGetMerge(int a, int b, out int rank, out int newId)
    {
        if (_merges.TryGetValue(Key(a, b), out var m))
        {
            (rank, newId) = m;
            return true;
        }
        (rank, newId) = (int.MaxValue, -1);
        return false;
    }

    /// <summary>The id of vocabulary entry <paramref name="token"/>, or -1 (no string made).</summary>
    internal int IdOf(ReadOnlySpan<char> token) => _lookup.TryGetValue(token, out _, out int id) ? id : -1;

    /// <summary>The vocabulary string of a model id (the id must be valid).</summary>
    internal string ValueOf(int id) => _byId[id]!;

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> text, List<Token> output)
    {
        if (text.Length == 0) return;
        if (Options.IgnoreMerges && _lookup.TryGetValue(text, out string? whole, out int wid))
        {
            output.Add(new Token(wid, whole, 0, text.Length));
            return;
        }
        if (_cacheLookup.TryGetValue(text, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        int first = output.Count;
        Merge(text, output);
        // ConcurrentDictionary.Count takes every lock: keep our own (approximate) count instead. Once the cache is
        // full (as HF's, it then takes no more words) the tokens go straight to the output, no array made.
        if (Volatile.Read(ref _cached) < CacheCapacity && _cacheLookup.TryAdd(text, output.GetRange(first, output.Count - first).ToArray()))
            Interlocked.Increment(ref _cached);
    }

    private struct Symbol
    {
        public int Id, Start, End, Prev, Next;
        public bool Removed;
    }

    [ThreadStatic]
    private static List<Symbol>? t_symbols;

    [ThreadStatic]
    private static PriorityQueue<(int Pos, int NewId), long>? t_queue;

    /// <summary>Appends the merged tokens of <paramref name="text"/> to <paramref name="output"/> (per-thread scratch, nothing kept).</summary>
    private void Merge(ReadOnlySpan<char> text, List<Token> output)
    {
        var symbols = t_symbols ??= new List<Symbol>(64);
        symbols.Clear();
        string? prefix = Options.ContinuingSubwordPrefix, suffix = Options.EndOfWordSuffix;
        int unkStart = -1, unkEnd = -1;
        Span<byte> bytes = stackalloc byte[64];
        for (int i = 0; i < text.Length;)
        {
            int w = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int end = i + w;
            bool isFirst = i == 0, isLast = end == text.Length;
            ReadOnlySpan<char> ch = text[i..end];
            string? built = null;
            if ((prefix is not null && !isFirst) || (suffix is not null && isLast))
                built = string.Concat(!isFirst && prefix is not null ? prefix : "", ch, isLast && suffix is not null ? suffix : "");
            ReadOnlySpan<char> s = built is null ? ch : built.AsSpan();
            if (_lookup.TryGetValue(s, out _, out int id))
            {
                if (unkStart >= 0) { Add(symbols, _unkId, unkStart, unkEnd); unkStart = -1; }
                Add(symbols, id, i, end);
            }
            else if (Options.ByteFallback && TryBytes(s, bytes, out int nbytes))
            {
                if (unkStart >= 0) { Add(symbols, _unkId, unkStart, unkEnd); unkStart = -1; }
                foreach (byte b in bytes[..nbytes]) Add(symbols, _byteIds[b], i, end);
            }
            else if (Options.UnkToken is not null)
            {
                if (_unkId < 0) throw new TokenizerException($"BPE: unk_token \"{Options.UnkToken}\" is not in the vocabulary");
                if (unkStart >= 0 && Options.FuseUnk)
                {
                    unkEnd = end;
                }
                else
                {
                    if (unkStart >= 0) Add(symbols, _unkId, unkStart, unkEnd);
                    unkStart = i;
                    unkEnd = end;
                }
            }
            i = end;
        }
        if (unkStart >= 0) Add(symbols, _unkId, unkStart, unkEnd);
        MergeAll(symbols);
        foreach (var sym in symbols)
            if (!sym.Removed) output.Add(new Token(sym.Id, _byId[sym.Id]!, sym.Start, sym.End));
    }

    private bool TryBytes(ReadOnlySpan<char> s, Span<byte> bytes, out int count)
    {
        if (System.Text.Encoding.UTF8.GetMaxByteCount(s.Length) > bytes.Length)
        {
            count = 0;
            return false;
        }
        count = System.Text.Encoding.UTF8.GetBytes(s, bytes);
        foreach (byte b in bytes[..count]) if (_byteIds[b] < 0) return false;
        return true;
    }

    private static void Add(List<Symbol> symbols, int id, int start, int end)
    {
        int n = symbols.Count;
        symbols.Add(new Symbol { Id = id, Start = start, End = end, Prev = n - 1, Next = -1 });
        if (n > 0)
        {
            var prev = symbols[n - 1];
            prev.Next = n;
            symbols[n - 1] = prev;
        }
    }

    private void MergeAll(List<Symbol> symbols)
    {
        if (symbols.Count < 2 || _merges.Count == 0) return;
        var queue = t_queue ??= new PriorityQueue<(int Pos, int NewId), long>(64);
        queue.Clear();
        for (int i = 0; i + 1 < symbols.Count; i++)
            if (_merges.TryGetValue(Key(symbols[i].Id, symbols[i + 1].Id), out var m))
                queue.Enqueue((i, m.NewId), ((long)m.Rank << 32) | (uint)i);
        while (queue.TryDequeue(out var top, out _))
        {
            var cur = symbols[top.Pos];
            if (cur.Removed || cur.Next < 0) continue;
            var right = symbols[cur.Next];
            if (!_merges.TryGetValue(Key(cur.Id, right.Id), out var check) || check.NewId != top.NewId) continue;
            int rightPos = cur.Next;
            cur.Id = top.NewId;
            cur.End = right.End;
            cur.Next = right.Next;
            symbols[top.Pos] = cur;
            right.Removed = true;
            symbols[rightPos] = right;
            if (right.Next >= 0)
            {
                var after = symbols[right.Next];
                after.Prev = top.Pos;
                symbols[right.Next] = after;
            }
            if (cur.Prev >= 0 && _merges.TryGetValue(Key(symbols[cur.Prev].Id, cur.Id), out var mp))
                queue.Enqueue((cur.Prev, mp.NewId), ((long)mp.Rank << 32) | (uint)cur.Prev);
            if (cur.Next >= 0 && _merges.TryGetValue(Key(cur.Id, symbols[cur.Next].Id), out var mn))
                queue.Enqueue((top.Pos, mn.NewId), ((long)mn.Rank << 32) | (uint)top.Pos);
        }
    }
}
