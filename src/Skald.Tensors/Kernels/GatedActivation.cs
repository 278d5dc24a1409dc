using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// The activation of a gated MLP (Llama's act_fn(gate_proj(x)) * up_proj(x)): y = f(g) ⊙ u on the output of one
/// GEMM against the stacked [gate; up] weights, gateUp: [rows, 2·cols] (gate in columns 0..cols−1, up in cols..2·cols−1),
/// y: [rows, cols]. f is <see cref="GateFunction"/>:
/// SiLU f = g·σ(g), f′ = σ(g)·(1 + g·(1 − σ(g)));
/// GELU-tanh f = g·σ(2v) with v = √(2/π)(g + 0.044715g³), f′ = σ(2v) + 2g·σ(2v)(1 − σ(2v))·√(2/π)(1 + 3·0.044715g²);
/// GELU f = g·Φ(g), f′ = Φ(g) + g·φ(g).
/// Backward: d gate = dy ⊙ u ⊙ f′(g), d up = dy ⊙ f(g). SIMD (Vector256) per row, parallel over rows; the
/// <c>...Reference</c> methods are the scalar double-precision twins.
/// </summary>
public static unsafe class GatedActivation
{
    private const float SqrtTwoOverPi = 0.79788456080286536f;
    private const float TanhCoeff = 0.044715f;
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>y = f(gate) ⊙ up.</summary>
    public static void Forward(ReadOnlySpan<float> gateUp, Span<float> y, int rows, int cols, GateFunction f) =>
        Run(gateUp, default, y, rows, cols, f, backward: false);

    /// <summary>Overwrites dGateUp [rows, 2·cols] with (dy ⊙ u ⊙ f′(g), dy ⊙ f(g)).</summary>
    public static void Backward(ReadOnlySpan<float> gateUp, ReadOnlySpan<float> dy, Span<float> dGateUp, int rows,
        int cols, GateFunction f) => Run(gateUp, dy, dGateUp, rows, cols, f, backward: true);

    /// <summary>Scalar double-precision twin of <see cref="Forward"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> gateUp, Span<float> y, int rows, int cols, GateFunction f)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                var (v, _) = Eval(gateUp[r * 2 * cols + c], f);
                y[r * cols + c] = (float)(v * gateUp[r * 2 * cols + cols + c]);
            }
        }
    }

    /// <summary>Scalar double-precision twin of <see cref="Backward"/>.</summary>
    public static void BackwardReference(ReadOnlySpan<float> gateUp, ReadOnlySpan<float> dy, Span<float> dGateUp,
        int rows, int cols, GateFunction f)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int gi = r * 2 * cols + c;
                var (v, d) = Eval(gateUp[gi], f);
                double g = dy[r * cols + c];
                dGateUp[gi] = (float)(g * gateUp[gi + cols] * d);
                dGateUp[gi + cols] = (float)(g * v);
            }
        }
    }

    private static (double Value, double Derivative) Eval(double g, GateFunction f)
    {
        switch (f)
        {
            case GateFunction.Silu:
            {
                double s = 1.0 / (1.0 + Math.Exp(-g));
                return (g * s, s * (1 + g * (1 - s)));
            }
            case GateFunction.GeluTanh:
            {
                double k = Math.Sqrt(2.0 / Math.PI), t = Math.Tanh(k * (g + 0.044715 * g * g * g));
                return (0.5 * g * (1 + t), 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * k * (1 + 3 * 0.044715 * g * g));
            }
            default:
            {
                double cdf = 0.5 * (1 + Activations.Erf(g / Math.Sqrt(2.0)));
                return (g * cdf, cdf + g * Math.Exp(-0.5 * g * g) / Math.Sqrt(2 * Math.PI));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(ReadOnlySpan<float> gateUp, ReadOnlySpan<float> dy, Span<float> output, int rows, int cols,
        GateFunction f, bool backward)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        long n = (long)rows * cols;
        if (gateUp.Length < 2 * n) throw new ArgumentException($"gateUp needs {2 * n} elements.", nameof(gateUp));
        if (output.Length < (backward ? 2 * n : n)) throw new ArgumentException("output is too short.", nameof(output));
        if (backward && dy.Length < n) throw new ArgumentException($"dy needs {n} elements.", nameof(dy));
        if (n == 0) return;
        fixed (float* pgu = gateUp, pdy = dy, po = output)
        {
            Parallelism.For(rows, Math.Max(1, 16384 / cols), new RowArgs((nint)pgu, (nint)pdy, (nint)po, cols, f, backward),
                static (in RowArgs a, int r0, int r1) =>
                {
                    int cols = a.Cols;
                    for (int r = r0; r < r1; r++)
                    {
                        float* g = (float*)a.GateUp + 2L * r * cols;
                        if (a.Backward) BackwardRow(g, g + cols, (float*)a.Dy + (long)r * cols, (float*)a.Output + 2L * r * cols, cols, a.F);
                        else ForwardRow(g, g + cols, (float*)a.Output + (long)r * cols, cols, a.F);
                    }
                });
        }
    }

    // Run's arguments for its static parallel body (no closure per call).
    private readonly record struct RowArgs(nint GateUp, nint Dy, nint Output, int Cols, GateFunction F, bool Backward);

    /// <summary>
    /// One row of <see cref="Forward"/>: y[i] = f(gate[i]) · up[i] for i &lt; <paramref name="cols"/> (the row kernel a
    /// GEMM's store applies to a finished tile row, <see cref="Quantization.Bf16Gemm"/>'s gated product: the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardRow(float* gate, float* up, float* y, int cols, GateFunction f)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= cols - 8; i += 8)
            {
                var (v, _) = Eval(Vector256.Load(gate + i), f, derivative: false);
                (v * Vector256.Load(up + i)).Store(y + i);
            }
        }
        for (; i < cols; i++) y[i] = Eval(gate[i], f, derivative: false).Value * up[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(float* gate, float* up, float* dy, float* dgu, int cols, GateFunction f)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= cols - 8; i += 8)
            {
                var (v, d) = Eval(Vector256.Load(gate + i), f, derivative: true);
                var g = Vector256.Load(dy + i);
                var u = Vector256.Load(up + i);
                (g * u * d).Store(dgu + i);
                (g * v).Store(dgu + cols + i);
            }
        }
        for (; i < cols; i++)
        {
            var (v, d) = Eval(gate[i], f, derivative: true);
            float g = dy[i], u = up[i];
            dgu[i] = g * u * d;
            dgu[cols + i] = g * v;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Value, Vector256<float> Derivative) Eval(Vector256<float> g, GateFunction f, bool derivative)
    {
        var one = Vector256<float>.One;
        switch (f)
        {
            case GateFunction.Silu:
            {
                var s = one / (one + Vector256.Exp(-g));
                return (g * s, derivative ? s * (one + g * (one - s)) : default);
            }
            case GateFunction.GeluTanh:
            {
                var g2 = g * g;
                var s = one / (one + Vector256.Exp(Vector256.Create(-2f * SqrtTwoOverPi) * (g + Vector256.Create(TanhCoeff) * g2 * g)));
                if (!derivative) return (g * s, default);
                var dv = Vector256.Create(SqrtTwoOverPi) * (one + Vector256.Create(3f * TanhCoeff) * g2);
                return (g * s, s + Vector256.Create(2f) * g * s * (one - s) * dv);
            }
            default:
            {
                var cdf = Vector256.Create(0.5f) * (one + VectorMath.Erf(g * Vector256.Create(InvSqrt2)));
                if (!derivative) return (g * cdf, default);
                var pdf = Vector256.Exp(Vector256.Create(-0.5f) * g * g) * Vector256.Create(InvSqrt2Pi);
                return (g * cdf, cdf + g * pdf);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Value, float Derivative) Eval(float g, GateFunction f, bool derivative)
    {
        switch (f)
        {
            case GateFunction.Silu:
            {
                float s = 1f / (1f + MathF.Exp(-g));
                return (g * s, derivative ? s * (1f + g * (1f - s)) : 0f);
            }
            case GateFunction.GeluTanh:
            {
                float s = 1f / (1f + MathF.Exp(-2f * SqrtTwoOverPi * (g + TanhCoeff * g * g * g)));
                float dv = SqrtTwoOverPi * (1f + 3f * TanhCoeff * g * g);
                return (g * s, derivative ? s + 2f * g * s * (1f - s) * dv : 0f);
            }
            default:
            {
                float cdf = 0.5f * (1f + VectorMath.Erf(g * InvSqrt2));
                return (g * cdf, derivative ? cdf + g * MathF.Exp(-0.5f * g * g) * InvSqrt2Pi : 0f);
            }
        }
    }
}
