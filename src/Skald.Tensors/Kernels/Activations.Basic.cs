using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

public static unsafe partial class Activations
{
    /// <summary>max(0, x). x, y: [n].</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, Out(y, x.Length));

    /// <summary>Scalar twin of <see cref="Relu"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ReluReference(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0f;
    }

    /// <summary>dx = x &gt; 0 ? dy : 0. x, dy, dx: [n].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
        => VectorMath.Map(x, dy, dx, &ReluBackwardKernel);

    /// <summary>tanh(x). x, y: [n].</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, Out(y, x.Length));

    /// <summary>Scalar double-precision twin of <see cref="Tanh"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void TanhReference(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)Math.Tanh(x[i]);
    }

    /// <summary>
    /// dx = dy · (1 − y²) where <paramref name="y"/> is the forward OUTPUT tanh(x) (saved by the forward pass).
    /// y, dy, dx: [n].
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        => VectorMath.Map(y, dy, dx, &TanhBackwardKernel);

    /// <summary>
    /// Error function in double precision (|error| ≲ 1e-15): the positive-term series
    /// erf(x) = 2/√π · e^(−x²) · Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) for |x| &lt; 2.5, and the erfc continued fraction beyond.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            double x2 = ax * ax, term = ax, sum = ax;
            for (int n = 1; n < 200; n++)
            {
                term *= 2.0 * x2 / (2 * n + 1);
                sum += term;
                if (term < sum * 1e-17) break;
            }
            r = 2.0 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        }
        else if (ax < 6.5)
        {
            // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
            double f = ax;
            for (int n = 120; n >= 1; n--) f = ax + n * 0.5 / f;
            r = 1.0 - Math.Exp(-ax * ax) / (Math.Sqrt(Math.PI) * f);
        }
        else
        {
            r = 1.0;
        }
        return x < 0 ? -r : r;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ReluBackwardKernel(float* x, float* dy, float* dx, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var mask = Vector512.GreaterThan(Vector512.Load(x + i), Vector512<float>.Zero);
                (Vector512.Load(dy + i) & mask).Store(dx + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.Load(x + i), Vector256<float>.Zero);
                (Vector256.Load(dy + i) & mask).Store(dx + i);
            }
        }
        for (; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0f;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void TanhBackwardKernel(float* y, float* dy, float* dx, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Load(y + i);
                (Vector512.Load(dy + i) * (Vector512<float>.One - v * v)).Store(dx + i);
            }
        }
        for (; i < n; i++) dx[i] = dy[i] * (1f - y[i] * y[i]);
    }
}
