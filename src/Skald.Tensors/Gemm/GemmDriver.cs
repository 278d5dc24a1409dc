using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Skald.Tensors.Gemm;

/// <summary>A micro-kernel with its tile (MR×NR) and cache-block sizes (KC: depth, MC: rows of A, NC: columns of B).</summary>
internal readonly unsafe struct KernelSpec(
    string name, int mr, int nr, int kcBlock, int mcBlock, int ncBlock,
    delegate*<int, float*, float*, float*, int, float, void> kernel,
    delegate*<int, float*, nint, float*, float*, int, float, float*, void> direct = null)
{
    public readonly string Name = name;
    public readonly int MR = mr;
    public readonly int NR = nr;
    public readonly int KC = kcBlock;
    public readonly int MC = mcBlock;
    public readonly int NC = ncBlock;
    public readonly delegate*<int, float*, float*, float*, int, float, void> Kernel = kernel;

    /// <summary>
    /// The same tile reading A in place (kc, a, lda, b, c, ldc, beta: MR whole rows of row-major A, alpha 1) with the
    /// same FMA order, so the bits equal <see cref="Kernel"/>'s on the packed panel; null when the kernel has none.
    /// </summary>
    public readonly delegate*<int, float*, nint, float*, float*, int, float, float*, void> Direct = direct;
}

/// <summary>
/// The operands of one product, as raw pointers (row-major, BLAS semantics). B is float32 (<see cref="B"/>) or, when
/// <see cref="B16"/> is set, bfloat16 (float16 with <see cref="B16Half"/>) widened while packing, or, when <see cref="PackedB"/> is set, already packed in
/// the kernel's panel layout (<see cref="PackedMatrix"/>: NR-wide panels of all K rows, panel j at j·K·NR). When
/// <see cref="Epilogue"/> is set, it maps every finished row segment of C in place (x, y, count), while the tile is
/// still in cache (a fused activation: the same result as mapping C afterwards).
/// </summary>
internal unsafe struct GemmArgs
{
    public bool TransA, TransB;
    public int M, N, K, Lda, Ldb, Ldc;
    public float Alpha, Beta;
    public float* A, B, C;
    public ushort* B16;
    public bool B16Half;
    public float* PackedB;
    public delegate*<float*, int, int, int, void> Epilogue; // in place on a finished tile: (c, ldc, rows, cols)

    /// <summary>When set, C starts as this row of N values on every row (beta is ignored), placed in each tile just
    /// before its first K slice: the same as copying it into each row of C and running with beta 1.</summary>
    public float* Bias;

    /// <summary>Pre-packed B only: called as (<see cref="RowsDoneContext"/>, row0, row1) once rows [row0, row1) of C
    /// are final (all N columns, every K slice, the epilogue applied); the caller must let one thread own whole rows.</summary>
    public delegate*<void*, int, int, void> RowsDone;

    /// <summary>The first argument of <see cref="RowsDone"/>.</summary>
    public void* RowsDoneContext;
}

/// <summary>
/// Single-threaded blocked GEMM (Goto/BLIS loop nest): for each NC-wide column block and KC-deep slice, pack op(B) into
/// NR-wide micro-panels (or point into the pre-packed B), then for each MC-row block pack op(A)·alpha into MR-row
/// micro-panels (kept in L2) and, per B micro-panel (kept in L1), sweep the micro-kernel down the A panels. Edge tiles
/// go through a scratch tile. Every C element is one FMA chain per KC slice in k order, the slices added in order, so
/// the result does not depend on the tile, the thread split or whether B was pre-packed. Packing buffers are
/// per-thread and pinned, so steady-state calls allocate nothing.
/// </summary>
internal static unsafe partial class GemmDriver
{
    [ThreadStatic] private static Workspace? workspace;

    /// <summary>Whether kernels with a <see cref="KernelSpec.Direct"/> variant read a row-major A in place (alpha 1);
    /// off: A is always packed (the same bits; for tests and side-by-side measurement).</summary>
    internal static bool ReadAInPlace = true;

    /// <summary>Computes rows [m0, m1) × columns [n0, n1) of C; n0 is a multiple of NR when B is pre-packed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Run(in KernelSpec spec, in GemmArgs g, int m0, int m1, int n0, int n1)
    {
        if (m1 <= m0 || n1 <= n0) return;
        if (g.K == 0 || g.Alpha == 0f)
        {
            float* c0 = g.C + (long)m0 * g.Ldc + n0;
            if (g.Bias != null) FillRows(c0, g.Ldc, m1 - m0, n1 - n0, g.Bias + n0);
            else GemmChecks.ScaleC(m1 - m0, n1 - n0, g.Beta, c0, g.Ldc);
            if (g.Epilogue != null) ApplyEpilogue(g.Epilogue, c0, g.Ldc, m1 - m0, n1 - n0);
            if (g.RowsDone != null) g.RowsDone(g.RowsDoneContext, m0, m1);
            return;
        }
        if (g.PackedB != null)
        {
            RunPacked(spec, g, m0, m1, n0, n1);
            return;
        }
        var ws = workspace ??= new Workspace();
        int nr = spec.NR, mr = spec.MR;
        int mcMax = Math.Min(spec.MC, (m1 - m0 + mr - 1) / mr * mr);
        int ncMax = Math.Min(spec.NC, (n1 - n0 + nr - 1) / nr * nr);
        float* packA = ws.Get(spec.KC * mcMax, spec.KC * ncMax, mr * nr, out float* packB, out float* tile);
        bool directA = ReadsAInPlace(spec, g);
        for (int jc = n0; jc < n1; jc += spec.NC)
        {
            int nc = Math.Min(spec.NC, n1 - jc);
            for (int pc = 0; pc < g.K; pc += spec.KC)
            {
                int kc = Math.Min(spec.KC, g.K - pc);
                if (g.B16 == null) PackB(g, pc, kc, jc, nc, packB, nr);
                else PackB16(g, pc, kc, jc, nc, packB, nr);
                float* bBlock = packB;
                long panelStride = (long)kc * nr;
                bool fillBias = pc == 0 && g.Bias != null;
                float beta = pc == 0 ? (g.Bias != null ? 1f : g.Beta) : 1f;
                var epilogue = pc + kc >= g.K ? g.Epilogue : null; // after the last slice only
                for (int ic = m0; ic < m1; ic += spec.MC)
                {
                    int mc = Math.Min(spec.MC, m1 - ic);
                    // Whole row panels of a row-major A with alpha 1 are read in place (see RunPacked).
                    int direct = directA ? mc / mr * mr : 0;
                    if (direct < mc) PackA(g, ic + direct, mc - direct, pc, kc, packA, mr);
                    Sweep(spec, g, ic, mc, direct, pc, kc, bBlock, panelStride, jc, nc, beta, fillBias, epilogue, packA, tile);
                }
            }
        }
    }

    /// <summary>
    /// Whether the direct kernel reads A in place: row-major A, alpha 1, and a row stride that is not a multiple of
    /// 4 KB (1024 floats; such rows all fall in the same L1 sets, and measured slower than packing: BERT-base's
    /// intermediate width 3072).
    /// </summary>
    private static bool ReadsAInPlace(in KernelSpec spec, in GemmArgs g) =>
        spec.Direct != null && ReadAInPlace && !g.TransA && g.Alpha == 1f && g.Lda % 1024 != 0;

    /// <summary>
    /// One register tile: C[rows, cols] (row stride ldc) = beta·C + A-panel · B-panel over kc, straight into C when the tile
    /// is full, else through <paramref name="tile"/> [mr · nr] and merged; then the epilogue, if any, over the tile.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Tile(in KernelSpec spec, int kc, float* ap, float* bp, float* c, int ldc, int rows, int cols,
        float beta, float* tile, delegate*<float*, int, int, int, void> epilogue)
    {
        if (rows == spec.MR && cols == spec.NR)
        {
            spec.Kernel(kc, ap, bp, c, ldc, beta);
        }
        else
        {
            spec.Kernel(kc, ap, bp, tile, spec.NR, 0f);
            MergeEdge(tile, spec.NR, c, ldc, rows, cols, beta);
        }
        if (epilogue != null) ApplyEpilogue(epilogue, c, ldc, rows, cols);
    }

    /// <summary>Maps rows × cols of C (row stride ldc) in place: one call per tile (a call per 32-float row cost the
    /// GELU epilogue as much again as its arithmetic).</summary>
    private static void ApplyEpilogue(delegate*<float*, int, int, int, void> f, float* c, int ldc, int rows, int cols) =>
        f(c, ldc, rows, cols);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdge(float* tile, int nr, float* c, int ldc, int rows, int cols, float beta)
    {
        for (int r = 0; r < rows; r++)
        {
            float* src = tile + r * nr;
            float* dst = c + (long)r * ldc;
            if (beta == 0f)
                for (int j = 0; j < cols; j++) dst[j] = src[j];
            else if (beta == 1f)
                for (int j = 0; j < cols; j++) dst[j] += src[j];
            else
                for (int j = 0; j < cols; j++) dst[j] = beta * dst[j] + src[j];
        }
    }

    /// <summary>Per-thread pinned packing buffers, 64-byte aligned, grown on demand and then reused.</summary>
    private sealed class Workspace
    {
        private float[]? buffer;
        private float* aligned;
        private int sizeA, sizeB, sizeTile;

        public float* Get(int needA, int needB, int needTile, out float* packB, out float* tile)
        {
            if (buffer is null || needA > sizeA || needB > sizeB || needTile > sizeTile)
            {
                sizeA = Math.Max(needA, sizeA);
                sizeB = Math.Max(needB, sizeB);
                sizeTile = Math.Max(needTile, sizeTile);
                int total = Round16(sizeA) + Round16(sizeB) + Round16(sizeTile) + 16;
                buffer = GC.AllocateUninitializedArray<float>(total, pinned: true);
                nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
                aligned = (float*)((p + 63) & ~(nint)63);
            }
            packB = aligned + Round16(sizeA);
            tile = packB + Round16(sizeB);
            return aligned;
        }

        private static int Round16(int n) => (n + 15) & ~15;
    }
}
