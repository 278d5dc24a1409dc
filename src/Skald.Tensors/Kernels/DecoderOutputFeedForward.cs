using System.Numerics.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Kernels;

/// <summary>
/// A pre-norm decoder layer (LlamaDecoderLayer and its relatives) after its attention, at inference on the six-term AMX
/// product (<see cref="SixTermGemm"/>): h = x + ctx · Woᵀ (+ bo), n = RmsNorm(h), mid = f(n · Wgᵀ (+ bg)) ⊙ (n · Wuᵀ (+ bu))
/// from the stacked [gate; up] weight, y = h + mid · Wdᵀ (+ bd), in three parallel regions instead of seven (o_proj,
/// add, norm, gate/up, gate, down_proj, add): each product hands its blocks of finished rows, while they are in cache,
/// to the residual add and RMSNorm, the gate, or the last residual add (<see cref="SixTermGemm.Run"/>'s row finish). Not
/// one chained region as BERT's <see cref="OutputFeedForward"/>: at Qwen2.5-0.5B's shapes that measured 4–12% more CPU
/// a batch than the ops one by one, this 0–9% less. The same bits as <see cref="Linear"/>, a vector add,
/// <see cref="RmsNorm.Forward"/>, <see cref="Linear"/>, <see cref="GatedActivation.Forward"/>, <see cref="Linear"/> and a
/// vector add one after another (each step is row-local and calls the op's own row kernel). Inference only.
/// </summary>
internal static unsafe class DecoderOutputFeedForward
{
    /// <summary>
    /// Whether <see cref="Forward"/> runs here: the six-term product on (<see cref="SixTermGemm.Enabled"/>),
    /// the managed backend holding all three weights packed with their shapes (Wo [C, A], the stacked gate and up
    /// [2I, C], Wd [C, I]), each multiplied from its pieces (<see cref="ManagedGemm.MultipliesOnSixTerms"/>).
    /// </summary>
    internal static bool Runs(PackedMatrix? output, PackedMatrix? gateUp, PackedMatrix? down, int attnWidth, int c, int inter) =>
        SixTermGemm.Enabled && Blas.Backend is ManagedGemm managed && inter > 0
        && output is not null && gateUp is not null && down is not null && managed.Accepts(output) && managed.Accepts(gateUp)
        && managed.Accepts(down) && ManagedGemm.MultipliesOnSixTerms(output) && ManagedGemm.MultipliesOnSixTerms(gateUp)
        && ManagedGemm.MultipliesOnSixTerms(down) && output.N == c && output.K == attnWidth && gateUp.N == 2 * inter
        && gateUp.K == c && down.N == c && down.K == inter;

    [ThreadStatic] private static long calls;

    /// <summary>Blocks this thread has run through <see cref="Forward"/>: what a model-level test reads to know that its
    /// layers took the fused pass (per thread, so that parallel test classes do not count for each other).</summary>
    internal static long Calls => calls;

    /// <summary>The buffers of one call: ctx [n, attnWidth]; x, h, normed, y [n, c]; rstd [n]; gateUp [n, 2·inter]; mid [n, inter].</summary>
    internal readonly ref struct Buffers(ReadOnlySpan<float> ctx, ReadOnlySpan<float> x, Span<float> h, Span<float> normed,
        Span<float> rstd, Span<float> gateUp, Span<float> mid, Span<float> y)
    {
        public readonly ReadOnlySpan<float> Ctx = ctx, X = x;
        public readonly Span<float> H = h, Normed = normed, Rstd = rstd, GateUp = gateUp, Mid = mid, Y = y;
    }

    /// <summary>
    /// h, normed (RmsNorm(h) with <paramref name="norm"/> and <paramref name="eps"/>, its rstd kept), gateUp, mid and y as
    /// above for <paramref name="n"/> rows (biases [out] or empty). Only where <see cref="Runs"/> says so.
    /// </summary>
    internal static void Forward(int n, int attnWidth, int c, int inter, in Buffers b,
        PackedMatrix wo, ReadOnlySpan<float> biasO, ReadOnlySpan<float> norm, float eps,
        PackedMatrix wgu, ReadOnlySpan<float> biasGu, GateFunction f, PackedMatrix wd, ReadOnlySpan<float> biasD)
    {
        if (!Runs(wo, wgu, wd, attnWidth, c, inter)) throw new InvalidOperationException("DecoderOutputFeedForward does not run here.");
        long rows = (long)n * c, wide = (long)n * inter;
        if (b.Ctx.Length < (long)n * attnWidth || b.X.Length < rows || b.H.Length < rows || b.Normed.Length < rows
            || b.Y.Length < rows || b.Rstd.Length < n || b.GateUp.Length < 2 * wide || b.Mid.Length < wide)
            throw new ArgumentException($"ctx needs {(long)n * attnWidth} elements, x, h, normed, y {rows}, rstd {n}, gateUp {2 * wide}, mid {wide}.");
        if ((!biasO.IsEmpty && biasO.Length < c) || (!biasGu.IsEmpty && biasGu.Length < 2 * inter)
            || (!biasD.IsEmpty && biasD.Length < c) || norm.Length < c)
            throw new ArgumentException("biases and the norm's weight need their layer's width (biases may be empty).");
        fixed (float* pctx = b.Ctx, px = b.X, ph = b.H, pn = b.Normed, pr = b.Rstd, pgu = b.GateUp, pmid = b.Mid, py = b.Y)
        fixed (float* bo = biasO, pw = norm, bgu = biasGu, bd = biasD)
        {
            var first = new AddNorm { H = ph, X = px, Normed = pn, Rstd = pr, Weight = pw, Cols = c, Eps = eps };
            var second = new Gate { GateUp = pgu, Mid = pmid, Cols = inter, Function = f };
            var third = new Residual { Y = py, H = ph, Cols = c };
            // Three regions, each product's row finish on its rows while they are in cache, not one chained region
            // (SixTermGemm.RunChain, BERT's): with 83 MB of a layer's weight pieces, threads out of step stream different
            // weights, where in a product's own region both read the same panels at once (docs/performance.md, 2026-12-07 17:00).
            SixTermGemm.Run(n, b.Ctx, attnWidth, wo.SixTerm, biasO, b.H, c, null, &AddNormRows, &first);
            SixTermGemm.Run(n, b.Normed, c, wgu.SixTerm, biasGu, b.GateUp, 2 * inter, null, &GateRows, &second);
            SixTermGemm.Run(n, b.Mid, inter, wd.SixTerm, biasD, b.Y, c, null, &ResidualRows, &third);
        }
        GC.KeepAlive(wo);
        GC.KeepAlive(wgu);
        GC.KeepAlive(wd);
        calls++;
    }

    // The first product's finish: what lives on the caller's stack for the region.
    private struct AddNorm
    {
        public float* H, X, Normed, Rstd, Weight;
        public int Cols;
        public float Eps;
    }

    private struct Gate
    {
        public float* GateUp, Mid;
        public int Cols;
        public GateFunction Function;
    }

    private struct Residual
    {
        public float* Y, H;
        public int Cols;
    }

    // Rows [r0, r1) of h = ctx·Woᵀ (+ bo) + x (in place), then their RMSNorm into normed.
    private static void AddNormRows(void* context, int r0, int r1)
    {
        var a = (AddNorm*)context;
        int cols = a->Cols;
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * cols;
            var h = new Span<float>(a->H + o, cols);
            TensorPrimitives.Add(h, new ReadOnlySpan<float>(a->X + o, cols), h);
            RmsNorm.ForwardRow(a->H + o, a->Weight, a->Normed + o, a->Rstd + r, cols, a->Eps, 0f);
        }
    }

    // Rows [r0, r1) of mid = f(gate) ⊙ up from the stacked product's [gate | up] row.
    private static void GateRows(void* context, int r0, int r1)
    {
        var g = (Gate*)context;
        int cols = g->Cols;
        for (int r = r0; r < r1; r++)
        {
            float* row = g->GateUp + 2L * r * cols;
            GatedActivation.ForwardRow(row, row + cols, g->Mid + (long)r * cols, cols, g->Function);
        }
    }

    // Rows [r0, r1) of y = mid·Wdᵀ (+ bd) + h (in place).
    private static void ResidualRows(void* context, int r0, int r1)
    {
        var s = (Residual*)context;
        long o = (long)r0 * s->Cols, count = (long)(r1 - r0) * s->Cols;
        var y = new Span<float>(s->Y + o, (int)count);
        TensorPrimitives.Add(y, new ReadOnlySpan<float>(s->H + o, (int)count), y);
    }
}
