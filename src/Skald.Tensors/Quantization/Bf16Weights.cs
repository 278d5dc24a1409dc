using System.Runtime.CompilerServices;
using Skald.Tensors.Autograd;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The bfloat16 panels of Linear weights (<see cref="Bf16Matrix"/>) that <see cref="Bf16Gemm"/> multiplies, kept beside
/// each <see cref="Parameter"/> while it lives and made on first use: a float32 weight rounded to nearest even, a
/// bfloat16 one (<c>--weights bf16</c>) taken as it is, one left in its checkpoint file packed from the file's values a
/// few KB at a time (a bfloat16 checkpoint's bits taken as stored), a float16 or packed-only one widened first. The weight's own
/// values stay (inference only: a recording pass multiplies them in float32), unless it is released to its form
/// (<see cref="For(Parameter, bool)"/> with release: a bf16-only weight, <see cref="Parameter.IsBf16Only"/>, holds the
/// form in its own storage instead). Forms are not refreshed when values change: call <see cref="Drop"/> after training
/// a weight that was used in bfloat16.
/// </summary>
public static class Bf16Weights
{
    private static readonly ConditionalWeakTable<Parameter, Bf16Matrix> Forms = new();

    /// <summary>
    /// The bfloat16 form of an [out, in] weight, made (and kept) on first call; null when the CPU has no AVX512-BF16
    /// (<see cref="Bf16Gemm.IsSupported"/>), the parameter is not a matrix or it is int8-only (then int8 multiplies it).
    /// </summary>
    public static Bf16Matrix? For(Parameter weight) => For(weight, false);

    /// <summary>
    /// <see cref="For(Parameter)"/>; with <paramref name="release"/>, a weight that can be (<see cref="Parameter.ReleaseToBf16"/>:
    /// it views all of its storage, is held in memory, is not tied and has no LoRA adapter) then keeps only the form, its
    /// values dropped as soon as the form is made (a model made bf16-only never holds both copies of every weight). A
    /// bf16-only weight's form is returned as it is (a part of a bf16-only stack gets its rows of the whole's, copied, kept here).
    /// </summary>
    public static Bf16Matrix? For(Parameter weight, bool release)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Bf16Storage is { } whole)
        {
            if (weight.CoversStorage) return whole;
            if (Forms.TryGetValue(weight, out var rows)) return rows;
            rows = whole.Rows(weight.RowOffset, weight.Shape[0]);
            Forms.AddOrUpdate(weight, rows);
            return rows;
        }
        if (Forms.TryGetValue(weight, out var kept))
        {
            if (release) Release(weight, kept);
            return kept;
        }
        if (!Bf16Gemm.IsSupported || weight.Shape.Length != 2 || weight.IsInt8Only) return null;
        int n = weight.Shape[0], k = weight.Shape[1];
        Bf16Matrix made;
        if (weight.Precision == WeightPrecision.BFloat16 && !weight.IsFileBacked) made = Bf16Matrix.FromBits(weight.Bits16.Span, n, k);
        else if (weight.Precision == WeightPrecision.Float32 && !weight.IsPackedOnly && !weight.IsFileBacked)
            made = Bf16Matrix.FromSingle(weight.Values.Span, n, k);
        else if (weight.Bf16FromFile() is { } fromFile) made = fromFile; // straight from the checkpoint's bits, no float32 copy
        else
        {
            var values = new float[weight.Length]; // one weight at a time, widened exactly
            weight.Widen(0, values);
            made = Bf16Matrix.FromSingle(values, n, k);
        }
        Forms.AddOrUpdate(weight, made);
        if (release) Release(weight, made);
        return made;
    }

    // The weight keeps only its form, where it can; the form then lives in its storage, not here.
    private static void Release(Parameter weight, Bf16Matrix form)
    {
        if (weight.WhyNotBf16Only() is not null) return;
        long bytes = weight.Precision == WeightPrecision.Float32 ? 4L * weight.Length : 2L * weight.Length;
        weight.ReleaseToBf16(form);
        Forms.Remove(weight);
        Autograd.ReleasedMemory.Note(bytes);
    }

    /// <summary>The parameters that hold a bfloat16 form beside their values now (any model's; bf16-only ones hold theirs in their storage).</summary>
    public static IEnumerable<Parameter> Held()
    {
        foreach (var (p, _) in Forms) yield return p;
    }

    /// <summary>Forgets the bfloat16 form of <paramref name="weight"/> (the next <see cref="For(Parameter)"/> rounds its values anew).</summary>
    public static void Drop(Parameter weight) => Forms.Remove(weight ?? throw new ArgumentNullException(nameof(weight)));
}
