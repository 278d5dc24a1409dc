using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Gemm;

/// <summary>
/// Unpacked path for few rows times a transposed B (x[m, k] · W[n, k]ᵀ with small m: a decoding step of generation,
/// a short query through a Linear layer): both operands are contiguous along k, so tiles of dot products (4×4 of
/// Vector512 with the AVX-512 kernel, 4×2 of Vector256 with the AVX2 ones) run straight off the stored rows, and the
/// weight matrix is streamed once instead of being packed (packing reads and writes it once more per call: a decoding
/// step took 2.2–3× as long that way, bench/kernel dot). A bfloat16 or float16 weight (<see cref="GemmArgs.B16"/>) is
/// widened in registers as it is read (exact), so its products equal those of the widened float32 weight bit for bit
/// while reading half the bytes.
/// </summary>
/// <remarks>
/// Every element is one chain of fused multiply-adds per lane (lane l takes k ≡ l mod the lane count, in increasing
/// k), the lanes' <c>Sum</c>, then the tail one product at a time, whatever m is and wherever the row sits in a tile:
/// a row gives the same bits alone as in a batch (generation with a batch equals each prompt on its own).
/// <para>
/// A tile reads 4 (AVX-512) or 2 weight rows side by side, a few KB each; the hardware prefetcher, which follows one
/// long stream well, does not catch such short interleaved ones in time, so each tile prefetches the next tile's rows
/// at the same k into L1 as it goes. On the Zen 5 VM that made a 4-row decoding step 1.1–1.35× faster with AVX-512
/// and 2× with the AVX2 tile (bench/kernel dot).
/// </para>
/// </remarks>
internal static unsafe class DotGemm
{
    /// <summary>Largest m routed here (measured: clearly faster at m = 16, a wash at 32, slower at 64).</summary>
    public const int MaxRows = 16;

    /// <summary>Sends every product to the packed path instead (bench/kernel's comparison); false in production.</summary>
    internal static bool Disabled;

    // Largest m routed here on this thread when above MaxRows (Tape.FewRowLinear, set around a Linear's product).
    [ThreadStatic] private static int rowsAllowed;

    /// <summary>
    /// Routes products of up to <paramref name="rows"/> rows here on this thread (at least <see cref="MaxRows"/> are
    /// anyway) until the returned value is given back to <see cref="Restore"/>.
    /// </summary>
    public static int Allow(int rows)
    {
        int was = rowsAllowed;
        rowsAllowed = rows;
        return was;
    }

    /// <summary>Ends an <see cref="Allow"/>, giving back what it returned.</summary>
    public static void Restore(int was) => rowsAllowed = was;

    /// <summary>Whether the product goes here with <paramref name="kernel"/>'s vector width.</summary>
    public static bool Applicable(in GemmArgs g, ManagedGemmKernel kernel) =>
        !g.TransA && g.TransB && g.M <= Math.Max(MaxRows, rowsAllowed) && g.K >= 64 && g.Alpha != 0f && !Disabled
        && Lanes(kernel) > 0;

    /// <summary>16 with the AVX-512 kernel, 8 with the AVX2 ones (on a CPU with FMA), else 0 (not here).</summary>
    private static int Lanes(ManagedGemmKernel kernel) => kernel switch
    {
        ManagedGemmKernel.Vector512 when Vector512.IsHardwareAccelerated && Avx512F.IsSupported => 16,
        ManagedGemmKernel.Vector256 or ManagedGemmKernel.Vector256Wide when Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported => 8,
        _ => 0,
    };

    /// <summary>Computes columns [n0, n1) of C with <paramref name="kernel"/>'s vector width.</summary>
    public static void Run(in GemmArgs g, ManagedGemmKernel kernel, int n0, int n1)
    {
        bool wide = Lanes(kernel) == 16;
        if (g.B16 != null && g.B16Half)
        {
            if (wide) Run512<F16Rows>(g, (byte*)g.B16, n0, n1);
            else Run256<F16Rows>(g, (byte*)g.B16, n0, n1);
        }
        else if (g.B16 != null)
        {
            if (wide) Run512<Bf16Rows>(g, (byte*)g.B16, n0, n1);
            else Run256<Bf16Rows>(g, (byte*)g.B16, n0, n1);
        }
        else if (wide) Run512<F32Rows>(g, (byte*)g.B, n0, n1);
        else Run256<F32Rows>(g, (byte*)g.B, n0, n1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run512<TRows>(in GemmArgs g, byte* b, int n0, int n1) where TRows : struct, IWeightRows
    {
        int j = n0;
        for (; j + 4 <= n1; j += 4)
        {
            int i = 0;
            for (; i + 4 <= g.M; i += 4) Tile4x4V512<TRows>(g, b, i, j);
            for (; i < g.M; i++)
                for (int jj = j; jj < j + 4; jj++) Single512<TRows>(g, b, i, jj);
        }
        for (; j < n1; j++)
            for (int i = 0; i < g.M; i++) Single512<TRows>(g, b, i, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(in GemmArgs g, int i, int j, float dot)
    {
        float* c = g.C + (long)i * g.Ldc + j;
        *c = g.Beta == 0f ? g.Alpha * dot : g.Alpha * dot + g.Beta * *c;
    }

    /// <summary>Weight row j of <paramref name="b"/> (float32 or bfloat16 values, row stride ldb values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* Row<TRows>(in GemmArgs g, byte* b, int j) where TRows : struct, IWeightRows =>
        b + (long)j * g.Ldb * TRows.Bytes;

    /// <summary>One element with 16 lanes: the lane chains, their sum, the tail (the order the 4×4 tile keeps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Single512<TRows>(in GemmArgs g, byte* bm, int i, int j) where TRows : struct, IWeightRows
    {
        float* a = g.A + (long)i * g.Lda;
        byte* b = Row<TRows>(g, bm, j);
        var acc = Vector512<float>.Zero;
        int p = 0;
        for (; p + 16 <= g.K; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), TRows.Load16(b, p), acc);
        float s = Vector512.Sum(acc);
        for (; p < g.K; p++) s += a[p] * TRows.At(b, p);
        Put(g, i, j, s);
    }

    /// <summary>C[i..i+4, j..j+4] with 16-lane chains (16 accumulators, 4 rows of x, a weight row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4V512<TRows>(in GemmArgs g, byte* bm, int i, int j) where TRows : struct, IWeightRows
    {
        int k = g.K;
        float* a0 = g.A + (long)i * g.Lda, a1 = a0 + g.Lda, a2 = a1 + g.Lda, a3 = a2 + g.Lda;
        long ldb = (long)g.Ldb * TRows.Bytes, ahead = 4 * ldb; // the next quad of weight rows, at the same k
        byte* b0 = Row<TRows>(g, bm, j), b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            long at = (long)p * TRows.Bytes;
            if ((at & 63) == 0) // once per 64-byte line of each row
            {
                Sse.Prefetch0(b0 + ahead + at);
                Sse.Prefetch0(b1 + ahead + at);
                Sse.Prefetch0(b2 + ahead + at);
                Sse.Prefetch0(b3 + ahead + at);
            }
            var x0 = Vector512.Load(a0 + p);
            var x1 = Vector512.Load(a1 + p);
            var x2 = Vector512.Load(a2 + p);
            var x3 = Vector512.Load(a3 + p);
            var y0 = TRows.Load16(b0, p);
            c00 = Vector512.FusedMultiplyAdd(x0, y0, c00);
            c10 = Vector512.FusedMultiplyAdd(x1, y0, c10);
            c20 = Vector512.FusedMultiplyAdd(x2, y0, c20);
            c30 = Vector512.FusedMultiplyAdd(x3, y0, c30);
            var y1 = TRows.Load16(b1, p);
            c01 = Vector512.FusedMultiplyAdd(x0, y1, c01);
            c11 = Vector512.FusedMultiplyAdd(x1, y1, c11);
            c21 = Vector512.FusedMultiplyAdd(x2, y1, c21);
            c31 = Vector512.FusedMultiplyAdd(x3, y1, c31);
            var y2 = TRows.Load16(b2, p);
            c02 = Vector512.FusedMultiplyAdd(x0, y2, c02);
            c12 = Vector512.FusedMultiplyAdd(x1, y2, c12);
            c22 = Vector512.FusedMultiplyAdd(x2, y2, c22);
            c32 = Vector512.FusedMultiplyAdd(x3, y2, c32);
            var y3 = TRows.Load16(b3, p);
            c03 = Vector512.FusedMultiplyAdd(x0, y3, c03);
            c13 = Vector512.FusedMultiplyAdd(x1, y3, c13);
            c23 = Vector512.FusedMultiplyAdd(x2, y3, c23);
            c33 = Vector512.FusedMultiplyAdd(x3, y3, c33);
        }
        Finish4<TRows>(g, i, j, p, a0, b0, b1, b2, b3, Vector512.Sum(c00), Vector512.Sum(c01), Vector512.Sum(c02), Vector512.Sum(c03));
        Finish4<TRows>(g, i + 1, j, p, a1, b0, b1, b2, b3, Vector512.Sum(c10), Vector512.Sum(c11), Vector512.Sum(c12), Vector512.Sum(c13));
        Finish4<TRows>(g, i + 2, j, p, a2, b0, b1, b2, b3, Vector512.Sum(c20), Vector512.Sum(c21), Vector512.Sum(c22), Vector512.Sum(c23));
        Finish4<TRows>(g, i + 3, j, p, a3, b0, b1, b2, b3, Vector512.Sum(c30), Vector512.Sum(c31), Vector512.Sum(c32), Vector512.Sum(c33));
    }

    /// <summary>Row i's four sums against weight rows b0..b3: the tail from k = <paramref name="p"/> added product by product, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish4<TRows>(in GemmArgs g, int i, int j, int p, float* a, byte* b0, byte* b1, byte* b2, byte* b3,
        float s0, float s1, float s2, float s3) where TRows : struct, IWeightRows
    {
        for (; p < g.K; p++)
        {
            s0 += a[p] * TRows.At(b0, p);
            s1 += a[p] * TRows.At(b1, p);
            s2 += a[p] * TRows.At(b2, p);
            s3 += a[p] * TRows.At(b3, p);
        }
        Put(g, i, j, s0);
        Put(g, i, j + 1, s1);
        Put(g, i, j + 2, s2);
        Put(g, i, j + 3, s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run256<TRows>(in GemmArgs g, byte* b, int n0, int n1) where TRows : struct, IWeightRows
    {
        int j = n0;
        for (; j + 2 <= n1; j += 2)
        {
            int i = 0;
            for (; i + 4 <= g.M; i += 4) Tile4x2V256<TRows>(g, b, i, j);
            for (; i < g.M; i++)
            {
                Single256<TRows>(g, b, i, j);
                Single256<TRows>(g, b, i, j + 1);
            }
        }
        for (; j < n1; j++)
            for (int i = 0; i < g.M; i++) Single256<TRows>(g, b, i, j);
    }

    /// <summary>One element with 8 lanes: the lane chains, their sum, the tail (the order the 4×2 tile keeps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Single256<TRows>(in GemmArgs g, byte* bm, int i, int j) where TRows : struct, IWeightRows
    {
        float* a = g.A + (long)i * g.Lda;
        byte* b = Row<TRows>(g, bm, j);
        var acc = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= g.K; p += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + p), TRows.Load8(b, p), acc);
        float s = Vector256.Sum(acc);
        for (; p < g.K; p++) s += a[p] * TRows.At(b, p);
        Put(g, i, j, s);
    }

    /// <summary>
    /// C[i..i+4, j..j+2] with 8-lane chains (AVX2 has 16 vector registers: 8 accumulators, 4 rows of x, a weight row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2V256<TRows>(in GemmArgs g, byte* bm, int i, int j) where TRows : struct, IWeightRows
    {
        int k = g.K;
        float* a0 = g.A + (long)i * g.Lda, a1 = a0 + g.Lda, a2 = a1 + g.Lda, a3 = a2 + g.Lda;
        long ldb = (long)g.Ldb * TRows.Bytes, ahead = 2 * ldb; // the next pair of weight rows, at the same k
        byte* b0 = Row<TRows>(g, bm, j), b1 = b0 + ldb;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            long at = (long)p * TRows.Bytes;
            if ((at & 63) == 0) // once per 64-byte line of each row
            {
                Sse.Prefetch0(b0 + ahead + at);
                Sse.Prefetch0(b1 + ahead + at);
            }
            var x0 = Vector256.Load(a0 + p);
            var x1 = Vector256.Load(a1 + p);
            var x2 = Vector256.Load(a2 + p);
            var x3 = Vector256.Load(a3 + p);
            var y0 = TRows.Load8(b0, p);
            c00 = Vector256.FusedMultiplyAdd(x0, y0, c00);
            c10 = Vector256.FusedMultiplyAdd(x1, y0, c10);
            c20 = Vector256.FusedMultiplyAdd(x2, y0, c20);
            c30 = Vector256.FusedMultiplyAdd(x3, y0, c30);
            var y1 = TRows.Load8(b1, p);
            c01 = Vector256.FusedMultiplyAdd(x0, y1, c01);
            c11 = Vector256.FusedMultiplyAdd(x1, y1, c11);
            c21 = Vector256.FusedMultiplyAdd(x2, y1, c21);
            c31 = Vector256.FusedMultiplyAdd(x3, y1, c31);
        }
        Finish2<TRows>(g, i, j, p, a0, b0, b1, Vector256.Sum(c00), Vector256.Sum(c01));
        Finish2<TRows>(g, i + 1, j, p, a1, b0, b1, Vector256.Sum(c10), Vector256.Sum(c11));
        Finish2<TRows>(g, i + 2, j, p, a2, b0, b1, Vector256.Sum(c20), Vector256.Sum(c21));
        Finish2<TRows>(g, i + 3, j, p, a3, b0, b1, Vector256.Sum(c30), Vector256.Sum(c31));
    }

    /// <summary>Row i's two sums against weight rows b0, b1: the tail from k = <paramref name="p"/>, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish2<TRows>(in GemmArgs g, int i, int j, int p, float* a, byte* b0, byte* b1, float s0, float s1)
        where TRows : struct, IWeightRows
    {
        for (; p < g.K; p++)
        {
            s0 += a[p] * TRows.At(b0, p);
            s1 += a[p] * TRows.At(b1, p);
        }
        Put(g, i, j, s0);
        Put(g, i, j + 1, s1);
    }

    /// <summary>How the tiles read weight rows: values as float32 vectors, 16 or 8 from element p of a row.</summary>
    private interface IWeightRows
    {
        static abstract int Bytes { get; }

        static abstract Vector512<float> Load16(byte* row, int p);

        static abstract Vector256<float> Load8(byte* row, int p);

        static abstract float At(byte* row, int p);
    }

    /// <summary>float32 rows, read as stored.</summary>
    private readonly struct F32Rows : IWeightRows
    {
        public static int Bytes => 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load16(byte* row, int p) => Vector512.Load((float*)row + p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load8(byte* row, int p) => Vector256.Load((float*)row + p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float At(byte* row, int p) => ((float*)row)[p];
    }

    /// <summary>bfloat16 rows, widened in registers (zero-extend, shift into the high half: exact).</summary>
    private readonly struct Bf16Rows : IWeightRows
    {
        public static int Bytes => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load16(byte* row, int p) =>
            Vector512.ShiftLeft(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + p)), 16).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load8(byte* row, int p) =>
            Vector256.ShiftLeft(Avx2.ConvertToVector256Int32(Vector128.Load((ushort*)row + p)), 16).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float At(byte* row, int p) => Kernels.Bf16.ToSingle(((ushort*)row)[p]);
    }

    /// <summary>float16 rows, widened in registers (<see cref="Kernels.F16.Widen(Vector256{uint})"/>: exact).</summary>
    private readonly struct F16Rows : IWeightRows
    {
        public static int Bytes => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load16(byte* row, int p) => Vector512.Create(Load8(row, p), Load8(row, p + 8));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load8(byte* row, int p) =>
            Kernels.F16.Widen(Avx2.ConvertToVector256Int32(Vector128.Load((ushort*)row + p)).AsUInt32());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float At(byte* row, int p) => Kernels.F16.ToSingle(((ushort*)row)[p]);
    }
}
