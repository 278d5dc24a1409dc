using System.Runtime.CompilerServices;
using Skald.Tensors.Autograd;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The int8 form of Linear weights (<see cref="Int8Matrix"/>), kept beside each <see cref="Parameter"/> while it lives:
/// made on first use from the float32 values (<see cref="For"/>) or attached as read from a saved quantised model
/// (<see cref="Attach"/>). A stacked weight (<see cref="Parameter.Stack"/>) whose parts all carry a form gets their
/// rows stacked, bit for bit (per-row quantisation of the whole equals that of each part). Forms are not refreshed when
/// values change: call <see cref="Drop"/> after training a weight that was used quantised.
/// </summary>
public static class Int8Weights
{
    private static readonly ConditionalWeakTable<Parameter, Int8Matrix> Forms = new();

    /// <summary>
    /// The int8 form of an [out, in] float32 weight, made (and kept) on first call; null when the CPU has no int8
    /// kernel (<see cref="Int8Gemm.Best"/>) or the parameter is not a float32 matrix.
    /// </summary>
    public static Int8Matrix? For(Parameter weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (Forms.TryGetValue(weight, out var kept)) return Int8Gemm.Best is null ? null : kept;
        if (Int8Gemm.Best is null || weight.Shape.Length != 2 || weight.Precision != WeightPrecision.Float32) return null;
        Int8Matrix made;
        var parts = weight.Parts;
        if (parts.Count > 0 && parts.All(p => Forms.TryGetValue(p, out _)))
            made = Int8Matrix.Concat([.. parts.Select(p => Forms.TryGetValue(p, out var f) ? f : throw new InvalidOperationException())]);
        else
            made = Int8Matrix.Quantize(weight.Values.Span, weight.Shape[0], weight.Shape[1]);
        Forms.AddOrUpdate(weight, made);
        return made;
    }

    /// <summary>The form kept for <paramref name="weight"/>, if any (never makes one).</summary>
    public static Int8Matrix? Kept(Parameter weight) =>
        Forms.TryGetValue(weight ?? throw new ArgumentNullException(nameof(weight)), out var m) ? m : null;

    /// <summary>Attaches an int8 form (read from a quantised checkpoint) to <paramref name="weight"/>.</summary>
    public static void Attach(Parameter weight, Int8Matrix form)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(form);
        if (weight.Shape.Length != 2 || weight.Shape[0] != form.N || weight.Shape[1] != form.K)
            throw new ArgumentException($"{weight.Name}: an int8 [{form.N}, {form.K}] form does not fit [{string.Join(", ", weight.Shape)}]");
        Forms.AddOrUpdate(weight, form);
    }

    /// <summary>The parameters that hold an int8 form now (any model's).</summary>
    public static IEnumerable<Parameter> Quantized()
    {
        foreach (var (p, _) in Forms) yield return p;
    }

    /// <summary>Forgets the int8 form of <paramref name="weight"/> (the next <see cref="For"/> quantises the values anew).</summary>
    public static void Drop(Parameter weight) => Forms.Remove(weight ?? throw new ArgumentNullException(nameof(weight)));
}
