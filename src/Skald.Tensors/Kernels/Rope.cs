using System.Numerics;
using System.Runtime.CompilerServices;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Rotary position embeddings in transformers' rotate-half convention (apply_rotary_pos_emb:
/// x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂, x₁]). x, y: [rows, width], width = heads·D; each head of D
/// values rotates its first R (= <see cref="RopeTable.RotaryDim"/>) and passes the rest through. With h = R/2 and
/// (c, s) = (cos, sin)[pos, i]: y[i] = x[i]·c − x[i+h]·s, y[i+h] = x[i+h]·c + x[i]·s for i &lt; h.
/// Row r is the token at position r mod <c>seq</c>: a [B, T] batch uses positions 0..T−1 in every sequence, as
/// transformers does when no position_ids are given (left padding shifts all real tokens alike, and RoPE attention
/// depends only on position differences). cos, sin: [≥ seq, h] from <see cref="RopeTable.Get"/>.
/// The backward pass is the inverse rotation (angle −θ). x and y may alias.
/// </summary>
public static unsafe class Rope
{
    /// <summary>Forward (SIMD per head, parallel over rows).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        int rows, int seq, int width, int headDim, int rotaryDim) =>
        Rotate(x, y, cos, sin, rows, seq, width, headDim, rotaryDim, 1f, default);

    /// <summary>
    /// Forward at explicit positions: row r is the token at <paramref name="positions"/>[r] (a KV-cached decoding step,
    /// whose new tokens continue each row of a left-padded batch; cos, sin: [&gt; max position, h]).
    /// </summary>
    public static void ForwardAt(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        ReadOnlySpan<int> positions, int width, int headDim, int rotaryDim)
    {
        CheckPositions(positions, cos.Length, rotaryDim);
        Rotate(x, y, cos, sin, positions.Length, 1, width, headDim, rotaryDim, 1f, positions);
    }

    /// <summary>
    /// <see cref="ForwardAt(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, int)"/> on the first <paramref name="width"/> columns of rows with stride <paramref name="ld"/>
    /// (the q and k columns of a fused qkv, in place when x and y alias): row r is the token at positions[r].
    /// </summary>
    public static void ForwardAt(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        ReadOnlySpan<int> positions, int width, int ld, int headDim, int rotaryDim)
    {
        CheckPositions(positions, cos.Length, rotaryDim);
        Rotate(x, y, cos, sin, positions.Length, 1, width, headDim, rotaryDim, 1f, positions, ld);
    }

    /// <summary>Backward of <see cref="ForwardAt(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, int)"/> (the rotation by −θ at the same positions; dx may alias dy).</summary>
    public static void BackwardAt(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        ReadOnlySpan<int> positions, int width, int headDim, int rotaryDim)
    {
        CheckPositions(positions, cos.Length, rotaryDim);
        Rotate(dy, dx, cos, sin, positions.Length, 1, width, headDim, rotaryDim, -1f, positions);
    }

    /// <summary>
    /// Backward: dx = Rᵀ·dy, the rotation by −θ: dx[i] = dy[i]·c + dy[i+h]·s, dx[i+h] = dy[i+h]·c − dy[i]·s;
    /// pass-through dimensions copy dy. Overwrites dx (may alias dy).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        int rows, int seq, int width, int headDim, int rotaryDim) =>
        Rotate(dy, dx, cos, sin, rows, seq, width, headDim, rotaryDim, -1f, default);

    /// <summary>
    /// Forward on the first <paramref name="width"/> columns of rows with stride <paramref name="ld"/> ≥ width (x and y
    /// share the stride; columns width..ld are not touched): the q and k columns of a fused qkv [B·T, 3C] rotated in one
    /// call (width 2C, ld 3C), in place when x and y alias.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        int rows, int seq, int width, int ld, int headDim, int rotaryDim) =>
        Rotate(x, y, cos, sin, rows, seq, width, headDim, rotaryDim, 1f, default, ld);

    /// <summary>Backward of the strided <see cref="Forward(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, int, int, int)"/> (dx may alias dy).</summary>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        int rows, int seq, int width, int ld, int headDim, int rotaryDim) =>
        Rotate(dy, dx, cos, sin, rows, seq, width, headDim, rotaryDim, -1f, default, ld);

    /// <summary>Scalar double-precision twin of the <c>Forward</c> overloads (sign −1: of <c>Backward</c>; ld 0: rows of width).</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> cos,
        ReadOnlySpan<float> sin, int rows, int seq, int width, int headDim, int rotaryDim, float sign = 1f,
        ReadOnlySpan<int> positions = default, int ld = 0)
    {
        if (!positions.IsEmpty) CheckPositions(positions, cos.Length, rotaryDim);
        if (ld == 0) ld = width;
        Check(x.Length, y.Length, cos.Length, sin.Length, rows, positions.IsEmpty ? seq : 1, width, headDim, rotaryDim, ld);
        int h = rotaryDim / 2;
        for (int r = 0; r < rows; r++)
        {
            int pos = positions.IsEmpty ? r % seq : positions[r];
            for (int head = 0; head < width / headDim; head++)
            {
                int o = r * ld + head * headDim;
                for (int i = 0; i < h; i++)
                {
                    double c = cos[pos * h + i], s = sign * (double)sin[pos * h + i], a = x[o + i], b = x[o + h + i];
                    y[o + i] = (float)(a * c - b * s);
                    y[o + h + i] = (float)(b * c + a * s);
                }
                for (int i = rotaryDim; i < headDim; i++) y[o + i] = x[o + i];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rotate(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin,
        int rows, int seq, int width, int headDim, int rotaryDim, float sign, ReadOnlySpan<int> positions, int ld = 0)
    {
        if (ld == 0) ld = width;
        Check(x.Length, y.Length, cos.Length, sin.Length, rows, seq, width, headDim, rotaryDim, ld);
        if (rows == 0) return;
        fixed (float* px = x, py = y, pc = cos, ps = sin)
        fixed (int* ppos = positions)
        {
            var args = new RotateArgs((nint)px, (nint)py, (nint)pc, (nint)ps, (nint)ppos, seq, width, headDim, rotaryDim, sign, ld);
            Parallelism.For(rows, Math.Max(1, 8192 / width), args, static (in RotateArgs a, int r0, int r1) =>
            {
                int h = a.RotaryDim / 2, heads = a.Width / a.HeadDim;
                for (int r = r0; r < r1; r++)
                {
                    long pos = a.Positions != 0 ? ((int*)a.Positions)[r] : r % a.Seq;
                    float* c = (float*)a.Cos + pos * h, s = (float*)a.Sin + pos * h;
                    for (int head = 0; head < heads; head++)
                    {
                        long o = (long)r * a.Ld + (long)head * a.HeadDim;
                        RotateHead((float*)a.X + o, (float*)a.Y + o, c, s, h, a.Sign);
                        for (int i = a.RotaryDim; i < a.HeadDim; i++) ((float*)a.Y)[o + i] = ((float*)a.X)[o + i];
                    }
                }
            });
        }
    }

    // Rotate's arguments for its static parallel body (no closure per call).
    private readonly record struct RotateArgs(nint X, nint Y, nint Cos, nint Sin, nint Positions, int Seq, int Width,
        int HeadDim, int RotaryDim, float Sign, int Ld);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RotateHead(float* x, float* y, float* cos, float* sin, int h, float sign)
    {
        int w = Vector<float>.Count, i = 0;
        var sg = new Vector<float>(sign);
        for (; i <= h - w; i += w)
        {
            var a = Vector.Load(x + i);
            var b = Vector.Load(x + h + i);
            var c = Vector.Load(cos + i);
            var s = Vector.Load(sin + i) * sg;
            (a * c - b * s).Store(y + i);
            (b * c + a * s).Store(y + h + i);
        }
        for (; i < h; i++)
        {
            float a = x[i], b = x[h + i], c = cos[i], s = sign * sin[i];
            y[i] = a * c - b * s;
            y[h + i] = b * c + a * s;
        }
    }

    private static void CheckPositions(ReadOnlySpan<int> positions, int tableLength, int rotaryDim)
    {
        int rows = tableLength / (rotaryDim / 2);
        foreach (int p in positions)
        {
            if ((uint)p >= (uint)rows) throw new ArgumentException($"position {p} is outside the cos/sin tables ({rows} rows).");
        }
    }

    private static void Check(int xLength, int yLength, int cosLength, int sinLength, int rows, int seq, int width,
        int headDim, int rotaryDim, int ld)
    {
        if (ld < width) throw new ArgumentException($"row stride {ld} is below the width {width}");
        if (rows < 0 || seq <= 0 || headDim <= 0 || width % headDim != 0)
            throw new ArgumentException($"width {width} must be a multiple of head_dim {headDim}; seq must be positive");
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0)
            throw new ArgumentException($"rotary dimensions {rotaryDim} must be even and at most head_dim {headDim}");
        long need = rows == 0 ? 0 : (long)(rows - 1) * ld + width;
        if (xLength < need || yLength < need) throw new ArgumentException($"x and y need {need} elements.");
        long table = (long)Math.Min(seq, Math.Max(rows, 1)) * (rotaryDim / 2);
        if (cosLength < table || sinLength < table) throw new ArgumentException($"cos/sin tables need {table} elements.");
    }
}
