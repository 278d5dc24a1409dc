namespace Skald.Tokenizers.Training;

/// <summary>
/// Learns BPE merges from word counts: pair counts are kept incrementally (only the words containing
/// the merged pair are revisited), the most frequent pair wins, ties go to the pair whose tokens
/// have the lower ids (deterministic). Used for BPE, byte-level BPE and WordPiece vocabularies.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/bpe/trainer.rs</remarks>
internal sealed class BpeTrainer(int vocabSize, int minFrequency, string? prefix)
{
    /// <summary>Learns merges; <paramref name="alphabet"/> tokens come first (after <paramref name="reserved"/> ids).</summary>
    public (List<string> Vocab, List<(string A, string B)> Merges) Train(Dictionary<string, long> wordCounts, IEnumerable<string> alphabet, int reserved)
    {
        var vocab = new List<string>();
        var ids = new Dictionary<string, int>();
        int Id(string t)
        {
            if (!ids.TryGetValue(t, out int id))
            {
                id = vocab.Count;
                ids[t] = id;
                vocab.Add(t);
            }
            return id;
        }
        foreach (var a in alphabet) Id(a);
        var words = new List<int[]>(wordCounts.Count);
        var counts = new List<long>(wordCounts.Count);
        foreach (var (w, c) in wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var runes = w.EnumerateRunes().Select(r => r.ToString()).ToArray();
            if (runes.Length == 0) continue;
            var syms = new int[runes.Length];
            for (int i = 0; i < runes.Length; i++) syms[i] = Id(i > 0 && prefix is not null ? prefix + runes[i] : runes[i]);
            words.Add(syms);
            counts.Add(c);
        }
        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1);
        var heap = new PriorityQueue<long, (long NegCount, long Pair)>();
        foreach (var (p, c) in pairCounts) heap.Enqueue(p, (-c, p));
        var merges = new List<(string, string)>();
        while (vocab.Count + reserved < vocabSize && heap.TryDequeue(out long pair, out var prio))
        {
            long current = pairCounts.GetValueOrDefault(pair);
            if (current != -prio.NegCount)
            {
                if (current > 0) heap.Enqueue(pair, (-current, pair));
                continue;
            }
            if (current < Math.Max(1, minFrequency)) break;
            int a = (int)(pair >> 32), b = (int)(pair & 0xFFFFFFFF);
            string sa = vocab[a], sb = vocab[b];
            string merged = sa + (prefix is not null && sb.StartsWith(prefix, StringComparison.Ordinal) ? sb[prefix.Length..] : sb);
            int m = Id(merged);
            merges.Add((sa, sb));
            var touched = new HashSet<long>();
            foreach (int w in where[pair].ToArray())
            {
                AddPairs(w, -1, touched);
                var syms = words[w];
                var outSyms = new List<int>(syms.Length);
                for (int i = 0; i < syms.Length; i++)
                {
                    if (i + 1 < syms.Length && syms[i] == a && syms[i + 1] == b) { outSyms.Add(m); i++; }
                    else outSyms.Add(syms[i]);
                }
                words[w] = [.. outSyms];
                AddPairs(w, +1, touched);
            }
            foreach (long p in touched)
                if (pairCounts.TryGetValue(p, out long c) && c > 0) heap.Enqueue(p, (-c, p));
        }
        return (vocab, merges);

        void AddPairs(int w, int sign, HashSet<long>? touched = null)
        {
            var syms = words[w];
            long c = counts[w] * sign;
            for (int i = 0; i + 1 < syms.Length; i++)
            {
                long p = ((long)syms[i] << 32) | (uint)syms[i + 1];
                pairCounts[p] = pairCounts.GetValueOrDefault(p) + c;
                if (sign > 0)
                {
                    if (!where.TryGetValue(p, out var set)) where[p] = set = [];
                    set.Add(w);
                }
                else if (pairCounts[p] <= 0)
                {
                    pairCounts.Remove(p);
                    where.Remove(p);
                }
                touched?.Add(p);
            }
        }
    }
}
