using Skald.Tokenizers.Core;
using Skald.Tokenizers.Models;

namespace Skald.Tokenizers.Training;

/// <summary>
/// A compact Unigram (SentencePiece-style) trainer: seed pieces are the frequent substrings of the
/// words (all single characters always kept), then rounds of hard EM (Viterbi segmentation of every
/// word with the current scores, new scores = log relative frequency) each followed by pruning of
/// the least used multi-character pieces, until the vocabulary has the requested size.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/unigram/trainer.rs</remarks>
internal sealed class UnigramTrainer(int vocabSize, int minFrequency, int maxPieceLength = 16)
{
    /// <summary>Returns (piece, score) pairs, most useful first; <paramref name="reserved"/> slots are left for special tokens.</summary>
    public List<(string Piece, double Score)> Train(Dictionary<string, long> wordCounts, IEnumerable<string> alphabet, int reserved)
    {
        int target = Math.Max(1, vocabSize - reserved);
        var chars = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var a in alphabet) chars[a] = 1;
        var subs = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (w, c) in wordCounts)
        {
            var runes = w.EnumerateRunes().Select(r => r.ToString()).ToArray();
            foreach (var r in runes) chars[r] = chars.GetValueOrDefault(r) + c;
            for (int i = 0; i < runes.Length; i++)
            {
                string s = runes[i];
                for (int len = 2; len <= maxPieceLength && i + len <= runes.Length; len++)
                {
                    s += runes[i + len - 1];
                    subs[s] = subs.GetValueOrDefault(s) + c;
                }
            }
        }
        int seedSize = Math.Max(target * 4, 2000);
        var pieces = new Dictionary<string, double>(StringComparer.Ordinal);
        double total = 0;
        foreach (var (p, c) in chars) total += c;
        foreach (var (p, c) in subs.Where(kv => kv.Value >= Math.Max(2, minFrequency))
                     .OrderByDescending(kv => kv.Value * (kv.Key.Length - 0.5)).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(seedSize))
        {
            pieces[p] = c;
            total += c;
        }
        foreach (var (p, c) in chars) pieces[p] = c;
        foreach (var p in pieces.Keys.ToList()) pieces[p] = Math.Log(pieces[p] / total);

        for (int round = 0; round < 40; round++)
        {
            for (int em = 0; em < 2; em++) pieces = Reestimate(pieces, wordCounts, out _);
            int multi = pieces.Count - chars.Count;
            if (pieces.Count <= target) break;
            Reestimate(pieces, wordCounts, out var usage);
            int keepMulti = Math.Max(target - chars.Count, (int)(multi * 0.75));
            if (pieces.Count - multi + keepMulti >= pieces.Count) keepMulti = Math.Max(0, multi - 1);
            var keep = pieces.Keys.Where(p => !chars.ContainsKey(p))
                .OrderByDescending(p => usage.GetValueOrDefault(p)).ThenByDescending(p => pieces[p]).ThenBy(p => p, StringComparer.Ordinal)
                .Take(keepMulti).ToHashSet(StringComparer.Ordinal);
            pieces = pieces.Where(kv => chars.ContainsKey(kv.Key) || keep.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        }
        pieces = Reestimate(pieces, wordCounts, out _);
        // Characters first would waste ids; order by score like SentencePiece (ties by text).
        var result = pieces.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList();
        if (result.Count > target)
        {
            // Drop the weakest multi-character pieces beyond the target.
            var drop = result.Where(p => !chars.ContainsKey(p.Key)).Reverse().Take(result.Count - target).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            result = result.Where(p => !drop.Contains(p.Key)).ToList();
        }
        return result;
    }

    private static Dictionary<string, double> Reestimate(Dictionary<string, double> pieces, Dictionary<string, long> wordCounts, out Dictionary<string, long> usage)
    {
        var list = pieces.Select(kv => (kv.Key, kv.Value)).ToArray();
        var model = new UnigramModel([.. list, ("\u0000unk", -1000.0)], list.Length, false);
        var counts = new long[list.Length];
        var tokens = new List<Token>();
        foreach (var (w, c) in wordCounts)
        {
            tokens.Clear();
            model.Tokenize(w, tokens);
            foreach (var t in tokens) if (t.Id < counts.Length) counts[t.Id] += c;
        }
        double total = counts.Sum() + list.Length * 0.1;
        usage = new Dictionary<string, long>(StringComparer.Ordinal);
        var next = new Dictionary<string, double>(list.Length, StringComparer.Ordinal);
        for (int i = 0; i < list.Length; i++)
        {
            usage[list[i].Key] = counts[i];
            next[list[i].Key] = Math.Log((counts[i] + 0.1) / total);
        }
        return next;
    }
}
