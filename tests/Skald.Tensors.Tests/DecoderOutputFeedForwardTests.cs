using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// A decoder layer after its attention in three parallel regions with row finishes on the six-term product
/// (<see cref="Ops.DecoderOutputFeedForward"/>, <see cref="SixTermGemm.Run"/>; through the tile's scalar twin on a
/// CPU without AMX): bit for bit the ops it replaces (o_proj, residual add, RMSNorm, stacked gate/up with the gate,
/// down_proj, residual add), whatever the row count, with and without biases, and within float32 rounding of a float64
/// evaluation of the block.
/// </summary>
public sealed class DecoderOutputFeedForwardTests
{
    // A: the attention's width (H·D) apart from C, as Qwen3's; Inter: a ragged last panel pair and a K of whole chunks plus a tail.
    private const int A = 96, C = 64, Inter = 100;
    private const float Eps = 1e-6f;

    // n: 2 row blocks (fewer than the threads split: split, tiles and row finish each its own region), 10 with a ragged
    // last one (each thread splits, multiplies and finishes its own row blocks), 132 (several RowPiecesBlocks chunks a thread).
    [Theory]
    [InlineData(40, true)]
    [InlineData(300, true)]
    [InlineData(300, false)]
    [InlineData(4200, false)]
    public void FusedBlockGivesTheOpsBitsAndFloat64sValues(int n, bool biases)
    {
        if (Blas.Backend is not ManagedGemm) return; // no packed weights on other backends: the ops run one by one
        int was = SixTermGemm.Override;
        SixTermGemm.Override = 1;
        try
        {
            Check(n, biases);
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    // SKALD_AMX_FP32=bf16 keeps a float32 weight on its panels and the FMA kernels: the fused block must not run on it.
    [Fact]
    public void WithBf16WeightsOnlyFloat32WeightsKeepTheOpsAndMakeNoPieces()
    {
        if (Blas.Backend is not ManagedGemm) return;
        int was = SixTermGemm.Override, wasOnly = SixTermGemm.Bf16WeightsOnlyOverride;
        SixTermGemm.Override = 1;
        SixTermGemm.Bf16WeightsOnlyOverride = 1;
        try
        {
            const int n = 300;
            var w = new Weights(new Random(7), biases: true);
            var (ctx, x) = Inputs(new Random(8), n);
            var (po, pgu, pd) = (w.O.PackedForLinear(holdPieces: false)!, w.GateUp.PackedForLinear(holdPieces: false)!, w.Down.PackedForLinear(holdPieces: false)!);
            Assert.True(po.HasPanels && pgu.HasPanels && pd.HasPanels, "float32 weights keep their panels under bf16-only");
            Assert.False(DecoderOutputFeedForward.Runs(po, pgu, pd, A, C, Inter));
            var tape = new Tape(recording: false) { PackWeights = true };
            w.Fused(tape, tape.Constant(ctx, n, A), tape.Constant(x, n, C));
            Assert.Equal(0, po.SixTermBytes + pgu.SixTermBytes + pd.SixTermBytes);
        }
        finally
        {
            SixTermGemm.Override = was;
            SixTermGemm.Bf16WeightsOnlyOverride = wasOnly;
        }
    }

    private static void Check(int n, bool biases)
    {
        var w = new Weights(new Random(n), biases);
        var (ctx, x) = Inputs(new Random(n + 1), n);
        var (wo, wgu, wd) = (w.O.Data.ToArray(), w.GateUp.Data.ToArray(), w.Down.Data.ToArray());

        var tape = new Tape(recording: false) { PackWeights = true };
        var h = Ops.Add(tape, tape.Constant(x, n, C), Ops.Linear(tape, tape.Constant(ctx, n, A), w.O, w.OBias));
        var m = Ops.Linear(tape, Ops.LinearGated(tape, Ops.RmsNorm(tape, h, w.Norm, Eps), w.GateUp, w.GateUpBias, GateFunction.Silu),
            w.Down, w.DownBias);
        var expected = Ops.Add(tape, h, m).Span.ToArray();
        Assert.True(DecoderOutputFeedForward.Runs(w.O.PackedForLinear(holdPieces: false), w.GateUp.PackedForLinear(holdPieces: false), w.Down.PackedForLinear(holdPieces: false), A, C, Inter),
            "the fused block should run here");
        var own = new Tape(recording: false) { PackWeights = true }; // its own arena: nothing left from the ops' buffers
        var actual = w.Fused(own, own.Constant(ctx, n, A), own.Constant(x, n, C)).Span.ToArray();
        Assert.Equal(expected, actual);

        // float64: the products, biases and residuals in double; the RMSNorm and gate references.
        var hr = Product(ctx, wo, w.OBias, n, A, C);
        for (int i = 0; i < hr.Length; i++) hr[i] += x[i];
        var hf = Array.ConvertAll(hr, v => (float)v);
        var (normed, rstd) = (new float[n * C], new float[n]);
        RmsNorm.ForwardReference(hf, w.Norm.Data.Span, normed, rstd, n, C, Eps);
        var gu = Array.ConvertAll(Product(normed, wgu, w.GateUpBias, n, C, 2 * Inter), v => (float)v);
        var mid = new float[n * Inter];
        GatedActivation.ForwardReference(gu, mid, n, Inter, GateFunction.Silu);
        var y = Product(mid, wd, w.DownBias, n, Inter, C);
        double max = 0;
        for (int i = 0; i < y.Length; i++) max = Math.Max(max, Math.Abs(actual[i] - (y[i] + hr[i])));
        Assert.True(max < 1e-4, $"{n} rows: max |fused − float64| {max:G3}");
    }

    // x [n, k] · Wᵀ (W [out, k]) + b in float64.
    private static double[] Product(float[] x, float[] w, Parameter? bias, int n, int k, int outs)
    {
        var y = new double[n * outs];
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outs; o++)
            {
                double acc = bias is null ? 0.0 : bias.Data.Span[o];
                for (int j = 0; j < k; j++) acc += (double)x[i * k + j] * w[o * k + j];
                y[i * outs + o] = acc;
            }
        }
        return y;
    }

    private static (float[] Ctx, float[] X) Inputs(Random rng, int n) =>
        (TestUtil.RandomArray(rng, n * A), TestUtil.RandomArray(rng, n * C));

    // A layer's weights after its attention (Qwen2 has no o_proj or MLP biases; mlp_bias models have both).
    private sealed class Weights
    {
        public readonly Parameter O, Norm, GateUp, Down;
        public readonly Parameter? OBias, GateUpBias, DownBias;

        public Weights(Random rng, bool biases)
        {
            Parameter P(string name, int rows, int cols, float scale) =>
                new(name, TestUtil.RandomArray(rng, rows * cols, scale), cols == 1 ? [rows] : [rows, cols], false);
            O = P("o", C, A, 0.2f);
            Norm = P("norm", C, 1, 1f);
            GateUp = P("gate_up", 2 * Inter, C, 0.2f);
            Down = P("down", C, Inter, 0.2f);
            if (!biases) return;
            OBias = P("o_bias", C, 1, 0.5f);
            GateUpBias = P("gate_up_bias", 2 * Inter, 1, 0.5f);
            DownBias = P("down_bias", C, 1, 0.5f);
        }

        public Variable Fused(Tape tape, Variable ctx, Variable x) => Ops.DecoderOutputFeedForward(tape, ctx, x, O, OBias, Norm,
            Eps, GateUp, GateUpBias, GateFunction.Silu, Down, DownBias);
    }
}
