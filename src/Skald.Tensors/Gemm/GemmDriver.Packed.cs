using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

internal static unsafe partial class GemmDriver
{
    /// <summary>
    /// <see cref="Run"/> for a pre-packed B, loops reordered for it: per MC-row block of A and KC slice, A is packed
    /// once and the B micro-panels of every column in [n0, n1) sweep over it (the unpacked order packs A once per
    /// NC-wide column block, so a product N = 1536 wide packed its activations three times). Each C element still gets
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
            for (int pc = 0; pc < g.K; pc += spec.KC)
            {
                int kc = Math.Min(spec.KC, g.K - pc);
                PackA(g, ic, mc, pc, kc, packA, mr);
                bool fillBias = pc == 0 && g.Bias != null;
                float beta = pc == 0 ? (g.Bias != null ? 1f : g.Beta) : 1f;
                var epilogue = pc + kc >= g.K ? g.Epilogue : null; // after the last slice only
                float* bBlock = g.PackedB + (long)pc * nr;
                for (int jr = n0; jr < n1; jr += nr)
                {
                    int cols = Math.Min(nr, n1 - jr);
                    float* bp = bBlock + jr / nr * panelStride;
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        float* ap = packA + (long)ir * kc;
                        float* c = g.C + (long)(ic + ir) * g.Ldc + jr;
                        if (fillBias) FillRows(c, g.Ldc, rows, cols, g.Bias + jr);
                        Tile(spec, kc, ap, bp, c, g.Ldc, rows, cols, beta, tile, epilogue);
                    }
                }
            }
            if (g.RowsDone != null) g.RowsDone(g.RowsDoneContext, ic, ic + mc);
        }
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
