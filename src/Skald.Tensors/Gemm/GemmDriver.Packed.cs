using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

internal static unsafe partial class GemmDriver
{
    /// <summary>
    /// <see cref="Run"/> for a pre-packed B, loops reordered for it: per MC-row block of A and KC slice, A is packed
    /// once and the B micro-panels of every column in [n0, n1) sweep over it (the unpacked order packs A once per
    /// NC-wide column block, so a product N = 1536 wide packed its activations three times). When the kernel has a
    /// direct variant (<see cref="KernelSpec.Direct"/>), A is row-major and alpha is 1 (inference Linear layers), A is
    /// not packed at all: per block of <see cref="DirectPanels"/> B panels (in L2), each 12-row A tile is read in place
    /// (in L1) against them; only a last partial row panel is packed. Each C element still gets
    /// its KC slices in order, each one FMA chain in k order, so the result is bit-identical to <see cref="Run"/>.
    /// With <see cref="GemmArgs.Bias"/> C starts as the bias row (each tile filled just before its first slice, while
    /// in cache); <see cref="GemmArgs.RowsDone"/> is called once per row block after its last slice (the caller passes
    /// all N columns so the rows are final).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void RunPacked(in KernelSpec spec, in GemmArgs g, int m0, int m1, int n0, int n1)
    {
        var ws = workspace ??= new Workspace();
        int nr = spec.NR, mr = spec.MR;
        int mcMax = Math.Min(spec.MC, (m1 - m0 + mr - 1) / mr * mr);
        float* packA = ws.Get(spec.KC * mcMax, 0, mr * nr, out _, out float* tile);
        long panelStride = (long)g.K * nr;
        for (int ic = m0; ic < m1; ic += spec.MC)
        {
            int mc = Math.Min(spec.MC, m1 - ic);
            // Whole MR-row panels of a row-major A with alpha 1 are read in place by the direct kernel (same bits, no
            // packing); only a last partial panel is packed (zero-padded), at the start of packA.
            int direct = ReadsAInPlace(spec, g) ? mc / mr * mr : 0;
            for (int pc = 0; pc < g.K; pc += spec.KC)
            {
                int kc = Math.Min(spec.KC, g.K - pc);
                if (direct < mc) PackA(g, ic + direct, mc - direct, pc, kc, packA, mr);
                bool fillBias = pc == 0 && g.Bias != null;
                float beta = pc == 0 ? (g.Bias != null ? 1f : g.Beta) : 1f;
                var epilogue = pc + kc >= g.K ? g.Epilogue : null; // after the last slice only
                float* bBlock = g.PackedB + (long)pc * nr;
                Sweep(spec, g, ic, mc, direct, pc, kc, bBlock + n0 / nr * panelStride, panelStride, n0, n1 - n0, beta,
                    fillBias, epilogue, packA, tile);
            }
            if (g.RowsDone != null) g.RowsDone(g.RowsDoneContext, ic, ic + mc);
        }
    }

    /// <summary>
    /// One MC-row block × KC slice against B panels (panel x/NR of the columns [j0, j0 + nc) at bBase + x/NR·panelStride):
    /// rows [ic, ic + direct) as whole MR-row tiles of A read in place (per block of <see cref="DirectPanels"/> panels,
    /// each A tile sweeping them), rows [ic + direct, ic + mc) from the packed panels at packA (direct = 0: all packed,
    /// each B panel sweeping the A panels). C starts as the bias row first when fillBias.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Sweep(in KernelSpec spec, in GemmArgs g, int ic, int mc, int direct, int pc, int kc, float* bBase,
        long panelStride, int j0, int nc, float beta, bool fillBias, delegate*<float*, int, int, int, void> epilogue,
        float* packA, float* tile)
    {
        int nr = spec.NR, mr = spec.MR;
        float* aBlock = g.A + (long)ic * g.Lda + pc;
        float* cBlock = g.C + (long)ic * g.Ldc + j0;
        for (int jb = 0, jbEnd; jb < nc; jb = jbEnd)
        {
            jbEnd = direct > 0 ? Math.Min(nc, jb + DirectPanels * nr) : nc;
            for (int ir = 0; ir < direct; ir += mr)
            {
                float* ar = aBlock + (long)ir * g.Lda;
                for (int jr = jb; jr < jbEnd; jr += nr)
                {
                    int cols = Math.Min(nr, nc - jr);
                    float* c = cBlock + (long)ir * g.Ldc + jr;
                    float* bias = fillBias ? g.Bias + j0 + jr : null;
                    DirectTile(spec, kc, ar, g.Lda, bBase + jr / nr * panelStride, c, g.Ldc, cols, beta, bias, tile, epilogue);
                }
            }
            for (int jr = jb; jr < jbEnd; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                float* bp = bBase + jr / nr * panelStride;
                for (int ir = direct; ir < mc; ir += mr)
                {
                    int rows = Math.Min(mr, mc - ir);
                    float* c = cBlock + (long)ir * g.Ldc + jr;
                    if (fillBias) FillRows(c, g.Ldc, rows, cols, g.Bias + j0 + jr);
                    Tile(spec, kc, packA + (long)(ir - direct) * kc, bp, c, g.Ldc, rows, cols, beta, tile, epilogue);
                }
            }
        }
    }

    /// <summary>
    /// B panels per block in the direct order (4 × KC 1024 × 32 floats: 512 KB, in L2 beside the A block; 8 measured the
    /// same). Settable for bench/kernel only.
    /// </summary>
    internal static int DirectPanels = 4;

    /// <summary>
    /// <see cref="Tile"/> for MR whole rows of A read in place (row stride lda) by <see cref="KernelSpec.Direct"/>; with a
    /// <paramref name="bias"/> row, C starts as it (a full tile: added in the kernel's store, beta ignored; an edge tile:
    /// filled first, then beta 1).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void DirectTile(in KernelSpec spec, int kc, float* a, int lda, float* bp, float* c, int ldc, int cols,
        float beta, float* bias, float* tile, delegate*<float*, int, int, int, void> epilogue)
    {
        if (cols == spec.NR)
        {
            spec.Direct(kc, a, lda, bp, c, ldc, beta, bias);
        }
        else
        {
            if (bias != null) FillRows(c, ldc, spec.MR, cols, bias);
            spec.Direct(kc, a, lda, bp, tile, spec.NR, 0f, null);
            MergeEdge(tile, spec.NR, c, ldc, spec.MR, cols, beta);
        }
        if (epilogue != null) ApplyEpilogue(epilogue, c, ldc, spec.MR, cols);
    }

    /// <summary>Rows × cols of C (row stride ldc) := the row <paramref name="bias"/>.</summary>
    private static void FillRows(float* c, int ldc, int rows, int cols, float* bias)
    {
        if (cols == 32 && Vector512.IsHardwareAccelerated)
        {
            // The whole AVX-512 tile: two vector stores per row (no copy call per 128-byte row).
            var lo = Vector512.Load(bias);
            var hi = Vector512.Load(bias + 16);
            for (int r = 0; r < rows; r++)
            {
                lo.Store(c + (long)r * ldc);
                hi.Store(c + (long)r * ldc + 16);
            }
            return;
        }
        var src = new ReadOnlySpan<float>(bias, cols);
        for (int r = 0; r < rows; r++) src.CopyTo(new Span<float>(c + (long)r * ldc, cols));
    }
}
