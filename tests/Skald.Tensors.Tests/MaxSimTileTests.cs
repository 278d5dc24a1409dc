using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="MaxSimBlock"/>'s register tiles (the GEMM-shaped MaxSim behind <see cref="MaxSim.Score"/> and
/// <see cref="MaxSimQuantized"/>'s kernels) give their scalar twins' bits on each width this CPU runs (512, 256 and
/// 128 bits: the last is what Arm NEON runs): float32, float16
/// and int8 rows, documents of 1, 15, 16, 17 and 181 tokens (one row, tails only, whole tiles plus tails), widths 64,
/// 96, 128 and 48, queries of 1 to 33 tokens (narrow, full and two query blocks). A query changed in place between
/// two scores is packed again, not served from the thread's cached panel.
/// </summary>
public sealed class MaxSimTileTests
{
    [MaxSimTilesFact(ManagedGemmKernel.Vector512)]
    public void Tiles512GiveTheScalarTwinsBits() => Exact(ManagedGemmKernel.Vector512);

    [MaxSimTilesFact(ManagedGemmKernel.Vector256)]
    public void Tiles256GiveTheScalarTwinsBits() => Exact(ManagedGemmKernel.Vector256);

    [MaxSimTilesFact(ManagedGemmKernel.Vector128)]
    public void Tiles128GiveTheScalarTwinsBits() => Exact(ManagedGemmKernel.Vector128);

    [MaxSimTilesFact(ManagedGemmKernel.Vector256)]
    public void AQueryChangedInPlaceIsPackedAgain()
    {
        var rng = new Random(3);
        const int dim = 64;
        var q = TestUtil.RandomArray(rng, 20 * dim);
        var d = TestUtil.RandomArray(rng, 30 * dim);
        Same(MaxSim.ScoreScalar(q, d, dim), MaxSim.Score(q, d, dim), "before");
        for (int k = 0; k < q.Length; k += 97) q[k] = -q[k] * 3f;
        Same(MaxSim.ScoreScalar(q, d, dim), MaxSim.Score(q, d, dim), "after changing the query in place");
    }

    private static void Exact(ManagedGemmKernel path)
    {
        var rng = new Random(17);
        foreach (int dim in new[] { 64, 96, 128, 48 })
        {
            foreach (int n in new[] { 1, 15, 16, 17, 181 })
            {
                var d = TestUtil.RandomArray(rng, n * dim);
                var half = new ushort[d.Length];
                F16.FromSingle(d, half);
                var codes = new sbyte[d.Length];
                var maxima = new float[n];
                for (int t = 0; t < n; t++) maxima[t] = MaxSimQuantized.QuantizeInt8(d.AsSpan(t * dim, dim), codes.AsSpan(t * dim, dim));
                for (int qt = 1; qt <= 33; qt++)
                {
                    var q = TestUtil.RandomArray(rng, qt * dim);
                    string at = $"{path}, dim {dim}, {n} document tokens, {qt} query tokens";
                    Same(MaxSim.ScoreScalar(q, d, dim), MaxSim.ScoreOn(q, d, dim, path), $"float32, {at}");
                    Same(MaxSimQuantized.ScoreFloat16Scalar(q, half, dim), MaxSimQuantized.ScoreFloat16On(q, half, dim, path), $"float16, {at}");
                    Same(MaxSimQuantized.ScoreInt8Scalar(q, codes, maxima, dim), MaxSimQuantized.ScoreInt8On(q, codes, maxima, dim, path), $"int8, {at}");
                }
            }
        }
    }

    private static void Same(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {actual:R} vs the scalar twin's {expected:R}");
}
