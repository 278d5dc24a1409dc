using System.Collections.Concurrent;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;

namespace Skald.Tokenizers.Core;

/// <summary>
/// The fused byte-level BPE pipeline (GPT-2, Llama 3, Qwen, cl100k style): no normalizer, a regex split (Split
/// Isolated + ByteLevel without regex, or ByteLevel with its GPT-2 regex), no prefix space, and a BPE model without
/// prefix/suffix/byte fallback whose vocabulary holds all 256 byte characters. Each piece of the original text is
/// turned into UTF-8 bytes (a lone surrogate as U+FFFD, as the general pipeline does), the bytes into their byte
/// token ids, and the ids are merged by rank (leftmost lowest rank first, which is exactly the order of HF's
/// heap on (rank, position)). No strings are made per piece: words are cached as ids plus byte ends in one cache
/// shared by all threads (lock-free reads; a per-thread cache made every new thread-pool thread start cold and
/// doubled the cache's memory traffic, so a batch on two threads cost more CPU than on one); Llama 3's split regex runs as a hand-written scanner, and offsets come from each byte's original character. Same ids, tokens and
/// offsets as the general pipeline (tests compare the two).
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/bpe/word.rs (merge_all)</remarks>
internal sealed class ByteLevelBpeFastPath
{
    /// <summary>Words cached (HF keeps 10,000); the cache only saves work, never changes ids.</summary>
    private const int CacheCapacity = 100_000;

    /// <summary>Longer words (in bytes) go through the model's heap merge instead of the quadratic scan.</summary>
    private const int LinearMergeLimit = 96;

    private readonly OnigRegex _regex;
    private readonly bool _llama3;
    private readonly BpeModel _model;
    private readonly int[] _byteIds;
    private readonly ThreadLocal<Scratch> _scratch = new(() => new Scratch());
    private readonly ConcurrentDictionary<string, int[]> _cache = new(Environment.ProcessorCount, 1024, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _cached;

    private ByteLevelBpeFastPath(OnigRegex regex, BpeModel model, int[] byteIds)
    {
        _regex = regex;
        _llama3 = regex.Pattern == Llama3SplitScanner.Pattern;
        _model = model;
        _byteIds = byteIds;
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The fast path for this pipeline, or null when it does not apply.</summary>
    public static ByteLevelBpeFastPath? TryCreate(INormalizer? normalizer, IPreTokenizer? preTokenizer, IModel model)
    {
        if (normalizer is not null || model is not BpeModel bpe) return null;
        var o = bpe.Options;
        if (o.ContinuingSubwordPrefix is not null || o.EndOfWordSuffix is not null || o.ByteFallback || o.Dropout is > 0) return null;
        OnigRegex? regex = preTokenizer switch
        {
            ByteLevelPreTokenizer { AddPrefixSpace: false, UseRegex: true } => ByteLevelPreTokenizer.Gpt2Regex,
            SequencePreTokenizer { PreTokenizers: [SplitPreTokenizer { Regex: { } r, Behavior: SplitBehavior.Isolated, Invert: false }, ByteLevelPreTokenizer { AddPrefixSpace: false, UseRegex: false }] } => r,
            _ => null,
        };
        if (regex is null) return null;
        var byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            byteIds[b] = bpe.IdOf(ByteLevelAlphabet.ByteStrings[b]);
            if (byteIds[b] < 0) return null;
        }
        return new ByteLevelBpeFastPath(regex, bpe, byteIds);
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/> into <paramref name="buf"/> (UTF-16 offsets into the text), keeping whole
    /// pieces while fewer than <paramref name="limit"/> tokens are held, as the general pipeline does. Always succeeds.
    /// </summary>
    public bool TryEncode(string text, int limit, TokenBuffer buf)
    {
        buf.Clear();
        var s = _scratch.Value!;
        var matches = s.Matches;
        matches.Clear();
        if (_llama3) Llama3SplitScanner.Matches(text, matches);
        else _regex.Matches(text, matches);
        int prev = 0;
        foreach (var (ms, me) in matches)
        {
            if (prev < ms)
            {
                if (buf.Count >= limit && buf.StopAt(ref limit)) return buf.Finish();
                Word(text, prev, ms, buf, s);
            }
            if (buf.Count >= limit && buf.StopAt(ref limit)) return buf.Finish();
            Word(text, ms, me, buf, s);
            prev = me;
        }
        if (prev < text.Length && (buf.Count < limit || !buf.StopAt(ref limit))) Word(text, prev, text.Length, buf, s);
        return buf.Finish();
    }

    /// <summary>Tokenizes the piece text[start, end) (non-empty) into the buffer.</summary>
    private void Word(string text, int start, int end, TokenBuffer buf, Scratch s)
    {
        int nb = ToBytes(text, start, end, s);
        var piece = text.AsSpan(start, end - start);
        if (!_lookup.TryGetValue(piece, out int[]? entry))
        {
            entry = Merge(nb, s);
            // ConcurrentDictionary.Count takes every lock: an approximate count of our own bounds the cache.
            if (Volatile.Read(ref _cached) < CacheCapacity && _lookup.TryAdd(piece, entry)) Interlocked.Increment(ref _cached);
        }
        int n = entry.Length >> 1, from = 0;
        for (int k = 0; k < n; k++)
        {
            int id = entry[k], to = entry[n + k];
            buf.Add(id, _model.ValueOf(id), s.OrgStart[from], s.OrgEnd[to - 1]);
            from = to;
        }
    }

    /// <summary>UTF-8 bytes of text[start, end) into the scratch, with each byte's original character range.</summary>
    private static int ToBytes(string text, int start, int end, Scratch s)
    {
        s.Ensure(3 * (end - start));
        byte[] bytes = s.Bytes;
        int[] os = s.OrgStart, oe = s.OrgEnd;
        int n = 0;
        for (int i = start; i < end;)
        {
            int c = text[i], w = 1;
            if (c < 0x80)
            {
                bytes[n] = (byte)c;
                os[n] = i;
                oe[n++] = i + 1;
                i++;
                continue;
            }
            if (char.IsHighSurrogate((char)c) && i + 1 < end && char.IsLowSurrogate(text[i + 1]))
            {
                c = char.ConvertToUtf32((char)c, text[i + 1]);
                w = 2;
            }
            else if (char.IsSurrogate((char)c))
            {
                c = 0xFFFD;
            }
            int m = new System.Text.Rune(c).EncodeToUtf8(bytes.AsSpan(n));
            for (int k = 0; k < m; k++)
            {
                os[n + k] = i;
                oe[n + k] = i + w;
            }
            n += m;
            i += w;
        }
        return n;
    }

    /// <summary>Merges the <paramref name="nb"/> scratch bytes: [ids..., byte ends...] of the resulting tokens.</summary>
    private int[] Merge(int nb, Scratch s)
    {
        if (_model.Options.IgnoreMerges || nb > LinearMergeLimit)
        {
            var chars = s.Chars;
            for (int i = 0; i < nb; i++) chars[i] = ByteLevelAlphabet.ByteToChar[s.Bytes[i]];
            if (_model.Options.IgnoreMerges && _model.IdOf(chars.AsSpan(0, nb)) is int whole and >= 0) return [whole, nb];
            if (nb > LinearMergeLimit)
            {
                var list = s.Tokens;
                list.Clear();
                _model.Tokenize(chars.AsSpan(0, nb), list);
                var r = new int[2 * list.Count];
                for (int k = 0; k < list.Count; k++) (r[k], r[list.Count + k]) = (list[k].Id, list[k].End);
                return r;
            }
        }
        int[] ids = s.Ids, ends = s.Ends, ranks = s.Ranks, merged = s.Merged;
        for (int i = 0; i < nb; i++)
        {
            ids[i] = _byteIds[s.Bytes[i]];
            ends[i] = i + 1;
        }
        int n = nb;
        for (int i = 0; i + 1 < n; i++) _model.TryGetMerge(ids[i], ids[i + 1], out ranks[i], out merged[i]);
        while (n > 1)
        {
            // Leftmost pair of lowest rank ([n-1] pair ranks; int.MaxValue = no merge).
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < n; i++)
            {
                if (ranks[i] < bestRank)
                {
                    bestRank = ranks[i];
                    best = i;
                }
            }
            if (best < 0) break;
            ids[best] = merged[best];
            ends[best] = ends[best + 1];
            int tail = n - best - 2;
            Array.Copy(ids, best + 2, ids, best + 1, tail);
            Array.Copy(ends, best + 2, ends, best + 1, tail);
            Array.Copy(ranks, best + 2, ranks, best + 1, Math.Max(0, tail - 1));
            Array.Copy(merged, best + 2, merged, best + 1, Math.Max(0, tail - 1));
            n--;
            if (best + 1 < n) _model.TryGetMerge(ids[best], ids[best + 1], out ranks[best], out merged[best]);
            if (best > 0) _model.TryGetMerge(ids[best - 1], ids[best], out ranks[best - 1], out merged[best - 1]);
        }
        var result = new int[2 * n];
        Array.Copy(ids, result, n);
        Array.Copy(ends, 0, result, n, n);
        return result;
    }

    /// <summary>One thread's scratch arrays.</summary>
    private sealed class Scratch
    {
        public readonly List<(int Start, int End)> Matches = new(256);
        public readonly List<Token> Tokens = new(64);
        public byte[] Bytes = new byte[256];
        public char[] Chars = new char[256];
        public int[] OrgStart = new int[256], OrgEnd = new int[256];
        public int[] Ids = new int[256], Ends = new int[256], Ranks = new int[256], Merged = new int[256];

        /// <summary>Makes every per-byte array hold at least <paramref name="need"/> entries.</summary>
        public void Ensure(int need)
        {
            if (need <= Bytes.Length) return;
            int cap = Math.Max(need, Bytes.Length * 2);
            Array.Resize(ref Bytes, cap);
            Array.Resize(ref Chars, cap);
            Array.Resize(ref OrgStart, cap);
            Array.Resize(ref OrgEnd, cap);
            Array.Resize(ref Ids, cap);
            Array.Resize(ref Ends, cap);
            Array.Resize(ref Ranks, cap);
            Array.Resize(ref Merged, cap);
        }
    }
}
