using Skald.Models.Architectures;

namespace Skald.Bench.Common;

/// <summary>
/// The PyTorch-twin benchmarks' ids (bench/encoders, bench/decoder, bench/splade): splitmix64 from a seed, each output
/// mod the vocabulary, full rows (mask all ones, token types zero); <c>common/splitmix.py</c> draws the same ids.
/// </summary>
internal static class SplitMixTokens
{
    /// <summary>batch × seq ids and their sum (the twins print it, so a run shows both saw the same ids).</summary>
    public static (TokenBatch Tokens, long Checksum) Create(ulong seed, int batch, int seq, int vocab)
    {
        var ids = new int[batch * seq];
        ulong state = seed;
        long sum = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            ids[i] = (int)((z ^ (z >> 31)) % (ulong)vocab);
            sum += ids[i];
        }
        var mask = new int[ids.Length];
        Array.Fill(mask, 1);
        return (new TokenBatch(ids, mask, new int[ids.Length], batch, seq), sum);
    }
}
