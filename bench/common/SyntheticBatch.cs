using Skald.Models.Architectures;

namespace Skald.Bench.Common;

/// <summary>
/// The encoder benchmarks' fixed synthetic batch (compiled into bench/Skald.Bench, bench/attention and bench/kernel):
/// ids 1000 + (b·131 + t·17) mod 20000, mask all ones, token types zero. bench/ort builds the same ids for ONNX Runtime
/// in its own tensors.
/// </summary>
internal static class SyntheticBatch
{
    public static TokenBatch Create(int batch, int seq)
    {
        var ids = new int[batch * seq];
        var mask = new int[batch * seq];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
            {
                ids[b * seq + t] = 1000 + (b * 131 + t * 17) % 20000;
                mask[b * seq + t] = 1;
            }
        return new TokenBatch(ids, mask, new int[batch * seq], batch, seq);
    }
}
