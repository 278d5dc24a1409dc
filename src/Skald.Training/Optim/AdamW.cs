using System.Numerics;
using System.Runtime.InteropServices;
using Skald.Models.Checkpoints;

namespace Skald.Training.Optim;

/// <summary>
/// AdamW with PyTorch's semantics (torch.optim.AdamW, single-tensor path): for each parameter with
/// <see cref="Parameter.WeightDecay"/>, p ← p·(1 − lr·wd) first (decoupled decay); then m ← β₁m + (1 − β₁)g,
/// v ← β₂v + (1 − β₂)g², p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε). The learning rate of each step comes
/// from a <see cref="LearningRateSchedule"/>, times the parameter's <see cref="Parameter.LearningRateScale"/>; the
/// moments are the checkpointed state.
/// </summary>
public sealed class AdamW : IOptimizer
{
    private readonly Parameter[] parameters;
    private readonly float[][] m, v;
    private readonly (int Parameter, int Start, int Length)[] slices;

    /// <summary>An optimiser over <paramref name="parameters"/> with zeroed moments.</summary>
    public AdamW(IReadOnlyList<Parameter> parameters, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 0.01f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Select(p => p.Name).Distinct().Count() != parameters.Count)
            throw new ArgumentException("parameter names must be unique", nameof(parameters));
        this.parameters = [.. parameters];
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        m = [.. this.parameters.Select(p => new float[p.Data.Length])];
        v = [.. this.parameters.Select(p => new float[p.Data.Length])];
        slices = Slices(this.parameters);
    }

    /// <summary>β₁.</summary>
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Eps { get; }

    /// <summary>Decoupled weight decay.</summary>
    public float WeightDecay { get; }

    /// <summary>Steps taken (t of the bias correction).</summary>
    public long StepCount { get; private set; }

    /// <summary>One update with the current gradients.</summary>
    public void Step(float learningRate)
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount), bc2 = 1 - Math.Pow(Beta2, StepCount);
        float bc2Sqrt = (float)Math.Sqrt(bc2);
        float b1 = Beta1, b2 = Beta2, c1 = (float)(1 - (double)Beta1), c2 = (float)(1 - (double)Beta2), eps = Eps;
        // Slices of at most SliceLength elements claimed by the engine's pool, so one large matrix (a vocabulary's
        // embeddings) no longer sets the step's length on one core while the other waits; every element is updated
        // on its own, so the slicing does not change a bit.
        Tensors.Parallelism.For(slices.Length, 1, (s0, s1) =>
        {
            for (int s = s0; s < s1; s++)
            {
                var (i, start, length) = slices[s];
                var p = parameters[i];
                float lr = p.LearningRateScale == 1f ? learningRate : (float)((double)learningRate * p.LearningRateScale); // its own rate (learning_rate_mapping)
                float stepSize = (float)(lr / bc1), decay = (float)(1 - (double)lr * WeightDecay);
                Update(p.Data.Span.Slice(start, length), p.Grad.Span.Slice(start, length), m[i].AsSpan(start, length),
                    v[i].AsSpan(start, length), p.WeightDecay ? decay : 1f, b1, b2, c1, c2, stepSize, bc2Sqrt, eps);
            }
        });
    }

    // Elements one slice of the update covers (a multiple of any vector width).
    private const int SliceLength = 1 << 18;

    /// <summary>The parameters cut into slices of at most <see cref="SliceLength"/> elements: (parameter, start, length).</summary>
    private static (int Parameter, int Start, int Length)[] Slices(Parameter[] parameters)
    {
        var slices = new List<(int, int, int)>();
        for (int i = 0; i < parameters.Length; i++)
        {
            int n = parameters[i].Data.Length;
            for (int start = 0; start < n; start += SliceLength) slices.Add((i, start, Math.Min(SliceLength, n - start)));
        }
        return [.. slices];
    }

    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float decay, float b1,
        float b2, float c1, float c2, float stepSize, float bc2Sqrt, float eps)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<float>.Count)
        {
            var vp = MemoryMarshal.Cast<float, Vector<float>>(p);
            var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
            var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            var vStep = new Vector<float>(-stepSize);
            for (int k = 0; k < vp.Length; k++)
            {
                var gk = vg[k];
                var pk = vp[k] * decay;
                var mk = vm[k] * b1 + gk * c1;
                var vk = vv[k] * b2 + c2 * gk * gk;
                vm[k] = mk;
                vv[k] = vk;
                vp[k] = pk + vStep * mk / (Vector.SquareRoot(vk) / bc2Sqrt + new Vector<float>(eps));
            }
            i = vp.Length * Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i];
            float pi = p[i] * decay;
            float mi = m[i] * b1 + gi * c1;
            float vi = v[i] * b2 + c2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi + -stepSize * mi / (MathF.Sqrt(vi) / bc2Sqrt + eps);
        }
    }

    /// <summary>
    /// The moments as tensors <c>m/{name}</c>, <c>v/{name}</c> for checkpoints. They view the optimiser's live
    /// buffers: write them out, do not modify them.
    /// </summary>
    public IReadOnlyList<TensorToWrite> ExportState()
    {
        var d = new List<TensorToWrite>(2 * parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            d.Add(new TensorToWrite("m/" + parameters[i].Name, [m[i].Length], m[i]));
            d.Add(new TensorToWrite("v/" + parameters[i].Name, [v[i].Length], v[i]));
        }
        return d;
    }

    /// <summary>
    /// Restores moments saved by <see cref="ExportState"/> (copied) and the step count; a missing or mis-sized tensor is
    /// an <see cref="ArgumentException"/> naming it.
    /// </summary>
    public void ImportState(IReadOnlyDictionary<string, float[]> state, long stepCount)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        for (int i = 0; i < parameters.Length; i++)
        {
            foreach (var (prefix, buf) in new[] { ("m/", m[i]), ("v/", v[i]) })
            {
                string key = prefix + parameters[i].Name;
                if (!state.TryGetValue(key, out var saved)) throw new ArgumentException($"optimizer state has no \"{key}\"", nameof(state));
                if (saved.Length != buf.Length)
                    throw new ArgumentException($"optimizer state \"{key}\" has {saved.Length} values, the parameter {buf.Length}", nameof(state));
                saved.CopyTo(buf, 0);
            }
        }
        StepCount = stepCount;
    }
}
