namespace Skald.Tensors.Gemm;

// ManagedGemm, continued: splitting a product over threads (row or column blocks, the dot path's column quads).
public sealed unsafe partial class ManagedGemm
{
    private static GemmArgs Offset(GemmArgs g, int i, long strideA, long strideB, long strideC)
    {
        g.A += i * strideA;
        g.B += i * strideB;
        g.C += i * strideC;
        return g;
    }

    private void Run(GemmArgs g, int threads)
    {
        var s = spec;
        long work = (long)g.M * g.N * g.K;
        if (g.PackedB == null && DotGemm.Applicable(g, Kernel))
        {
            int quads = (g.N + 3) / 4;
            int dotThreads = work < ParallelThreshold ? 1 : Math.Min(threads, quads);
            ParallelRanges(quads, 1, dotThreads, true, new Region { G = g, Kernel = Kernel },
                static (in Region r, int q0, int q1) => DotGemm.Run(r.G, r.Kernel, q0 * 4, Math.Min(r.G.N, q1 * 4)));
            return;
        }
        if (threads <= 1 || work < ParallelThreshold || IntraOpPool.InRegion) // nested in a region: inline, no closure
        {
            GemmDriver.Run(s, g, 0, g.M, 0, g.N);
            return;
        }
        // Split the larger side of C into per-thread blocks aligned to the register tile; each thread packs its own
        // panels (duplicating only the O(k·n) or O(k·m) packing of the shared operand).
        int mr = s.MR, nr = s.NR;
        bool splitRows = g.M >= g.N || g.RowsDone != null;
        int units = splitRows ? (g.M + mr - 1) / mr : (g.N + nr - 1) / nr;
        int parts = Math.Min(threads, units);
        if (parts <= 1)
        {
            GemmDriver.Run(s, g, 0, g.M, 0, g.N);
            return;
        }
        // Guided chunks only for a pre-packed B: unpacked, every chunk packs its own panels of the shared operand, and
        // guided's extra tail chunks doubled that packing in a training step (PackB 10% of its CPU).
        ParallelRanges(units, 1, parts, g.PackedB != null, new Region { Spec = s, G = g, SplitRows = splitRows },
            static (in Region r, int u0, int u1) =>
            {
                int mr = r.Spec.MR, nr = r.Spec.NR;
                if (r.SplitRows) GemmDriver.Run(r.Spec, r.G, u0 * mr, Math.Min(r.G.M, u1 * mr), 0, r.G.N);
                else GemmDriver.Run(r.Spec, r.G, 0, r.G.M, u0 * nr, Math.Min(r.G.N, u1 * nr));
            });
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ParallelRanges(int count, int minPerThread, int threads, bool guided, in Region region,
        RangeBody<Region> body)
    {
        int parts = Math.Max(1, Math.Min(threads, count / Math.Max(1, minPerThread)));
        if (parts == 1)
        {
            body(in region, 0, count);
            return;
        }
        Parallelism.Chunked(count, parts, count / Math.Max(1, minPerThread), in region, body, guided);
    }

    /// <summary>A parallel product's arguments, handed to its static bodies (no closure per call): the product, the
    /// tile spec, and what the body needs of the call (how units map to C's blocks, a batch's strides).</summary>
    private struct Region
    {
        public KernelSpec Spec;
        public GemmArgs G;
        public ManagedGemmKernel Kernel;
        public bool SplitRows;
        public long StrideA, StrideB, StrideC;
    }
}
