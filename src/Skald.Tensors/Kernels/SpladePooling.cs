using System.Numerics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// SPLADE's pooling of masked-LM logits into one sparse vector per text (sentence-transformers' SpladePooling,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SpladePooling.py):
/// for text b with real tokens t and logits z[t, v] (bias included),
/// <code>
/// max: y[b, v] = max_t f(z[t, v])         sum: y[b, v] = Σ_t f(z[t, v])
/// f(z) = log(1 + relu(z))                   (relu)       f'(z) = 1 / (1 + z)               for z &gt; 0, else 0
/// f(z) = log(1 + log(1 + relu(z)))          (log1p_relu) f'(z) = 1 / ((1 + z)(1 + log(1 + z))) for z &gt; 0, else 0
/// </code>
/// f is non-decreasing, so the max pools the logits first and activates once per (b, v): y = f(max_t z), the logits
/// never pass through a logarithm one by one. The gradient of the max reaches the one token that holds it (z &gt; 0; at
/// z ≤ 0 f' is 0, so ties there carry nothing). Padding never enters: the rows are the real tokens only, each with the
/// text it belongs to. These are the per-row steps; <c>Ops.SpladePooling</c> runs them over chunks of logits.
/// </summary>
public static class SpladePooling
{
    /// <summary>f(z): the activation, 0 for z ≤ 0.</summary>
    public static float Activate(float z, SpladeActivation activation)
    {
        if (!(z > 0f)) return 0f;
        float a = MathF.Log(1f + z);
        return activation == SpladeActivation.Log1pRelu ? MathF.Log(1f + a) : a;
    }

    /// <summary>f'(z), 0 for z ≤ 0.</summary>
    public static float Derivative(float z, SpladeActivation activation)
    {
        if (!(z > 0f)) return 0f;
        float d = 1f / (1f + z);
        return activation == SpladeActivation.Log1pRelu ? d / (1f + MathF.Log(1f + z)) : d;
    }

    /// <summary>
    /// Max, one row: running[v] = max(running[v], z[v]) over a text's rows, and where z is larger argmax[v] = row
    /// (skipped when argmax is empty: inference). running starts at −∞, argmax at −1.
    /// </summary>
    public static void MaxInto(ReadOnlySpan<float> z, Span<float> running, Span<int> argmax, int row)
    {
        int n = z.Length, v = 0;
        if (running.Length < n || (!argmax.IsEmpty && argmax.Length < n)) throw new ArgumentException("running/argmax need z.Length values");
        if (argmax.IsEmpty)
        {
            System.Numerics.Tensors.TensorPrimitives.Max(z, running[..n], running[..n]);
            return;
        }
        if (Vector.IsHardwareAccelerated)
        {
            var rowVector = new Vector<int>(row);
            for (; v <= n - Vector<float>.Count; v += Vector<float>.Count)
            {
                var zv = new Vector<float>(z[v..]);
                var rv = new Vector<float>(running[v..]);
                var larger = Vector.GreaterThan(zv, rv);
                Vector.ConditionalSelect(larger, zv, rv).CopyTo(running[v..]);
                Vector.ConditionalSelect(larger, rowVector, new Vector<int>(argmax[v..])).CopyTo(argmax[v..]);
            }
        }
        MaxIntoScalar(z[v..], running[v..n], argmax[v..n], row);
    }

    /// <summary>Scalar twin of <see cref="MaxInto"/> (with argmax).</summary>
    public static void MaxIntoScalar(ReadOnlySpan<float> z, Span<float> running, Span<int> argmax, int row)
    {
        for (int v = 0; v < z.Length; v++)
        {
            if (!(z[v] > running[v])) continue;
            running[v] = z[v];
            argmax[v] = row;
        }
    }

    /// <summary>Max, after the last row: y[v] = f(running[v]) (in place; running keeps nothing else).</summary>
    public static void Finish(Span<float> values, SpladeActivation activation)
    {
        for (int v = 0; v < values.Length; v++) values[v] = Activate(values[v], activation);
    }

    /// <summary>Sum, one row: pooled[v] += f(z[v]).</summary>
    public static void SumInto(ReadOnlySpan<float> z, Span<float> pooled, SpladeActivation activation)
    {
        for (int v = 0; v < z.Length; v++)
        {
            if (z[v] > 0f) pooled[v] += Activate(z[v], activation);
        }
    }

    /// <summary>Sum backward, one row in place: z[v] ← dy[v]·f'(z[v]) (the row's logits become their gradient).</summary>
    public static void SumBackward(Span<float> z, ReadOnlySpan<float> dy, SpladeActivation activation)
    {
        for (int v = 0; v < z.Length; v++) z[v] = z[v] > 0f ? dy[v] * Derivative(z[v], activation) : 0f;
    }

    /// <summary>
    /// The whole pooling in double precision from materialised logits [rows, V] (the tests' reference): row r belongs
    /// to text <paramref name="owner"/>[r]; y [batch, V].
    /// </summary>
    public static void ForwardReference(ReadOnlySpan<float> logits, ReadOnlySpan<int> owner, int batch, int vocab,
        SpladeActivation activation, SpladeStrategy strategy, Span<float> y)
    {
        var acc = new double[batch * vocab];
        for (int r = 0; r < owner.Length; r++)
        {
            for (int v = 0; v < vocab; v++)
            {
                double z = Math.Max(logits[r * vocab + v], 0.0), a = Math.Log(1 + z);
                if (activation == SpladeActivation.Log1pRelu) a = Math.Log(1 + a);
                ref double slot = ref acc[owner[r] * vocab + v];
                slot = strategy == SpladeStrategy.Max ? Math.Max(slot, a) : slot + a;
            }
        }
        for (int i = 0; i < acc.Length; i++) y[i] = (float)acc[i];
    }
}
