using Skald.Distributed;
using Skald.Models.Architectures;

namespace Skald.Training.Losses;

/// <summary>
/// Data-parallel token losses (masked-LM, MNTP, causal-LM SFT) over a global batch: every rank tokenizes, pads and
/// masks the WHOLE batch with the same draws as one process would (so each example gets the mask it gets without
/// mpirun; SFT draws nothing and divides by the global count of response tokens), keeps its
/// <see cref="Shard"/> of the rows (padded to the global batch's length, as one process pads them), divides by the
/// global number of predicted tokens and sums the ranks' loss sums, so the summed gradients and the logged loss equal
/// the one-process values whatever the number of ranks.
/// </summary>
internal static class MaskedShard
{
    /// <summary>
    /// Runs <paramref name="sum"/> (Σ over the predicted tokens of this rank's rows of <paramref name="tokens"/> /
    /// <paramref name="targets"/> [B·T] of the loss; gradients scaled by 1 / the divisor it is given) and returns the
    /// mean over every rank's predicted tokens (<paramref name="count"/> counts a rank's; the counts are summed first,
    /// so every rank divides by the same number even when their draws differ, as they do with dropout).
    /// </summary>
    public static float Mean(ICommunicator comm, TokenBatch tokens, int[] targets, Func<TokenBatch, int[], int> count,
        Func<TokenBatch, int[], int, double> sum)
    {
        var shard = Shard.Of(tokens.Batch, comm.Rank, comm.Size);
        var rows = Rows(tokens, shard);
        var rowTargets = Rows(targets, tokens.Seq, shard);
        int local = shard.Count == 0 ? 0 : count(rows, rowTargets);
        Span<double> n = [local];
        comm.AllReduceSum(n);
        int total = (int)n[0];
        if (total == 0) return 0f; // every rank has the same total, so none waits in the sum below
        Span<double> all = [local == 0 ? 0 : sum(rows, rowTargets, total)];
        comm.AllReduceSum(all);
        return (float)(all[0] / total);
    }

    /// <summary>Rows <paramref name="shard"/> of <paramref name="tokens"/> (same sequence length).</summary>
    public static TokenBatch Rows(TokenBatch tokens, Shard shard)
    {
        int seq = tokens.Seq;
        int[] Slice(int[] a) => a.Length == tokens.Count ? a.AsSpan(shard.Start * seq, shard.Count * seq).ToArray() : a;
        return new TokenBatch(Slice(tokens.Ids), Slice(tokens.Mask), Slice(tokens.TypeIds), shard.Count, seq);
    }

    private static int[] Rows(int[] perToken, int seq, Shard shard) => perToken.AsSpan(shard.Start * seq, shard.Count * seq).ToArray();
}
