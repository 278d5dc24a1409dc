namespace Skald.Tensors.Kernels;

/// <summary>
/// The cos/sin tables of rotary position embeddings for one head size and rope configuration, as transformers'
/// RotaryEmbedding modules compute them (modeling_rope_utils.py, float32 throughout):
/// inv_freq[i] = 1 / θ^(2i / R) for i &lt; R/2 (R = rotary dims = head_dim · partial_rotary_factor), rescaled by
/// <see cref="RopeScaling"/>; angle[p, i] = p · inv_freq[i] (one float32 product); cos/sin [P, R/2] per position p.
/// Tables grow on demand (a new snapshot; the old one stays valid for readers), so a warm model allocates nothing.
/// </summary>
public sealed class RopeTable
{
    private volatile Snapshot current = new(0, [], []);

    /// <summary>Tables for heads of <paramref name="headDim"/> values.</summary>
    /// <param name="headDim">Head size D.</param>
    /// <param name="theta">rope_theta (base).</param>
    /// <param name="scaling">rope_scaling (null: none).</param>
    /// <param name="partialRotaryFactor">Fraction of each head that is rotated (the rest passes through).</param>
    public RopeTable(int headDim, double theta, RopeScaling? scaling = null, double partialRotaryFactor = 1.0)
    {
        int r = (int)(headDim * partialRotaryFactor);
        if (headDim <= 0 || r <= 0 || r > headDim || r % 2 != 0)
            throw new ArgumentException($"head_dim {headDim} with partial_rotary_factor {partialRotaryFactor} gives {r} rotary dimensions (need an even number in 2..head_dim)");
        if (!(theta > 0)) throw new ArgumentException($"rope_theta must be positive, got {theta}");
        HeadDim = headDim;
        RotaryDim = r;
        InverseFrequencies = Compute(r, theta, scaling ?? RopeScaling.None);
    }

    /// <summary>Head size D.</summary>
    public int HeadDim { get; }

    /// <summary>Rotated dimensions R of each head (the first R; R = D unless partial).</summary>
    public int RotaryDim { get; }

    /// <summary>inv_freq [R/2] after scaling.</summary>
    public float[] InverseFrequencies { get; }

    /// <summary>cos and sin [≥ length, R/2] (row p = position p).</summary>
    public (float[] Cos, float[] Sin) Get(int length)
    {
        var s = current;
        if (s.Length >= length) return (s.Cos, s.Sin);
        int n = Math.Max(length, Math.Max(64, 2 * s.Length));
        int half = RotaryDim / 2;
        var cos = new float[n * half];
        var sin = new float[n * half];
        for (int p = 0; p < n; p++)
        {
            for (int i = 0; i < half; i++)
            {
                float angle = p * InverseFrequencies[i]; // float32 product, as torch's inv_freq @ position_ids
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        }
        current = new Snapshot(n, cos, sin);
        return (cos, sin);
    }

    /// <summary>inv_freq for <paramref name="rotaryDim"/> dimensions, float32 arithmetic as transformers.</summary>
    public static float[] Compute(int rotaryDim, double theta, RopeScaling scaling)
    {
        int half = rotaryDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++) inv[i] = 1f / MathF.Pow((float)theta, (float)(2 * i) / rotaryDim);
        switch (scaling.Type)
        {
            case RopeScalingType.Default:
                break;
            case RopeScalingType.Linear:
                for (int i = 0; i < half; i++) inv[i] /= scaling.Factor;
                break;
            case RopeScalingType.Llama3:
                Llama3(inv, scaling);
                break;
            case RopeScalingType.Ntk:
                Ntk(inv, rotaryDim, theta, scaling);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scaling));
        }
        return inv;
    }

    // _compute_llama3_parameters: wavelengths above old_context/low_freq_factor are divided by factor, below
    // old_context/high_freq_factor kept, and in between interpolated with
    // smooth = (old_context/wavelen − low) / (high − low): (1 − smooth)·inv/factor + smooth·inv.
    private static void Llama3(float[] inv, RopeScaling s)
    {
        float factor = s.Factor, low = s.LowFreqFactor, high = s.HighFreqFactor, old = s.OriginalMaxPositionEmbeddings;
        double lowWavelen = old / (double)low, highWavelen = old / (double)high;
        for (int i = 0; i < inv.Length; i++)
        {
            float wavelen = 1f / inv[i] * (float)(2 * Math.PI);
            float scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                float smooth = (1f / wavelen * old - low) / (high - low);
                scaled = (1f - smooth) * scaled / factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }

    // new-impl's NTKScalingRotaryEmbedding (its table for max_position_embeddings · factor positions, which the model
    // always uses): fixed NTK recomputes inv_freq from base·factor and divides it by factor^(2/R); mixed NTK keeps the
    // base and divides inv_freq[i] by λ_i = exp(a·(i + 1)^b), a = ln(factor) / (R/2)^b. float32 as upstream's tensors.
    private static void Ntk(float[] inv, int rotaryDim, double theta, RopeScaling s)
    {
        if (s.MixedB is not { } b)
        {
            float scaledBase = (float)(theta * s.Factor);
            float divisor = (float)Math.Pow(s.Factor, 2.0 / rotaryDim);
            for (int i = 0; i < inv.Length; i++) inv[i] = 1f / MathF.Pow(scaledBase, (float)(2 * i) / rotaryDim) / divisor;
            return;
        }
        float a = MathF.Log(s.Factor) / (float)Math.Pow(rotaryDim / 2.0, b);
        for (int i = 0; i < inv.Length; i++) inv[i] /= MathF.Exp(a * MathF.Pow(i + 1, b));
    }

    private sealed record Snapshot(int Length, float[] Cos, float[] Sin);
}
