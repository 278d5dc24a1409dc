using System.Runtime.CompilerServices;
using Skald.Tensors.Autograd;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The int8 form of Linear weights (<see cref="Int8Matrix"/>), kept beside each <see cref="Parameter"/> while it lives:
/// made on first use from the float32 values (<see cref="For(Parameter)"/>) or attached as read from a saved quantised model
/// (<see cref="Attach"/>). A stacked weight (<see cref="Parameter.Stack"/>) whose parts all carry a form gets their
/// rows stacked, bit for bit (per-row quantisation of the whole equals that of each part). Forms are not refreshed when
/// values change: call <see cref="Drop"/> after training a weight that was used quantised.
/// <para>
/// An int8-only weight (<see cref="Parameter.IsInt8Only"/>) holds its form in its own storage instead of beside it:
/// <see cref="For(Parameter, bool)"/> with <c>release</c> makes one (the float32 values dropped as soon as the form is
/// made, so a model being quantised never holds both copies of every weight), and a part of an int8-only stack gets its
/// rows of the whole's form (copied, kept here) when asked for alone.
/// </para>
/// </summary>
public static class Int8Weights
{
    private static readonly ConditionalWeakTable<Parameter, Int8Matrix> Forms = new();

    /// <summary>
    /// The int8 form of an [out, in] float32 weight, made (and kept) on first call; null when the CPU has no int8
    /// kernel (<see cref="Int8Gemm.Best"/>) or the parameter is not a float32 matrix.
    /// </summary>
    public static Int8Matrix? For(Parameter weight) => For(weight, false);

    /// <summary>
    /// <see cref="For(Parameter)"/>; with <paramref name="release"/>, a float32 weight that views all of its storage
    /// (not a part of a stack) and has no LoRA adapter then keeps only the form (<see cref="Parameter.ReleaseFloat32"/>).
    /// The form of an int8-only weight is returned as it is.
    /// </summary>
    public static Int8Matrix? For(Parameter weight, bool release)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Int8Storage is { } whole)
        {
            if (weight.CoversStorage) return whole;
            if (Forms.TryGetValue(weight, out var rows)) return rows;
            rows = Rows(whole, weight.RowOffset, weight.Shape[0]);
            Forms.AddOrUpdate(weight, rows);
            return rows;
        }
        if (Forms.TryGetValue(weight, out var kept))
        {
            if (Int8Gemm.Best is null) return null;
            if (release) Release(weight, kept);
            return kept;
        }
        if (Int8Gemm.Best is null || weight.Shape.Length != 2 || weight.Precision != WeightPrecision.Float32) return null;
        Int8Matrix made;
        var parts = weight.Parts;
        if (parts.Count > 0 && parts.All(p => Forms.TryGetValue(p, out _)))
            made = Int8Matrix.Concat([.. parts.Select(p => Forms.TryGetValue(p, out var f) ? f : throw new InvalidOperationException())]);
        else
            made = Int8Matrix.Quantize(weight.IsPackedOnly ? Unpacked(weight) : weight.Values.Span, weight.Shape[0], weight.Shape[1]);
        Forms.AddOrUpdate(weight, made);
        if (release) Release(weight, made);
        return made;
    }

    /// <summary>A packed-only weight's values read out of its panels (the same bits; one weight at a time).</summary>
    private static float[] Unpacked(Parameter weight)
    {
        var values = new float[weight.Length];
        weight.Widen(0, values);
        return values;
    }

    private static void Release(Parameter weight, Int8Matrix form)
    {
        if (!weight.CoversStorage || weight.Tied || weight.Lora is not null || weight.Parts.Any(p => p.Lora is not null)) return;
        long bytes = 4L * weight.Length;
        weight.ReleaseFloat32(form);
        Autograd.ReleasedMemory.Note(bytes); // aggressive: the decoder's int8-only peak 1.97 GB (a forced collection: 2.06)
    }

    /// <summary>Rows [start, start + count) of <paramref name="whole"/> as their own matrix (values unchanged).</summary>
    private static Int8Matrix Rows(Int8Matrix whole, int start, int count)
    {
        var values = new sbyte[(long)count * whole.K];
        for (int j = 0; j < count; j++) whole.CopyRow(start + j, values.AsSpan(j * whole.K, whole.K));
        return Int8Matrix.FromQuantized(values, whole.Scales.AsSpan(start, count), count, whole.K);
    }

    /// <summary>The form kept for <paramref name="weight"/>, if any (never makes one; an int8-only weight's own form).</summary>
    public static Int8Matrix? Kept(Parameter weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Int8Storage is { } whole && weight.CoversStorage) return whole;
        return Forms.TryGetValue(weight, out var m) ? m : null;
    }

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

    /// <summary>
    /// Forgets the int8 form of <paramref name="weight"/> (the next <see cref="For(Parameter)"/> quantises the values
    /// anew); an int8-only weight keeps its own.
    /// </summary>
    public static void Drop(Parameter weight) => Forms.Remove(weight ?? throw new ArgumentNullException(nameof(weight)));
}
