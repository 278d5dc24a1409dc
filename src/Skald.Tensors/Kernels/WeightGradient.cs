using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// A Linear layer's weight gradient over a training step's many rows, dW[out, in] += dyᵀ[out, n]·x[n, in], with the
/// rows cut into <see cref="Chunks"/> fixed chunks (a function of n only) that the threads claim one at a time, each a
/// single-threaded product of its own: chunk 0 accumulates into dW, the others into partials added to dW in chunk order
/// afterwards. The same bits at any thread count and whichever thread runs a chunk. Split by rows (K), each operand is
/// packed once; split by dW's rows or columns (the GEMM's split of one product), each thread packs the whole of the
/// other operand, and a thread that loses its core leaves the other waiting at the join with its fixed half.
/// </summary>
public static class WeightGradient
{
    /// <summary>Rows a chunk takes at least (below twice this, one product as before).</summary>
    internal const int MinChunkRows = 2048;

    /// <summary>Most chunks a product is cut into (each beyond the first needs a partial of dW's size).</summary>
    internal const int MaxChunks = 4;

    /// <summary>The chunks <see cref="Accumulate"/> cuts <paramref name="rows"/> rows into (1: one product, no partials).</summary>
    public static int Chunks(int rows) => Math.Clamp(rows / MinChunkRows, 1, MaxChunks);

    /// <summary>Floats of scratch <see cref="Accumulate"/> needs: a partial of dW per chunk after the first.</summary>
    public static long ScratchLength(int rows, int outF, int inF) => (long)(Chunks(rows) - 1) * outF * inF;

    /// <summary>
    /// dw[outF, inF] += dyᵀ·x: dy [rows, outF] with rows <paramref name="ldy"/> apart, x [rows, inF] (row-major).
    /// <paramref name="scratch"/>: at least <see cref="ScratchLength"/> floats, contents undefined (overwritten).
    /// With one chunk, or with a GEMM backend other than the managed one, <see cref="Blas.Sgemm"/> on the whole product.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> x, Span<float> dw, int rows, int outF,
        int inF, Span<float> scratch) => Run(dy, ldy, x, dw, rows, outF, inF, scratch, parallel: true);

    /// <summary><see cref="Accumulate"/>, the chunks on the pool's threads or (<paramref name="parallel"/> false, for
    /// tests) one after another on this one.</summary>
    internal static unsafe void Run(ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> x, Span<float> dw, int rows,
        int outF, int inF, Span<float> scratch, bool parallel)
    {
        int chunks = Chunks(rows);
        if (chunks == 1 || Blas.Backend is not ManagedGemm)
        {
            Blas.Sgemm(true, false, outF, inF, rows, 1f, dy, ldy, x, inF, 1f, dw, inF);
            return;
        }
        long size = (long)outF * inF;
        if (ldy < outF || dy.Length < (long)(rows - 1) * ldy + outF || x.Length < (long)rows * inF || dw.Length < size)
            throw new ArgumentException($"dy [{rows}, {outF}] (ld {ldy}), x [{rows}, {inF}] and dW [{outF}, {inF}] do not fit their spans");
        if (scratch.Length < (chunks - 1) * size) throw new ArgumentException($"scratch needs {(chunks - 1) * size} floats", nameof(scratch));
        fixed (float* pdy = dy, px = x, pdw = dw, ps = scratch)
        {
            var a = new Args((nint)pdy, ldy, (nint)px, (nint)pdw, (nint)ps, rows, outF, inF, chunks);
            // Each chunk a range of its own, claimed in order (uniform cut); the state overloads with static bodies, so a
            // call allocates nothing once the thread has run a region of Args (training's steady state).
            if (parallel)
                Parallelism.Chunked(chunks, Math.Min(Parallelism.MaxThreads, chunks), chunks, in a, static (in Args a, int c0, int c1) =>
                {
                    for (int i = c0; i < c1; i++) Chunk(a, i);
                }, guided: false);
            else for (int i = 0; i < chunks; i++) Chunk(a, i);
            // dW += partial 1, 2, … in chunk order, block by block (each block's adds in L1).
            Parallelism.For((int)Math.Min(size, int.MaxValue), 16384, in a, static (in Args a, int s, int e) =>
            {
                long size = (long)a.OutF * a.InF;
                var target = new Span<float>((float*)a.Dw + s, e - s);
                for (int c = 1; c < a.Chunks; c++)
                    TensorPrimitives.Add(target, new ReadOnlySpan<float>((float*)a.Scratch + (c - 1) * size + s, e - s), target);
            });
        }
    }

    // Chunk i: rows [i·rows/chunks, (i+1)·rows/chunks) into dW (i = 0, beta 1) or its partial (beta 0).
    private static unsafe void Chunk(in Args a, int i)
    {
        int r0 = (int)((long)a.Rows * i / a.Chunks), r1 = (int)((long)a.Rows * (i + 1) / a.Chunks), n = r1 - r0;
        long size = (long)a.OutF * a.InF;
        var dy = new ReadOnlySpan<float>((float*)a.Dy + (long)r0 * a.Ldy, (n - 1) * a.Ldy + a.OutF);
        var x = new ReadOnlySpan<float>((float*)a.X + (long)r0 * a.InF, n * a.InF);
        var c = i == 0 ? new Span<float>((float*)a.Dw, (int)size) : new Span<float>((float*)a.Scratch + (i - 1) * size, (int)size);
        Blas.Sgemm(true, false, a.OutF, a.InF, n, 1f, dy, a.Ldy, x, a.InF, i == 0 ? 1f : 0f, c, a.InF);
    }

    private readonly record struct Args(nint Dy, int Ldy, nint X, nint Dw, nint Scratch, int Rows, int OutF, int InF, int Chunks);
}
