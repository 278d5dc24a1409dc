using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

// SixTermProducts, continued: the split of both operands into their pieces for one k block, per worker, into the
// buffers the call holds. op(A)'s row block as x's (SixTermLayout.SplitRows, one chunk at a time through a 32 × 32
// square when A is transposed); op(B)'s panel pair as W's, from k-major rows of 32 columns: B itself when not
// transposed and the pair is whole, else a square. A k-major row pair (k even, k odd) of 16 columns makes, per piece,
// 16 lanes whose low halves are the even k's pieces and high halves the odd k's: exactly the tile's 16 × 2 bfloat16
// row of that k pair (SixTermLayout.WIndex).
internal static unsafe partial class SixTermProducts
{
    [ThreadStatic] private static float[]? edge;
    [ThreadStatic] private static float[]? square;

    // Row blocks [b0, b1) of op(A), this k block's chunks, into their places in the group's pieces.
    private static void SplitA(in Product p, int b0, int b1)
    {
        ref readonly var g = ref p.G;
        int k0 = p.Chunk0 * Block, depth = Math.Min(g.K - k0, p.Steps * Block);
        for (int b = b0; b < b1; b++)
        {
            int rows = Math.Min(Block, g.M - b * Block);
            ushort* block = p.APieces + (b - p.Block0) * p.StepsValues;
            if (!g.TransA)
            {
                SixTermLayout.SplitRows(g.A + (long)b * Block * g.Lda + k0, g.Lda, rows, depth, block, vector: !p.Scalar);
                continue;
            }
            float* s = Square();
            for (int c = 0; c < p.Steps; c++)
            {
                int t0 = k0 + c * Block, kc = Math.Min(Block, g.K - t0);
                // op(A)[row, t] = A[t, row]: k-major in memory, row-major in the square.
                Transpose(g.A + (long)t0 * g.Lda + b * Block, g.Lda, kc, rows, s, !p.Scalar);
                SixTermLayout.SplitRows(s, Block, rows, kc, block + c * SixTermLayout.StepValues, vector: !p.Scalar);
            }
        }
    }

    // Panel pairs [q0, q1) of op(B), this k block's chunks, into their places in the pieces.
    private static void SplitB(in Product p, int q0, int q1)
    {
        ref readonly var g = ref p.G;
        float* s = Square();
        for (int q = q0; q < q1; q++)
        {
            int cols = Math.Min(Block, g.N - q * Block);
            ushort* pair = p.BPieces + q * p.StepsValues;
            for (int c = 0; c < p.Steps; c++)
            {
                int t0 = (p.Chunk0 + c) * Block, kc = Math.Min(Block, g.K - t0);
                float* rows = s;
                long ld = Block;
                if (!g.TransB && cols == Block && kc == Block)
                {
                    rows = g.B + (long)t0 * g.Ldb + q * Block; // op(B)[t, j] = B[t, j]: k-major already
                    ld = g.Ldb;
                }
                else
                {
                    new Span<float>(s, Block * Block).Clear();
                    if (g.TransB)
                        Transpose(g.B + (long)q * Block * g.Ldb + t0, g.Ldb, cols, kc, s, !p.Scalar); // op(B)[t, j] = B[j, t]
                    else
                    {
                        for (int t = 0; t < kc; t++)
                            new ReadOnlySpan<float>(g.B + (long)(t0 + t) * g.Ldb + q * Block, cols).CopyTo(new Span<float>(s + t * Block, cols));
                    }
                }
                SixTermLayout.SplitPair(rows, ld, pair + c * SixTermLayout.StepValues, vector: !p.Scalar);
            }
        }
    }

    // square[j, i] = src[i, j] for i < rows, j < cols (at most 32 each; src's rows ld apart), whole 16 × 16 blocks
    // through AVX-512 shuffles with vector; the square's other values are left as they are.
    private static void Transpose(float* src, long ld, int rows, int cols, float* square, bool vector)
    {
        bool fast = vector && Avx512F.IsSupported;
        for (int i0 = 0; i0 < rows; i0 += 16)
        for (int j0 = 0; j0 < cols; j0 += 16)
        {
            if (fast && rows - i0 >= 16 && cols - j0 >= 16)
            {
                Transpose16(src + i0 * ld + j0, ld, square + j0 * Block + i0);
                continue;
            }
            for (int i = i0; i < Math.Min(rows, i0 + 16); i++)
            for (int j = j0; j < Math.Min(cols, j0 + 16); j++)
                square[j * Block + i] = src[i * ld + j];
        }
    }

    // A 16 × 16 block (rows ld apart) transposed into the square (rows 32 apart): pairs, then quads interleaved within
    // each 128-bit lane, then the lanes gathered across the four quads of rows.
    private static void Transpose16(float* src, long ld, float* dst)
    {
        var r = stackalloc Vector512<float>[16];
        for (int i = 0; i < 16; i += 2)
        {
            Vector512<float> a = Vector512.Load(src + i * ld), b = Vector512.Load(src + (i + 1) * ld);
            r[i] = Avx512F.UnpackLow(a, b);      // a0 b0 a1 b1 per lane
            r[i + 1] = Avx512F.UnpackHigh(a, b); // a2 b2 a3 b3 per lane
        }
        var u = stackalloc Vector512<float>[16];
        for (int g = 0; g < 4; g++)
        {
            // rows 4g..4g+3: u[4g + c] lane L holds their column 4L + c.
            Vector512<double> t0 = r[4 * g].AsDouble(), t1 = r[4 * g + 1].AsDouble(), t2 = r[4 * g + 2].AsDouble(), t3 = r[4 * g + 3].AsDouble();
            u[4 * g] = Avx512F.UnpackLow(t0, t2).AsSingle();
            u[4 * g + 1] = Avx512F.UnpackHigh(t0, t2).AsSingle();
            u[4 * g + 2] = Avx512F.UnpackLow(t1, t3).AsSingle();
            u[4 * g + 3] = Avx512F.UnpackHigh(t1, t3).AsSingle();
        }
        for (int c = 0; c < 4; c++)
        {
            Vector512<float> even01 = Avx512F.Shuffle4x128(u[c], u[4 + c], 0x88), even23 = Avx512F.Shuffle4x128(u[8 + c], u[12 + c], 0x88);
            Vector512<float> odd01 = Avx512F.Shuffle4x128(u[c], u[4 + c], 0xDD), odd23 = Avx512F.Shuffle4x128(u[8 + c], u[12 + c], 0xDD);
            Avx512F.Shuffle4x128(even01, even23, 0x88).Store(dst + c * Block);        // column c
            Avx512F.Shuffle4x128(odd01, odd23, 0x88).Store(dst + (4 + c) * Block);    // column 4 + c
            Avx512F.Shuffle4x128(even01, even23, 0xDD).Store(dst + (8 + c) * Block);  // column 8 + c
            Avx512F.Shuffle4x128(odd01, odd23, 0xDD).Store(dst + (12 + c) * Block);   // column 12 + c
        }
    }

    // This worker's 32 × 32 square for a transposed or ragged chunk (and SixTermMatrix.SplitPairs' ragged last chunk).
    internal static float* Square()
    {
        square ??= GC.AllocateUninitializedArray<float>(Block * Block + 16, pinned: true);
        fixed (float* s = square) return (float*)(((nint)s + 63) & ~(nint)63);
    }

    // This worker's edge buffer: 32 rows × a group's columns.
    private static float* Edge()
    {
        edge ??= GC.AllocateUninitializedArray<float>(Block * SixTermGemm.GroupPairs * Block + 16, pinned: true);
        fixed (float* e = edge) return (float*)(((nint)e + 63) & ~(nint)63);
    }
}
