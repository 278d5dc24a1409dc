using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// The SparseAutoEncoder's ops (CSR): the top-k kernel against sorting, and every backward against finite differences.
/// </summary>
public sealed class SparseAutoEncoderOpsTests
{
    /// <summary>The rectified k largest by sorting (ties by position), the kernel's independent reference.</summary>
    private static float[] SortedTopK(float[] z, int k, bool[]? allowed)
    {
        var order = Enumerable.Range(0, z.Length).Where(j => allowed is null || allowed[j])
            .OrderByDescending(j => z[j]).ThenBy(j => j).Take(k);
        var y = new float[z.Length];
        foreach (int j in order) y[j] = Math.Max(z[j], 0f);
        return y;
    }

    [Fact]
    public void TopKKeepsWhatSortingKeeps()
    {
        var rnd = new Random(3);
        var scratch = new float[97];
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 1 + rnd.Next(97), k = 1 + rnd.Next(n + 3);
            // Coarse values make ties common; some rows all negative.
            var z = Enumerable.Range(0, n).Select(_ => (float)(rnd.Next(-8, trial % 5 == 0 ? 0 : 9) * 0.25)).ToArray();
            bool[]? allowed = trial % 2 == 0 ? null : [.. Enumerable.Range(0, n).Select(_ => rnd.Next(3) > 0)];
            var y = new float[n];
            TopK.Forward(z, k, allowed, scratch, y);
            Assert.Equal(SortedTopK(z, k, allowed), y);
        }
    }

    [Fact]
    public void KthLargestIsTheSortedValue()
    {
        var rnd = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var v = Enumerable.Range(0, 1 + rnd.Next(60)).Select(_ => (float)rnd.Next(-20, 20)).ToArray();
            int k = 1 + rnd.Next(v.Length);
            float expected = v.OrderByDescending(x => x).ElementAt(k - 1);
            Assert.Equal(expected, TopK.KthLargest((float[])v.Clone(), k));
        }
    }

    [Fact]
    public void AutoEncodeGradientsMatchFiniteDifferences()
    {
        var preBias = TapeGradCheck.Param("sae/pre_bias", 11, 0.3f, 6);
        var weight = TapeGradCheck.Param("sae/encoder.weight", 12, 0.5f, 10, 6);
        var latentBias = TapeGradCheck.Param("sae/latent_bias", 13, 0.3f, 10);
        TapeGradCheck.Check((tape, x) => Ops.AutoEncode(tape, x[0], preBias, weight, latentBias),
            [new TapeGradCheck.Input(TapeGradCheck.Random(3 * 6, 14), 3, 6)], [preBias, weight, latentBias]);
    }

    [Fact]
    public void TiedDecodeGradientsMatchFiniteDifferences()
    {
        var weight = TapeGradCheck.Param("sae/encoder.weight", 21, 0.5f, 10, 6);
        var preBias = TapeGradCheck.Param("sae/pre_bias", 22, 0.3f, 6);
        var latents = TapeGradCheck.Random(3 * 10, 23);
        for (int i = 0; i < latents.Length; i += 3) latents[i] = 0f; // sparse, as the codes are
        TapeGradCheck.Check((tape, z) => Ops.TiedDecode(tape, z[0], weight, preBias), [new TapeGradCheck.Input(latents, 3, 10)], [weight, preBias]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TopKReluGradientMatchesFiniteDifferences(bool masked)
    {
        // Values 0.1 apart (a step of 0.01 never reorders them), none near 0: the selection is locally constant.
        var rnd = new Random(7);
        var pre = new float[3 * 12];
        for (int r = 0; r < 3; r++)
        {
            var values = Enumerable.Range(0, 12).Select(i => (i - 5.5f) * 0.1f).OrderBy(_ => rnd.Next()).ToArray();
            values.CopyTo(pre, r * 12);
        }
        bool[]? allowed = masked ? [.. Enumerable.Range(0, 12).Select(j => j % 3 != 1)] : null;
        TapeGradCheck.Check((tape, z) => Ops.TopKRelu(tape, z[0], 5, allowed), [new TapeGradCheck.Input(pre, 3, 12)], [], samples: 36);
        var y = Ops.TopKRelu(new Tape(recording: false), new Tape(recording: false).Constant(pre, 3, 12), 5, allowed);
        for (int r = 0; r < 3; r++)
            Assert.Equal(SortedTopK(pre[(r * 12)..((r + 1) * 12)], 5, allowed), y.Span.Slice(r * 12, 12).ToArray());
    }

    [Fact]
    public void StandardizeIsTorchsLnAndItsGradientsMatchFiniteDifferences()
    {
        var x = TapeGradCheck.Random(3 * 7, 31);
        var tape = new Tape(recording: false);
        var y = Ops.Standardize(tape, tape.Constant(x, 3, 7), Ops.RowStats(tape, tape.Constant(x, 3, 7))).Span.ToArray();
        for (int r = 0; r < 3; r++) // (x − mean) / (torch's unbiased std + 1e-5), in double
        {
            var row = x[(r * 7)..((r + 1) * 7)].Select(v => (double)v).ToArray();
            double mean = row.Average(), std = Math.Sqrt(row.Sum(v => (v - mean) * (v - mean)) / 6);
            for (int c = 0; c < 7; c++) Assert.Equal((row[c] - mean) / (std + 1e-5), y[r * 7 + c], 5);
        }
        TapeGradCheck.Check((t, v) => Ops.Standardize(t, v[0], Ops.RowStats(t, v[0])), [new TapeGradCheck.Input(x, 3, 7)], [], samples: 21);
    }

    [Fact]
    public void DestandardizeGradientsMatchFiniteDifferencesThroughBothInputs()
    {
        // a reconstruction r mapped back by the statistics of another row x: r·σ(x) + μ(x)
        TapeGradCheck.Check((t, v) => Ops.Destandardize(t, v[0], Ops.RowStats(t, v[1])),
            [new TapeGradCheck.Input(TapeGradCheck.Random(2 * 5, 41), 2, 5), new TapeGradCheck.Input(TapeGradCheck.Random(2 * 5, 42), 2, 5)], [], samples: 20);
    }
}
