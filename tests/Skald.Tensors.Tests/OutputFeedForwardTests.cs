using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// A BERT layer's attention output and feed-forward block in one parallel region on the six-term product
/// (<see cref="Ops.OutputFeedForward"/>, <see cref="SixTermGemm.RunChain"/>; through the tile's scalar twin on a CPU
/// without AMX): bit for bit the three ops it replaces (LinearAddLayerNorm, LinearActivation with GELU,
/// LinearAddLayerNorm), whatever the row count, and within float32 rounding of a float64 evaluation of the block.
/// </summary>
public sealed class OutputFeedForwardTests
{
    private const int C = 64, Inter = 100; // Inter: a ragged last panel pair and a K of whole chunks plus a tail

    // n: 2 row blocks (fewer than the threads split: the three products one after another), 10 with a ragged last one
    // (one region, each thread's rows through all three), 132 (several RowPiecesBlocks chunks a thread).
    [Theory]
    [InlineData(40)]
    [InlineData(300)]
    [InlineData(4200)]
    public void OneRegionGivesTheThreeOpsBitsAndFloat64sValues(int n)
    {
        if (Blas.Backend is not ManagedGemm) return; // no packed weights on other backends: the three ops run
        int was = SixTermGemm.Override;
        SixTermGemm.Override = 1;
        try
        {
            Check(n);
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    // SKALD_AMX_FP32=bf16 keeps a float32 weight on its panels and the FMA kernels: the one-region block must not run
    // on it (it would make the weight's pieces beside its panels, 2.5× float32's memory, and take six terms).
    [Fact]
    public void WithBf16WeightsOnlyFloat32WeightsKeepTheThreeOpsAndMakeNoPieces()
    {
        if (Blas.Backend is not ManagedGemm) return; // no packed weights on other backends: the three ops run
        int was = SixTermGemm.Override, wasOnly = SixTermGemm.Bf16WeightsOnlyOverride;
        SixTermGemm.Override = 1;
        SixTermGemm.Bf16WeightsOnlyOverride = 1;
        try
        {
            const int n = 300;
            var rng = new Random(7);
            Parameter P(string name, int rows, int cols, float scale) =>
                new(name, TestUtil.RandomArray(rng, rows * cols, scale), cols == 1 ? [rows] : [rows, cols], false);
            var (wo, bo, go, eo) = (P("wo", C, C, 0.2f), P("bo", C, 1, 0.5f), P("go", C, 1, 1f), P("eo", C, 1, 0.5f));
            var (wi, bi) = (P("wi", Inter, C, 0.2f), P("bi", Inter, 1, 0.5f));
            var (w2, b2, g2, e2) = (P("w2", C, Inter, 0.2f), P("b2", C, 1, 0.5f), P("g2", C, 1, 1f), P("e2", C, 1, 0.5f));
            var (ctx, x) = (TestUtil.RandomArray(rng, n * C), TestUtil.RandomArray(rng, n * C));
            var (po, pi, p2) = (wo.PackedForLinear(holdPieces: false)!, wi.PackedForLinear(holdPieces: false)!, w2.PackedForLinear(holdPieces: false)!);
            Assert.True(po.HasPanels && pi.HasPanels && p2.HasPanels, "float32 weights keep their panels under bf16-only");
            Assert.False(OutputFeedForward.Runs(po, pi, p2, C, Inter, ActivationKind.Gelu));
            var tape = new Tape(recording: false) { PackWeights = true };
            Ops.OutputFeedForward(tape, tape.Constant(ctx, n, C), tape.Constant(x, n, C), wo, bo, go, eo, wi, bi,
                ActivationKind.Gelu, w2, b2, g2, e2, 1e-12f, 0f);
            Assert.Equal(0, po.SixTermBytes + pi.SixTermBytes + p2.SixTermBytes);
        }
        finally
        {
            SixTermGemm.Override = was;
            SixTermGemm.Bf16WeightsOnlyOverride = wasOnly;
        }
    }

    private static void Check(int n)
    {
        var rng = new Random(n);
        Parameter P(string name, int rows, int cols, float scale) =>
            new(name, TestUtil.RandomArray(rng, rows * cols, scale), cols == 1 ? [rows] : [rows, cols], false);
        var (wo, bo, go, eo) = (P("wo", C, C, 0.2f), P("bo", C, 1, 0.5f), P("go", C, 1, 1f), P("eo", C, 1, 0.5f));
        var (wi, bi) = (P("wi", Inter, C, 0.2f), P("bi", Inter, 1, 0.5f));
        var (w2, b2, g2, e2) = (P("w2", C, Inter, 0.2f), P("b2", C, 1, 0.5f), P("g2", C, 1, 1f), P("e2", C, 1, 0.5f));
        var ctx = TestUtil.RandomArray(rng, n * C);
        var x = TestUtil.RandomArray(rng, n * C);
        var wos = wo.Data.ToArray();
        var wis = wi.Data.ToArray();
        var w2s = w2.Data.ToArray();

        var tape = new Tape(recording: false) { PackWeights = true };
        var threeOps = Ops.LinearAddLayerNorm(tape, tape.Constant(ctx, n, C), wo, bo, tape.Constant(x, n, C), go, eo, 1e-12f, 0f);
        threeOps = Ops.LinearAddLayerNorm(tape, Ops.LinearActivation(tape, threeOps, wi, bi, ActivationKind.Gelu), w2, b2, threeOps, g2, e2, 1e-12f, 0f);
        var expected = threeOps.Span.ToArray();
        Assert.True(OutputFeedForward.Runs(wo.PackedForLinear(holdPieces: false), wi.PackedForLinear(holdPieces: false), w2.PackedForLinear(holdPieces: false), C, Inter, ActivationKind.Gelu),
            "the one-region block should run here");
        var own = new Tape(recording: false) { PackWeights = true }; // its own arena: nothing left from the three ops' h and mid
        var actual = Ops.OutputFeedForward(own, own.Constant(ctx, n, C), own.Constant(x, n, C), wo, bo, go, eo, wi, bi,
            ActivationKind.Gelu, w2, b2, g2, e2, 1e-12f, 0f).Span.ToArray();
        Assert.Equal(expected, actual);

        // float64: each step's reference (product, bias and residual in double; LayerNorm and GELU references).
        var (h, mid, y) = (new float[n * C], new float[n * Inter], new float[n * C]);
        var (mean, rstd) = (new float[n], new float[n]);
        LinearAddLayerNorm.ForwardReference(ctx, wos, bo.Data.Span, x, go.Data.Span, eo.Data.Span, h, mean, rstd, n, C, C, 1e-12f);
        LinearActivation.ForwardReference(h, wis, bi.Data.Span, mid, n, C, Inter, ActivationKind.Gelu);
        LinearAddLayerNorm.ForwardReference(mid, w2s, b2.Data.Span, h, g2.Data.Span, e2.Data.Span, y, mean, rstd, n, Inter, C, 1e-12f);
        double max = 0;
        for (int i = 0; i < y.Length; i++) max = Math.Max(max, Math.Abs(actual[i] - y[i]));
        Assert.True(max < 1e-4, $"{n} rows: max |one region − float64| {max:G3}");
    }
}
