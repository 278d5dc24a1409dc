using Skald.Tensors.Gemm;

namespace Skald.Tensors.Autograd;

/// <summary>
/// One LoRA adapter of a linear weight W [out, in], as peft's <c>LoraLayer</c> defines it: A [r, in], B [out, r] and
/// scale = lora_alpha / r, so the layer computes y = x·Wᵀ + b + scale·(dropout(x)·Aᵀ)·Bᵀ and merging gives
/// W' = W + scale·B·A. Attach it with <see cref="Parameter.Lora"/>. Dropout is active in training passes only
/// (<see cref="Tape.Training"/>).
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/peft/blob/v0.17.1/src/peft/tuners/lora/layer.py</remarks>
public sealed class LoraAdapter
{
    /// <summary>An adapter over <paramref name="a"/> [r, in] and <paramref name="b"/> [out, r].</summary>
    public LoraAdapter(Parameter a, Parameter b, float scale, float dropout)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape.Length != 2 || b.Shape.Length != 2 || b.Shape[1] != a.Shape[0])
            throw new ArgumentException($"LoRA A [{string.Join(", ", a.Shape)}] and B [{string.Join(", ", b.Shape)}] do not share a rank");
        if (!(dropout is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), "dropout must be in [0, 1)");
        A = a;
        B = b;
        Scale = scale;
        Dropout = dropout;
    }

    /// <summary>lora_A [r, in].</summary>
    public Parameter A { get; }

    /// <summary>lora_B [out, r].</summary>
    public Parameter B { get; }

    /// <summary>The rank r.</summary>
    public int Rank => A.Shape[0];

    /// <summary>lora_alpha / r (or / √r with rsLoRA).</summary>
    public float Scale { get; }

    /// <summary>lora_dropout on the adapter's input.</summary>
    public float Dropout { get; }

    /// <summary>
    /// W += scale·B·A into the parameter <paramref name="weight"/>: in place for float32; for bfloat16 computed in
    /// float32, then rounded to nearest (<see cref="Parameter.Update{TState}"/>).
    /// </summary>
    public void MergeInto(Parameter weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        weight.Update(this, static (w, adapter) => adapter.MergeInto(w));
    }

    /// <summary>W += scale·B·A ([out, r]·[r, in]), in place (peft's merge).</summary>
    public void MergeInto(Span<float> weight)
    {
        int outF = B.Shape[0], inF = A.Shape[1], r = Rank;
        if (weight.Length != outF * inF) throw new ArgumentException($"the weight has {weight.Length} values, the adapter makes [{outF}, {inF}]");
        Blas.Sgemm(false, false, outF, inF, r, Scale, B.Data.Span, r, A.Data.Span, inF, 1f, weight, inF);
    }
}
