using System.Numerics.Tensors;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Training.EmbeddingAdapters;

/// <summary>
/// A small network applied to query embeddings of a frozen (or remote) model, as llama_index's embedding adapters
/// (<see href="https://github.com/run-llama/llama_index/blob/26c7dc3e9846045864cf93ab92cb13bc80a3394e/llama-index-integrations/embeddings/llama-index-embeddings-adapter/llama_index/embeddings/adapter/utils.py">utils.py</see>):
/// <see cref="QueryAdapterKind.Linear"/> y = x·Wᵀ with W [D, D] = I at the start, or <see cref="QueryAdapterKind.Mlp"/>
/// y = x + r·(ReLU(x·W₁ᵀ + b₁)·W₂ᵀ + b₂) with W₁ [H, D], W₂ [D, H] drawn as torch.nn.Linear does
/// (U(±1/√fan_in)) and the residual weight r = 0, so both start as the identity. Forward keeps what backward needs;
/// backward adds d(loss)/d(parameters) to the parameters' gradients. Saved as sentence-transformers Dense modules
/// (<see cref="DenseModules"/>).
/// </summary>
public sealed class QueryAdapter
{
    private float[] input = [], hidden = [], inner = []; // x [B, D], h = x·W₁ᵀ + b₁ [B, H], m = ReLU(h)·W₂ᵀ + b₂ [B, D]
    private int rows;

    private QueryAdapter(QueryAdapterKind kind, int dimension, int hiddenSize, Parameter[] parameters)
    {
        Kind = kind;
        Dimension = dimension;
        HiddenSize = hiddenSize;
        Parameters = parameters;
    }

    /// <summary>Linear or two-layer.</summary>
    public QueryAdapterKind Kind { get; }

    /// <summary>Embedding width D (in and out).</summary>
    public int Dimension { get; }

    /// <summary>Hidden width H of the two-layer adapter (0 for the linear one).</summary>
    public int HiddenSize { get; }

    /// <summary>The trained parameters: <c>linear.weight</c>; or <c>linear1.weight</c>, <c>linear1.bias</c>, <c>linear2.weight</c>, <c>linear2.bias</c>, <c>residual_weight</c>.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>A new adapter that is the identity map; <paramref name="seed"/> draws the two-layer adapter's weights.</summary>
    public static QueryAdapter Create(QueryAdapterKind kind, int dimension, int hiddenSize = 0, ulong seed = 42)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension));
        if (kind == QueryAdapterKind.Linear)
        {
            var w = new float[dimension * dimension];
            for (int i = 0; i < dimension; i++) w[i * dimension + i] = 1;
            return new QueryAdapter(kind, dimension, 0, [new Parameter("linear.weight", w, [dimension, dimension], true)]);
        }
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize));
        var random = new SkaldRandom(seed);
        float[] Uniform(int n, int fanIn)
        {
            float bound = 1f / MathF.Sqrt(fanIn);
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (2 * random.NextFloat() - 1) * bound;
            return a;
        }
        return new QueryAdapter(kind, dimension, hiddenSize,
        [
            new Parameter("linear1.weight", Uniform(hiddenSize * dimension, dimension), [hiddenSize, dimension], true),
            new Parameter("linear1.bias", Uniform(hiddenSize, dimension), [hiddenSize], true),
            new Parameter("linear2.weight", Uniform(dimension * hiddenSize, hiddenSize), [dimension, hiddenSize], true),
            new Parameter("linear2.bias", Uniform(dimension, hiddenSize), [dimension], true),
            new Parameter("residual_weight", [0f], [1], true),
        ]);
    }

    /// <summary>Applies the adapter to each row of <paramref name="x"/> [B, D] (no state kept).</summary>
    public float[][] Apply(IReadOnlyList<float[]> x)
    {
        var flat = new float[x.Count * Dimension];
        for (int b = 0; b < x.Count; b++) x[b].CopyTo(flat, b * Dimension);
        var y = Forward(flat, x.Count);
        return [.. Enumerable.Range(0, x.Count).Select(b => y.AsSpan(b * Dimension, Dimension).ToArray())];
    }

    /// <summary>y [B, D] for x [B, D]; keeps x and the activations for <see cref="Backward"/>.</summary>
    public float[] Forward(float[] x, int batch)
    {
        int d = Dimension;
        if (x.Length != batch * d) throw new ArgumentException($"expected {batch}×{d} values, got {x.Length}", nameof(x));
        input = x;
        rows = batch;
        var y = new float[batch * d];
        if (Kind == QueryAdapterKind.Linear)
        {
            var w = Parameters[0].Data.Span;
            for (int b = 0; b < batch; b++)
            {
                var xb = x.AsSpan(b * d, d);
                for (int i = 0; i < d; i++) y[b * d + i] = TensorPrimitives.Dot(xb, w.Slice(i * d, d)); // y = x·Wᵀ
            }
            return y;
        }
        int h = HiddenSize;
        Span<float> w1 = Parameters[0].Data.Span, b1 = Parameters[1].Data.Span, w2 = Parameters[2].Data.Span, b2 = Parameters[3].Data.Span;
        float r = Parameters[4].Data.Span[0];
        hidden = new float[batch * h];
        inner = new float[batch * d];
        var relu = new float[h];
        for (int b = 0; b < batch; b++)
        {
            var xb = x.AsSpan(b * d, d);
            for (int j = 0; j < h; j++)
            {
                float v = TensorPrimitives.Dot(xb, w1.Slice(j * d, d)) + b1[j]; // h = x·W₁ᵀ + b₁
                hidden[b * h + j] = v;
                relu[j] = v > 0 ? v : 0;
            }
            for (int i = 0; i < d; i++)
            {
                float m = TensorPrimitives.Dot(relu, w2.Slice(i * h, h)) + b2[i]; // m = ReLU(h)·W₂ᵀ + b₂
                inner[b * d + i] = m;
                y[b * d + i] = x[b * d + i] + r * m;
            }
        }
        return y;
    }

    /// <summary>Adds d(loss)/d(parameters) for the last <see cref="Forward"/> to the parameters' gradients, given dy [B, D].</summary>
    public void Backward(float[] dy)
    {
        int d = Dimension;
        if (dy.Length != rows * d) throw new ArgumentException($"expected {rows}×{d} values, got {dy.Length}", nameof(dy));
        if (Kind == QueryAdapterKind.Linear)
        {
            var gw = Parameters[0].Grad.Span;
            for (int b = 0; b < rows; b++)
            {
                var xb = input.AsSpan(b * d, d);
                for (int i = 0; i < d; i++)
                {
                    float g = dy[b * d + i];
                    if (g != 0) TensorPrimitives.MultiplyAdd(xb, g, gw.Slice(i * d, d), gw.Slice(i * d, d)); // dW[i] += dy[b, i]·x[b]
                }
            }
            return;
        }
        int h = HiddenSize;
        var w2 = Parameters[2].Data.Span;
        float r = Parameters[4].Data.Span[0];
        Span<float> gw1 = Parameters[0].Grad.Span, gb1 = Parameters[1].Grad.Span, gw2 = Parameters[2].Grad.Span, gb2 = Parameters[3].Grad.Span;
        double dr = 0;
        var dm = new float[d];
        var relu = new float[h];
        var dh = new float[h];
        for (int b = 0; b < rows; b++)
        {
            var xb = input.AsSpan(b * d, d);
            var dyb = dy.AsSpan(b * d, d);
            dr += TensorPrimitives.Dot(dyb, inner.AsSpan(b * d, d)); // dr = Σ dy·m
            TensorPrimitives.Multiply(dyb, r, dm); // dm = r·dy
            for (int j = 0; j < h; j++) relu[j] = hidden[b * h + j] > 0 ? hidden[b * h + j] : 0;
            Array.Clear(dh);
            for (int i = 0; i < d; i++)
            {
                float g = dm[i];
                if (g == 0) continue;
                gb2[i] += g;
                TensorPrimitives.MultiplyAdd(relu, g, gw2.Slice(i * h, h), gw2.Slice(i * h, h)); // dW₂[i] += dm[i]·ReLU(h)
                TensorPrimitives.MultiplyAdd(w2.Slice(i * h, h), g, dh, dh); // d(ReLU h) += dm[i]·W₂[i]
            }
            for (int j = 0; j < h; j++)
            {
                float g = hidden[b * h + j] > 0 ? dh[j] : 0; // ReLU'
                if (g == 0) continue;
                gb1[j] += g;
                TensorPrimitives.MultiplyAdd(xb, g, gw1.Slice(j * d, d), gw1.Slice(j * d, d)); // dW₁[j] += dh[j]·x
            }
        }
        Parameters[4].Grad.Span[0] += (float)dr;
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.Grad.Span.Clear();
    }

    /// <summary>
    /// The adapter as sentence-transformers Dense modules (the in-order list of (config, tensors) to write): the linear
    /// adapter is one Dense(D→D, no bias, Identity); the two-layer one is exactly two Dense modules, using
    /// x = ReLU(x) − ReLU(−x) to carry the residual through the first: Dense(D→H+2D, ReLU) with rows [W₁; I; −I] and bias
    /// [b₁; 0; 0], then Dense(H+2D→D, Identity) with columns [r·W₂, I, −I] and bias r·b₂.
    /// </summary>
    public IReadOnlyList<(int In, int Out, bool Bias, string Activation, TensorToWrite[] Tensors)> DenseModules()
    {
        int d = Dimension;
        const string identity = "torch.nn.modules.linear.Identity", relu = "torch.nn.modules.activation.ReLU";
        if (Kind == QueryAdapterKind.Linear)
            return [(d, d, false, identity, [new TensorToWrite("linear.weight", [d, d], Parameters[0].Data.ToArray())])];
        int h = HiddenSize, wide = h + 2 * d;
        Span<float> w1 = Parameters[0].Data.Span, b1 = Parameters[1].Data.Span, w2 = Parameters[2].Data.Span, b2 = Parameters[3].Data.Span;
        float r = Parameters[4].Data.Span[0];
        var first = new float[wide * d];
        var firstBias = new float[wide];
        w1.CopyTo(first);
        b1.CopyTo(firstBias);
        for (int i = 0; i < d; i++)
        {
            first[(h + i) * d + i] = 1;
            first[(h + d + i) * d + i] = -1;
        }
        var second = new float[d * wide];
        var secondBias = new float[d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < h; j++) second[i * wide + j] = r * w2[i * h + j];
            second[i * wide + h + i] = 1;
            second[i * wide + h + d + i] = -1;
            secondBias[i] = r * b2[i];
        }
        return
        [
            (d, wide, true, relu, [new TensorToWrite("linear.weight", [wide, d], first), new TensorToWrite("linear.bias", [wide], firstBias)]),
            (wide, d, true, identity, [new TensorToWrite("linear.weight", [d, wide], second), new TensorToWrite("linear.bias", [d], secondBias)]),
        ];
    }
}
