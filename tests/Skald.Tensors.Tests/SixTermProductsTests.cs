using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// Training's float32 products from six bfloat16 terms (<see cref="SixTermProducts"/>), reached through
/// <see cref="ManagedGemm"/>'s unpacked entry inside a training scope: the AMX tile bit for bit its scalar twin for all
/// four operand layouts over ragged shapes, strides, k blocks and row groups, beta 0 and 1 and a bias row; the same bits
/// at any thread count; against float64 inside the FMA kernels' envelope (through the twin, so on every host); outside a
/// scope (or with the route off) the FMA kernels' bits; a training-mode Linear's three products routed, an inference
/// one not; a repeated call allocating nothing.
/// </summary>
[RunsLong(54)] // six-term products on large shapes
public sealed class SixTermProductsTests
{
    // (m, n, k): the smallest whole tile, ragged everything, several k blocks (k > 768), more row blocks than a row group
    // holds (m > 2048), whole tiles with many pairs, the one-region path with ragged rows and two k blocks.
    private static readonly (int M, int N, int K)[] Shapes =
        [(32, 32, 32), (33, 70, 100), (70, 45, 800), (2100, 33, 40), (64, 300, 64), (300, 40, 800)];

    private static readonly (bool TransA, bool TransB)[] Layouts = [(false, true), (false, false), (true, false), (true, true)];

    private static float[] Normal(Random rng, int count, double scale)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
            v[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return v;
    }

    // A product's operands as stored (rows 3 longer than needed, so strides are tested), op(A)'s k every 50th 8× larger.
    private sealed record Case(bool TransA, bool TransB, int M, int N, int K, float[] A, int Lda, float[] B, int Ldb, float[] C0, int Ldc)
    {
        public double OpA(int i, int t) => TransA ? A[t * Lda + i] : A[i * Lda + t];
        public double OpB(int t, int j) => TransB ? B[j * Ldb + t] : B[t * Ldb + j];
    }

    private static Case Make(bool transA, bool transB, int m, int n, int k, int seed)
    {
        var rng = new Random(seed);
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 3, ldc = n + 3;
        var a = Normal(rng, (transA ? k : m) * lda, 1);
        for (int t = 0; t < k; t += 50)
        for (int i = 0; i < m; i++) a[transA ? t * lda + i : i * lda + t] *= 8;
        return new Case(transA, transB, m, n, k, a, lda, Normal(rng, (transB ? n : k) * ldb, 0.03), ldb, Normal(rng, m * ldc, 0.5), ldc);
    }

    // C = op(A)·op(B) + beta·C0 (or + bias on every row) through ManagedGemm's unpacked entry, inside a training scope
    // or not, the route on (1) or off (-1), through the scalar twin or not.
    private static float[] Run(Case p, float beta, float[]? bias, int route, bool scalar = false, bool scope = true, int threads = 0)
    {
        var c = (float[])p.C0.Clone();
        var gemm = new ManagedGemm { MaxThreads = threads };
        int wasRoute = SixTermProducts.Override;
        bool wasScalar = SixTermProducts.ScalarTwin;
        int wasScope = scope ? SixTermProducts.Enter() : -1;
        SixTermProducts.Override = route;
        SixTermProducts.ScalarTwin = scalar;
        try
        {
            if (bias is not null) gemm.SgemmBias(p.TransB, p.M, p.N, p.K, p.A, p.Lda, p.B, p.Ldb, bias, c, p.Ldc);
            else gemm.Sgemm(p.TransA, p.TransB, p.M, p.N, p.K, 1f, p.A, p.Lda, p.B, p.Ldb, beta, c, p.Ldc);
        }
        finally
        {
            SixTermProducts.Override = wasRoute;
            SixTermProducts.ScalarTwin = wasScalar;
            if (wasScope >= 0) SixTermProducts.Restore(wasScope);
        }
        return c;
    }

    // Every (layout, beta or bias) of the shapes: bias only without transA (SgemmBias' x·op(B)).
    private static IEnumerable<(Case Case, float Beta, float[]? Bias)> Products()
    {
        foreach (var (m, n, k) in Shapes)
        foreach (var (ta, tb) in Layouts)
        {
            var p = Make(ta, tb, m, n, k, m + 3 * n + 7 * k + (ta ? 1 : 0) + (tb ? 2 : 0));
            yield return (p, 0f, null);
            yield return (p, 1f, null);
            if (!ta) yield return (p, 1f, Normal(new Random(n), n, 0.1));
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual, Case p, string what)
    {
        for (int i = 0; i < p.M; i++)
        for (int j = 0; j < p.N; j++)
        {
            float e = expected[i * p.Ldc + j], a = actual[i * p.Ldc + j];
            Assert.True(BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(a),
                $"{what} {(p.TransA ? "T" : "N")}{(p.TransB ? "T" : "N")} {p.M}×{p.N}×{p.K}: [{i}, {j}] {a:R} against {e:R}");
        }
    }

    [AmxBf16Fact]
    public void AmxTilesEqualTheScalarTwinOnRaggedShapes()
    {
        foreach (var (p, beta, bias) in Products())
            AssertSameBits(Run(p, beta, bias, 1, scalar: true), Run(p, beta, bias, 1), p, $"beta {beta}, bias {bias is not null}:");
    }

    [Fact]
    public void TheBitsDoNotDependOnTheThreads()
    {
        bool scalar = !SixTermTileAmx.IsSupported;
        // 3 row blocks: one thread splits and multiplies them itself; two share out the panel pairs instead.
        // 13 row blocks: one and two threads take the one-region path (each worker all of op(B)), five the other.
        foreach (var (m, n, k) in new[] { (96, 300, 800), (2100, 33, 40), (400, 70, 800) })
        foreach (var (ta, tb) in Layouts)
        {
            var p = Make(ta, tb, m, n, k, m + n + k);
            var one = Run(p, 1f, null, 1, scalar, threads: 1);
            foreach (int threads in new[] { 2, 5 })
                AssertSameBits(one, Run(p, 1f, null, 1, scalar, threads: threads), p, $"{threads} threads against 1:");
        }
    }

    // Error in u = 2^-24 of |beta·C0| + Σ|a·b| (+ |bias|) against float64. bench/amx --bf16-accuracy measured the six
    // terms at max 1.7–2.8 u, mean 0.19–0.20 u, Skald's FMA GEMM at max 2.0–4.0 u, mean 0.27–0.45 u (docs/performance.md
    // 2026-12-07): the max bound is the FMA kernels', and over all products the mean must not exceed theirs on the same inputs.
    [Fact]
    public void TheProductsAreWithinTheFmaKernelsEnvelopeOfFloat64()
    {
        double sixSum = 0, fmaSum = 0;
        long count = 0;
        foreach (var (p, beta, bias) in Products())
        {
            if (p.M > 1000) continue; // (the row groups' exactness is the twin's test; float64 here is O(m·n·k))
            var six = Run(p, beta, bias, 1, scalar: !SixTermTileAmx.IsSupported);
            var fma = Run(p, beta, bias, -1);
            double max = 0;
            for (int i = 0; i < p.M; i++)
            for (int j = 0; j < p.N; j++)
            {
                double start = bias is not null ? bias[j] : beta * p.C0[i * p.Ldc + j], s = start, a = Math.Abs(start);
                for (int t = 0; t < p.K; t++)
                {
                    double v = p.OpA(i, t) * p.OpB(t, j);
                    s += v;
                    a += Math.Abs(v);
                }
                double u = a * Math.Pow(2, -24), e = Math.Abs(six[i * p.Ldc + j] - s) / u;
                max = Math.Max(max, e);
                sixSum += e;
                fmaSum += Math.Abs(fma[i * p.Ldc + j] - s) / u;
                count++;
            }
            Assert.True(max <= 4.0, $"{(p.TransA ? "T" : "N")}{(p.TransB ? "T" : "N")} {p.M}×{p.N}×{p.K}, beta {beta}: max error {max:F2} u");
        }
        Assert.True(sixSum <= fmaSum, $"mean error {sixSum / count:F3} u, the FMA GEMM's {fmaSum / count:F3} u");
    }

    [Fact]
    public void OutsideATrainingScopeOrWithTheRouteOffTheFmaKernelsRun()
    {
        bool scalar = !SixTermTileAmx.IsSupported;
        var p = Make(false, true, 70, 45, 800, 5);
        var fma = Run(p, 0f, null, -1, scope: false);
        AssertSameBits(fma, Run(p, 0f, null, 1, scalar, scope: false), p, "no scope:");
        AssertSameBits(fma, Run(p, 0f, null, -1, scalar), p, "route off:");
        var six = Run(p, 0f, null, 1, scalar);
        Assert.Contains(Enumerable.Range(0, six.Length), i => six[i] != fma[i]); // the route taken: other bits
        // Alpha other than 1, beta other than 0 or 1 and a side below 32 stay on the FMA kernels.
        var g = new GemmArgs { M = 64, N = 64, K = 64, Alpha = 1f, Beta = 0f };
        int route = SixTermProducts.Override, was = -1;
        SixTermProducts.Override = 1;
        try
        {
            Assert.False(SixTermProducts.Takes(g), "outside a training scope");
            was = SixTermProducts.Enter();
            Assert.True(SixTermProducts.Takes(g));
            Assert.False(SixTermProducts.Takes(g with { Alpha = 0.5f }));
            Assert.False(SixTermProducts.Takes(g with { Beta = 0.5f }));
            Assert.False(SixTermProducts.Takes(g with { N = 31 }));
            Assert.False(SixTermProducts.Takes(g with { M = 16 }));
            SixTermProducts.Override = 0; // the process's choice: DefaultShape at the process's threads
            if (SixTermProducts.Enabled)
            {
                var y = g with { M = 12288, N = 384, K = 384, TransB = true };
                Assert.Equal(SixTermProducts.DefaultShape(y, Parallelism.MaxThreads), SixTermProducts.Takes(y));
            }
        }
        finally
        {
            SixTermProducts.Override = route;
            if (was >= 0) SixTermProducts.Restore(was);
        }
    }

    // The shapes the route takes by default, from the measurements at a 12×384 MNRL step's 12,288 rows: y = x·Wᵀ and
    // dx = dy·W at every width the step has, 384 columns too; not dW += dyᵀ·x (A transposed) even 1,536 wide, not a
    // product whose op(B) would need more than OwnedMaxBytes of pieces a worker, not too few row blocks for the threads.
    [Fact]
    public void TheDefaultRouteTakesTheStepsForwardAndInputGradientProductsOnly()
    {
        var y = new GemmArgs { M = 12288, N = 384, K = 384, TransB = true, Alpha = 1f };
        foreach (var (n, k) in new[] { (384, 384), (1152, 384), (1536, 384), (384, 1536) })
        {
            Assert.True(SixTermProducts.DefaultShape(y with { N = n, K = k }, 2), $"y = x·Wᵀ, {n} × {k}");
            Assert.True(SixTermProducts.DefaultShape(y with { N = k, K = n, TransB = false }, 2), $"dx = dy·W, {k} × {n}");
        }
        var dw = new GemmArgs { M = 384, N = 1536, K = 12288, TransA = true, Alpha = 1f, Beta = 1f };
        Assert.False(SixTermProducts.DefaultShape(dw, 2), "dW += dyᵀ·x, 384 × 1536");
        Assert.False(SixTermProducts.DefaultShape(dw with { M = 1536, N = 384 }, 2), "dW += dyᵀ·x, 1536 × 384");
        Assert.False(SixTermProducts.DefaultShape(y with { N = 3072, K = 768 }, 2), "op(B) of 3072 × 768: 14 MB of pieces");
        Assert.False(SixTermProducts.DefaultShape(y with { M = 224 }, 2), "7 row blocks for 2 threads");
        Assert.True(SixTermProducts.DefaultShape(y with { M = 256 }, 2));
    }

    [Fact]
    public void ATrainingLinearsThreeProductsAreRoutedAndAnInferenceOneIsNot()
    {
        bool scalar = !SixTermTileAmx.IsSupported;
        int n = 70, inF = 100, outF = 45;
        var xs = Make(false, true, n, outF, inF, 11);
        var x = xs.A.Where((_, i) => i % xs.Lda < inF).ToArray();
        var w = xs.B.Where((_, i) => i % xs.Ldb < inF).ToArray();
        var bias = Normal(new Random(3), outF, 0.1);
        var dy = Normal(new Random(4), n * outF, 0.01);
        var p = new Case(false, true, n, outF, inF, x, inF, w, inF, new float[n * outF], outF);
        int route = SixTermProducts.Override;
        bool wasScalar = SixTermProducts.ScalarTwin;
        SixTermProducts.Override = 1;
        SixTermProducts.ScalarTwin = scalar;
        try
        {
            var weight = new Parameter("w", (float[])w.Clone(), [outF, inF], true);
            var b = new Parameter("b", (float[])bias.Clone(), [outF], false);
            var inference = new Tape(recording: false);
            var plain = Ops.Linear(inference, inference.Constant(x, n, inF), weight, b).Span.ToArray();
            AssertSameBits(Run(p, 1f, bias, -1), plain, p, "inference forward:");

            var tape = new Tape(recording: true) { Training = true };
            var input = tape.Constant(x, n, inF, requiresGrad: true);
            var y = Ops.Linear(tape, input, weight, b);
            var trained = y.Span.ToArray();
            AssertSameBits(Run(p, 1f, bias, 1, scalar), trained, p, "training forward:");
            Assert.Contains(Enumerable.Range(0, trained.Length), i => trained[i] != plain[i]); // the route taken: other bits
            tape.Seed(y, dy);
            tape.Backward();
            var dx = new Case(false, false, n, inF, outF, dy, outF, w, inF, new float[n * inF], inF);
            AssertSameBits(Run(dx, 0f, null, 1, scalar), input.Grad.ToArray(), dx, "dx:");
            var dw = new Case(true, false, outF, inF, n, dy, outF, x, inF, new float[outF * inF], inF);
            AssertSameBits(Run(dw, 1f, null, 1, scalar), weight.Grad.ToArray(), dw, "dW:");
        }
        finally
        {
            SixTermProducts.Override = route;
            SixTermProducts.ScalarTwin = wasScalar;
        }
    }

    [AmxBf16Fact]
    public void ARepeatedProductAllocatesNothing()
    {
        var p = Make(true, false, 96, 300, 800, 9);
        Run(p, 1f, null, 1, threads: 1);
        var c = (float[])p.C0.Clone();
        var gemm = new ManagedGemm { MaxThreads = 1 };
        int was = SixTermProducts.Enter(), route = SixTermProducts.Override;
        SixTermProducts.Override = 1;
        try
        {
            gemm.Sgemm(true, false, p.M, p.N, p.K, 1f, p.A, p.Lda, p.B, p.Ldb, 1f, c, p.Ldc);
            long before = GC.GetAllocatedBytesForCurrentThread();
            gemm.Sgemm(true, false, p.M, p.N, p.K, 1f, p.A, p.Lda, p.B, p.Ldb, 1f, c, p.Ldc);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            SixTermProducts.Override = route;
            SixTermProducts.Restore(was);
        }
    }
}
