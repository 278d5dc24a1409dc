using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Element-wise activations, forward and backward (x and y may be the same span; so may dy and dx). The fast paths
/// are SIMD (Vector512/Vector256, parallel over large spans); each has a scalar double-precision <c>...Reference</c>
/// twin used by the tests. Backward signatures: (x, dy, dx) with dx = dy · f′(x), overwriting dx.
/// </summary>
public static unsafe partial class Activations
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;
    private const float SqrtTwoOverPi = 0.79788456080286536f;
    private const float TanhCoeff = 0.044715f;

    /// <summary>
    /// The SIMD row kernel (x, y, count; x and y may alias) of an activation that has one, for fusing into a GEMM's
    /// store (<see cref="LinearActivation"/>); null for the others.
    /// </summary>
    internal static delegate*<float*, float*, int, void> RowKernel(Autograd.ActivationKind kind) => kind switch
    {
        Autograd.ActivationKind.Gelu => &GeluKernel,
        Autograd.ActivationKind.GeluTanh => &GeluTanhKernel,
        _ => null,
    };

    /// <summary>
    /// The in-place tile kernel (c, ldc, rows, cols) of an activation that has a row kernel (<see cref="RowKernel"/>),
    /// for a float32 GEMM's store: the row kernel's lanes over each row, one call per tile; null for the others.
    /// </summary>
    internal static delegate*<float*, int, int, int, void> TileKernel(Autograd.ActivationKind kind) => kind switch
    {
        Autograd.ActivationKind.Gelu => &GeluTile,
        Autograd.ActivationKind.GeluTanh => &GeluTanhTile,
        _ => null,
    };

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void GeluTile(float* c, int ldc, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = c + (long)r * ldc;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i <= cols - 16; i += 16) GeluOf(Vector512.Load(row + i)).Store(row + i);
            if (i < cols) GeluKernel(row + i, row + i, cols - i);
        }
    }

    private static void GeluTanhTile(float* c, int ldc, int rows, int cols)
    {
        for (int r = 0; r < rows; r++) GeluTanhKernel(c + (long)r * ldc, c + (long)r * ldc, cols);
    }

    /// <summary>Exact GELU: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) (HF "gelu"). x, y: [n].</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y) => VectorMath.Map(x, y, &GeluKernel);

    /// <summary>Scalar double-precision twin of <see cref="Gelu"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void GeluReference(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(0.5 * x[i] * (1.0 + Erf(x[i] / Math.Sqrt(2.0))));
    }

    /// <summary>dx = dy · (Φ(x) + x·φ(x)). x, dy, dx: [n].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
        => VectorMath.Map(x, dy, dx, &GeluBackwardKernel);

    /// <summary>Scalar double-precision twin of <see cref="GeluBackward"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void GeluBackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double d = 0.5 * (1.0 + Erf(v / Math.Sqrt(2.0))) + v * Math.Exp(-0.5 * v * v) / Math.Sqrt(2.0 * Math.PI);
            dx[i] = (float)(dy[i] * d);
        }
    }

    /// <summary>Tanh approximation of GELU (HF "gelu_new", "gelu_pytorch_tanh"), computed as x·σ(2u).</summary>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> y) => VectorMath.Map(x, y, &GeluTanhKernel);

    /// <summary>Scalar double-precision twin of <see cref="GeluTanh"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void GeluTanhReference(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    /// <summary>dx = dy · (0.5(1 + t) + 0.5·x·(1 − t²)·√(2/π)(1 + 3·0.044715·x²)), t = tanh(u).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void GeluTanhBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
        => VectorMath.Map(x, dy, dx, &GeluTanhBackwardKernel);

    /// <summary>Scalar double-precision twin of <see cref="GeluTanhBackward"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void GeluTanhBackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        double k = Math.Sqrt(2.0 / Math.PI);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double t = Math.Tanh(k * (v + 0.044715 * v * v * v));
            double d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v);
            dx[i] = (float)(dy[i] * d);
        }
    }

    /// <summary>
    /// Float SIMD erf (within 6e-8 absolute, 1.6e-7 relative, of the double <see cref="Erf(double)"/>; lanes and tail the
    /// same float arithmetic). x, y: [n].
    /// </summary>
    public static void Erf(ReadOnlySpan<float> x, Span<float> y) => VectorMath.Map(x, y, &ErfKernel);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ErfKernel(float* x, float* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) VectorMath.Erf(Vector512.Load(x + i)).Store(y + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) VectorMath.Erf(Vector256.Load(x + i)).Store(y + i);
        for (; i < n; i++) y[i] = VectorMath.Erf(x[i]);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void GeluKernel(float* x, float* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) GeluOf(Vector512.Load(x + i)).Store(y + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) GeluOf(Vector256.Load(x + i)).Store(y + i);
        for (; i < n; i++) y[i] = GeluOf(x[i]);
    }

    /// <summary>
    /// Exact GELU of one value in float: h + h · erf(x/√2) with h = x/2 (one FMA; <see cref="VectorMath.Erf(float)"/>),
    /// the scalar twin of the lane versions (which equal it bit for bit).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static float GeluOf(float x)
    {
        float h = 0.5f * x;
        return MathF.FusedMultiplyAdd(h, VectorMath.Erf(x * InvSqrt2), h);
    }

    /// <summary>GELU on 16 lanes, each equal to <see cref="GeluOf(float)"/> (for fusing into a store).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> GeluOf(Vector512<float> x)
    {
        var h = Vector512.Create(0.5f) * x;
        return Vector512.FusedMultiplyAdd(h, VectorMath.Erf(x * Vector512.Create(InvSqrt2)), h);
    }

    /// <summary>GELU on 8 lanes, each equal to <see cref="GeluOf(float)"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> GeluOf(Vector256<float> x)
    {
        var h = Vector256.Create(0.5f) * x;
        return Vector256.FusedMultiplyAdd(h, VectorMath.Erf(x * Vector256.Create(InvSqrt2)), h);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void GeluBackwardKernel(float* x, float* dy, float* dx, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Load(x + i);
                var cdf = Vector512.Create(0.5f) * (Vector512<float>.One + VectorMath.Erf(v * Vector512.Create(InvSqrt2)));
                var pdf = Vector512.Exp(Vector512.Create(-0.5f) * v * v) * Vector512.Create(InvSqrt2Pi);
                (Vector512.Load(dy + i) * Vector512.FusedMultiplyAdd(v, pdf, cdf)).Store(dx + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                var cdf = Vector256.Create(0.5f) * (Vector256<float>.One + VectorMath.Erf(v * Vector256.Create(InvSqrt2)));
                var pdf = Vector256.Exp(Vector256.Create(-0.5f) * v * v) * Vector256.Create(InvSqrt2Pi);
                (Vector256.Load(dy + i) * Vector256.FusedMultiplyAdd(v, pdf, cdf)).Store(dx + i);
            }
        }
        for (; i < n; i++)
        {
            float v = x[i];
            float cdf = 0.5f * (1f + VectorMath.Erf(v * InvSqrt2));
            float pdf = MathF.Exp(-0.5f * v * v) * InvSqrt2Pi;
            dx[i] = dy[i] * (cdf + v * pdf);
        }
    }

    // Every value goes through the widest lanes the CPU has, the tail too (padded into one vector on the stack), so a
    // value's result does not depend on where it sits in the span: a GEMM's store applying this per row or per tile gives
    // the bits of one call over the whole buffer (Vector512.Exp and MathF.Exp round apart in the last bit).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void GeluTanhKernel(float* x, float* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16) GeluTanhOf(Vector512.Load(x + i)).Store(y + i);
            if (i < n)
            {
                float* lane = stackalloc float[16];
                for (int j = 0; j < 16; j++) lane[j] = i + j < n ? x[i + j] : 0f;
                GeluTanhOf(Vector512.Load(lane)).Store(lane);
                for (int j = 0; i + j < n; j++) y[i + j] = lane[j];
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8) GeluTanhOf(Vector256.Load(x + i)).Store(y + i);
            if (i < n)
            {
                float* lane = stackalloc float[8];
                for (int j = 0; j < 8; j++) lane[j] = i + j < n ? x[i + j] : 0f;
                GeluTanhOf(Vector256.Load(lane)).Store(lane);
                for (int j = 0; i + j < n; j++) y[i + j] = lane[j];
            }
            return;
        }
        for (; i < n; i++)
        {
            float v = x[i];
            y[i] = v / (1f + MathF.Exp(-2f * SqrtTwoOverPi * (v + TanhCoeff * v * v * v)));
        }
    }

    /// <summary>
    /// x · sigmoid(2u), u = √(2/π)(x + 0.044715x³): GELU (tanh) on 16 lanes, the lanes <see cref="GeluTanh"/> puts
    /// every value through where 512-bit vectors are accelerated (for fusing into a store: the same bits).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> GeluTanhOf(Vector512<float> v)
    {
        var u2 = Vector512.Create(-2f * SqrtTwoOverPi) * (v + Vector512.Create(TanhCoeff) * v * v * v);
        return v / (Vector512<float>.One + Vector512.Exp(u2));
    }

    // The same on 8 lanes.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> GeluTanhOf(Vector256<float> v)
    {
        var u2 = Vector256.Create(-2f * SqrtTwoOverPi) * (v + Vector256.Create(TanhCoeff) * v * v * v);
        return v / (Vector256<float>.One + Vector256.Exp(u2));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void GeluTanhBackwardKernel(float* x, float* dy, float* dx, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512<float>.One;
            var half = Vector512.Create(0.5f);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Load(x + i);
                var v2 = v * v;
                var e = Vector512.Exp(Vector512.Create(-2f * SqrtTwoOverPi) * (v + Vector512.Create(TanhCoeff) * v2 * v));
                var t = Vector512.Create(2f) / (one + e) - one;
                var du = Vector512.Create(SqrtTwoOverPi) * (one + Vector512.Create(3f * TanhCoeff) * v2);
                var d = half * (one + t) + half * v * (one - t * t) * du;
                (Vector512.Load(dy + i) * d).Store(dx + i);
            }
        }
        for (; i < n; i++)
        {
            float v = x[i];
            float e = MathF.Exp(-2f * SqrtTwoOverPi * (v + TanhCoeff * v * v * v));
            float t = 2f / (1f + e) - 1f;
            float du = SqrtTwoOverPi * (1f + 3f * TanhCoeff * v * v);
            dx[i] = dy[i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * du);
        }
    }

    private static Span<float> Out(Span<float> y, int length)
    {
        if (y.Length < length) throw new ArgumentException("Destination is shorter than the input.", nameof(y));
        return y[..length];
    }
}
