using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// One score row of <see cref="Attention"/>'s direct inference kernel, in place and fused: x += maskBias, then the
/// softmax (max, exp(x − max) with its sum, scale by 1/sum) in three Vector512 passes instead of five
/// <c>TensorPrimitives</c> calls. A row of only −∞ becomes uniform (as <see cref="Softmax"/> defines it).
/// </summary>
internal static unsafe class AttentionSoftmax
{
    /// <summary>
    /// Softmax of x[0, len) + mask[0, len) (mask may be null) in place. Writes whole vectors: x must have room up to
    /// len rounded up to 16 (those extra elements become 0); mask is read only below len.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(float* x, float* mask, int len)
    {
        int full = len & ~15, rest = len - full;
        var vmax = Vector512.Create(float.NegativeInfinity);
        for (int i = 0; i < full; i += 16)
        {
            var v = Vector512.Load(x + i);
            if (mask != null) v += Vector512.Load(mask + i);
            v.Store(x + i);
            vmax = Vector512.Max(vmax, v);
        }
        var keep = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(rest)).AsSingle();
        if (rest > 0)
        {
            if (mask != null) for (int i = full; i < len; i++) x[i] += mask[i];
            var v = Vector512.ConditionalSelect(keep, Vector512.Load(x + full), Vector512.Create(float.NegativeInfinity));
            v.Store(x + full);
            vmax = Vector512.Max(vmax, v);
        }
        float max = HorizontalMax(vmax);
        if (float.IsNegativeInfinity(max))
        {
            new Span<float>(x, len).Fill(1f / len);
            return;
        }
        var vm = Vector512.Create(max);
        var sum = Vector512<float>.Zero;
        for (int i = 0; i < full; i += 16)
        {
            var e = Exp(Vector512.Load(x + i) - vm);
            e.Store(x + i);
            sum += e;
        }
        if (rest > 0)
        {
            var e = Vector512.ConditionalSelect(keep, Exp(Vector512.Load(x + full) - vm), Vector512<float>.Zero);
            e.Store(x + full);
            sum += e;
        }
        var inv = Vector512.Create(1f / Vector512.Sum(sum));
        int end = rest > 0 ? full + 16 : full;
        for (int i = 0; i < end; i += 16) (Vector512.Load(x + i) * inv).Store(x + i);
    }

    /// <summary>
    /// e^x for x ≤ 0 (the softmax's x − max), within a few ulp: x = n·ln 2 + r, |r| ≤ ln 2 / 2 (ln 2 split in two
    /// parts so n·ln2hi is exact), e^r by a degree-7 Taylor polynomial (error &lt; 2.5e-8 relative on that range),
    /// times 2^n built in the exponent bits; x below −87 (2^n subnormal) gives 0, NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        var n = Vector512.Round(x * Vector512.Create(1.44269504f));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693145752f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-1.42860677e-6f), r);
        var p = Vector512.Create(1f / 5040);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 720));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        var tiny = Vector512.LessThan(x, Vector512.Create(-87f));
        var scale = (Vector512.ConvertToInt32(Vector512.Max(n, Vector512.Create(-126f))) + Vector512.Create(127) << 23).AsSingle();
        return Vector512.ConditionalSelect(tiny, Vector512<float>.Zero, p * scale);
    }

    private static float HorizontalMax(Vector512<float> v)
    {
        var h = Vector256.Max(v.GetLower(), v.GetUpper());
        var q = Vector128.Max(h.GetLower(), h.GetUpper());
        float a = MathF.Max(q[0], q[1]), b = MathF.Max(q[2], q[3]);
        return MathF.Max(a, b);
    }
}
