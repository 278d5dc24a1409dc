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
        var ids = Array.ConvertAll(SplitMix.Ids(batch * seq, vocab, out long sum, seed), x => (int)x);
        var mask = new int[ids.Length];
        Array.Fill(mask, 1);
        return (new TokenBatch(ids, mask, new int[ids.Length], batch, seq), sum);
    }
}
