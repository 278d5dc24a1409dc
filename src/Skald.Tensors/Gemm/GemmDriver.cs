using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Gemm;

/// <summary>A micro-kernel with its tile (MR×NR) and cache-block sizes (KC: depth, MC: rows of A, NC: columns of B).</summary>
internal readonly unsafe struct KernelSpec(
    string name, int mr, int nr, int kcBlock, int mcBlock, int ncBlock,
    delegate*<int, float*, float*, float*, int, float, void> kernel)
{
    public readonly string Name = name;
    public readonly int MR = mr;
    public readonly int NR = nr;
    public readonly int KC = kcBlock;
    public readonly int MC = mcBlock;
    public readonly int NC = ncBlock;
    public readonly delegate*<int, float*, float*, float*, int, float, void> Kernel = kernel;
}

/// <summary>
/// The operands of one product, as raw pointers (row-major, BLAS semantics). B is float32 (<see cref="B"/>) or, when
/// <see cref="B16"/> is set, bfloat16 widened while packing.
/// </summary>
internal unsafe struct GemmArgs
{
    public bool TransA, TransB;
    public int M, N, K, Lda, Ldb, Ldc;
    public float Alpha, Beta;
    public float* A, B, C;
    public ushort* B16;
}

/// <summary>
/// Single-threaded blocked GEMM (Goto/BLIS loop nest): for each NC-wide column block and KC-deep slice, pack op(B) into
/// NR-wide micro-panels (kept in L2), then for each MC-row block pack op(A)·alpha into MR-row micro-panels and sweep
/// the micro-kernel over the tiles. Edge tiles go through a scratch tile. Packing buffers are per-thread and pinned,
/// so steady-state calls allocate nothing.
/// </summary>
internal static unsafe partial class GemmDriver
{
    [ThreadStatic] private static Workspace? workspace;

    /// <summary>Computes rows [m0, m1) × columns [n0, n1) of C.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Run(in KernelSpec spec, in GemmArgs g, int m0, int m1, int n0, int n1)
    {
        if (m1 <= m0 || n1 <= n0) return;
        if (g.K == 0 || g.Alpha == 0f)
        {
            GemmChecks.ScaleC(m1 - m0, n1 - n0, g.Beta, g.C + (long)m0 * g.Ldc + n0, g.Ldc);
            return;
        }
        var ws = workspace ??= new Workspace();
        int nr = spec.NR, mr = spec.MR;
        float* packA = ws.Get(spec.KC * spec.MC, spec.KC * spec.NC, mr * nr, out float* packB, out float* tile);
        for (int jc = n0; jc < n1; jc += spec.NC)
        {
            int nc = Math.Min(spec.NC, n1 - jc);
            for (int pc = 0; pc < g.K; pc += spec.KC)
            {
                int kc = Math.Min(spec.KC, g.K - pc);
                if (g.B16 == null) PackB(g, pc, kc, jc, nc, packB, nr);
                else PackB16(g, pc, kc, jc, nc, packB, nr);
                float beta = pc == 0 ? g.Beta : 1f;
                for (int ic = m0; ic < m1; ic += spec.MC)
                {
                    int mc = Math.Min(spec.MC, m1 - ic);
                    PackA(g, ic, mc, pc, kc, packA, mr);
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        float* ap = packA + (long)ir * kc;
                        float* cRow = g.C + (long)(ic + ir) * g.Ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            float* bp = packB + (long)jr * kc;
                            if (rows == mr && cols == nr)
                            {
                                spec.Kernel(kc, ap, bp, cRow + jr, g.Ldc, beta);
                            }
                            else
                            {
                                spec.Kernel(kc, ap, bp, tile, nr, 0f);
                                MergeEdge(tile, nr, cRow + jr, g.Ldc, rows, cols, beta);
                            }
                        }
                    }
                }
            }
        }
    }

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

    /// <summary>Packs alpha·op(A)[i0.., p0..] (mc×kc) into MR-row micro-panels laid out [kc][MR], zero-padded.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackA(in GemmArgs g, int i0, int mc, int p0, int kc, float* dst, int mr)
    {
        float alpha = g.Alpha;
        for (int ir = 0; ir < mc; ir += mr, dst += (long)mr * kc)
        {
            int rows = Math.Min(mr, mc - ir);
            if (!g.TransA)
            {
                // A[i, p] = a[i·lda + p]: 8-row groups by 8×8 AVX transposes, remaining rows scalar.
                int r8 = 0;
                if (Avx.IsSupported)
                {
                    int kc8 = kc & ~7;
                    for (; r8 + 8 <= rows; r8 += 8)
                    {
                        float* src = g.A + (long)(i0 + ir + r8) * g.Lda + p0;
                        for (int p = 0; p < kc8; p += 8) Transpose8x8(src + p, g.Lda, dst + p * mr + r8, mr, alpha);
                        for (int r = r8; r < r8 + 8; r++)
                        {
                            float* s = g.A + (long)(i0 + ir + r) * g.Lda + p0;
                            for (int p = kc8; p < kc; p++) dst[p * mr + r] = alpha * s[p];
                        }
                    }
                }
                for (int r = r8; r < rows; r++)
                {
                    float* src = g.A + (long)(i0 + ir + r) * g.Lda + p0;
                    float* d = dst + r;
                    if (alpha == 1f)
                        for (int p = 0; p < kc; p++) d[p * mr] = src[p];
                    else
                        for (int p = 0; p < kc; p++) d[p * mr] = alpha * src[p];
                }
            }
            else
            {
                // A[i, p] = a[p·lda + i]: each p contributes MR contiguous values.
                for (int p = 0; p < kc; p++)
                {
                    float* src = g.A + (long)(p0 + p) * g.Lda + i0 + ir;
                    float* d = dst + p * mr;
                    for (int r = 0; r < rows; r++) d[r] = alpha * src[r];
                }
            }
            if (rows < mr)
            {
                for (int p = 0; p < kc; p++)
                    for (int r = rows; r < mr; r++) dst[p * mr + r] = 0f;
            }
        }
    }

    /// <summary>Packs op(B)[p0.., j0..] (kc×nc) into NR-column micro-panels laid out [kc][NR], zero-padded.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackB(in GemmArgs g, int p0, int kc, int j0, int nc, float* dst, int nr)
    {
        for (int jr = 0; jr < nc; jr += nr, dst += (long)nr * kc)
        {
            int cols = Math.Min(nr, nc - jr);
            if (!g.TransB)
            {
                // B[p, j] = b[p·ldb + j]: contiguous rows.
                for (int p = 0; p < kc; p++)
                {
                    float* src = g.B + (long)(p0 + p) * g.Ldb + j0 + jr;
                    float* d = dst + p * nr;
                    if (cols == nr) Unsafe.CopyBlockUnaligned(d, src, (uint)(nr * sizeof(float)));
                    else
                    {
                        for (int j = 0; j < cols; j++) d[j] = src[j];
                        for (int j = cols; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // B[p, j] = b[j·ldb + p]: transpose 8×8 blocks with AVX where possible, scalar elsewhere.
                int j8 = 0;
                if (Avx.IsSupported)
                {
                    int kc8 = kc & ~7;
                    for (; j8 + 8 <= cols; j8 += 8)
                    {
                        float* src = g.B + (long)(j0 + jr + j8) * g.Ldb + p0;
                        for (int p = 0; p < kc8; p += 8) Transpose8x8(src + p, g.Ldb, dst + p * nr + j8, nr, 1f);
                        for (int j = j8; j < j8 + 8; j++)
                        {
                            float* s = g.B + (long)(j0 + jr + j) * g.Ldb + p0;
                            for (int p = kc8; p < kc; p++) dst[p * nr + j] = s[p];
                        }
                    }
                }
                for (int j = j8; j < cols; j++)
                {
                    float* src = g.B + (long)(j0 + jr + j) * g.Ldb + p0;
                    float* d = dst + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = src[p];
                }
                if (cols < nr)
                {
                    for (int p = 0; p < kc; p++)
                        for (int j = cols; j < nr; j++) dst[p * nr + j] = 0f;
                }
            }
        }
    }

    /// <summary>dst[p·ldd + j] = alpha·src[j·lds + p] for an 8×8 block (AVX unpack/shuffle/permute transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int lds, float* dst, int ldd, float alpha)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds);
        var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds);
        var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds);
        var r7 = Avx.LoadVector256(src + 7 * lds);
        if (alpha != 1f)
        {
            // Scaling before the shuffles multiplies every value once, as scaling after them would.
            var av = Vector256.Create(alpha);
            r0 *= av;
            r1 *= av;
            r2 *= av;
            r3 *= av;
            r4 *= av;
            r5 *= av;
            r6 *= av;
            r7 *= av;
        }
        StoreTransposed(r0, r1, r2, r3, r4, r5, r6, r7, dst, ldd);
    }

    /// <summary>Stores the 8×8 block whose rows are r0…r7 transposed: dst[p·ldd + j] = r_j[p] (the packers' one transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTransposed(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, int ldd)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
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
