namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    /// <summary>
    /// Whether this weight holds only its int8 form (<see cref="ReleaseFloat32"/>, or loaded from a saved int8 model):
    /// no float32 values, frozen; the Linear op multiplies it in int8 on any tape that does not record.
    /// </summary>
    public bool IsInt8Only => storage.Int8 is not null;

    /// <summary>
    /// The int8 form of the whole storage this parameter views (of the stacked whole for a part, with the part's rows
    /// from <see cref="RowOffset"/>), or null when the float32 values are held.
    /// </summary>
    internal Quantization.Int8Matrix? Int8Storage => storage.Int8;

    /// <summary>
    /// This int8-only weight dequantised, row-major [out, in], into <paramref name="destination"/> (a part's own rows of
    /// its stacked whole): what a recording pass multiplies by (LoRA on an int8 base).
    /// </summary>
    internal void DequantizeInt8(Span<float> destination)
    {
        var form = storage.Int8 ?? throw new InvalidOperationException($"{Name} is not int8-only");
        form.DequantizeRows(RowOffset, Shape[0], destination);
    }

    /// <summary>Whether this parameter views all of its storage (a plain parameter or a stacked whole, not a part).</summary>
    internal bool CoversStorage => offset == 0 && Length == storage.Count;

    /// <summary>
    /// Makes this float32 [out, in] weight int8-only: keeps <paramref name="form"/> (its int8 form, as
    /// <see cref="Quantization.Int8Weights.For(Parameter, bool)"/> made it) and drops the float32 values, their gradient
    /// and packed copy, so the weight takes ~¼ of the memory. It must view all of its storage (a plain weight, or the
    /// whole of a <see cref="Stack"/>, whose parts become int8-only with it) and have no LoRA adapter. Irreversible:
    /// what needs float32 afterwards throws (load the model again for it).
    /// </summary>
    public void ReleaseFloat32(Quantization.Int8Matrix form)
    {
        ArgumentNullException.ThrowIfNull(form);
        if (storage.Int8 is not null) return;
        if (!storage.HoldsFloat32 && storage.PackedOnly is null)
            throw new InvalidOperationException($"{Name}: only float32 weights can be released for int8 (this one holds {Precision})");
        if (Shape.Length != 2 || form.N != Shape[0] || form.K != Shape[1])
            throw new ArgumentException($"{Name}: an int8 [{form.N}, {form.K}] form does not fit [{string.Join(", ", Shape)}]", nameof(form));
        if (!CoversStorage) throw new InvalidOperationException($"{Name} is a part of a stacked weight: release the stacked whole");
        if (lora is not null || parts.Any(p => p.lora is not null))
            throw new InvalidOperationException($"{Name} has a LoRA adapter: merge or remove it before keeping the weight in int8 only");
        storage.ReleaseToInt8(form);
        requiresGrad = false;
        foreach (var p in parts) p.requiresGrad = false;
    }

    /// <summary>
    /// Parameters stacked along their first axis that hold only the int8 <paramref name="whole"/> (rows in part order,
    /// as <see cref="Stack"/> lays float32 ones out): how a saved int8 model's stacked projections are loaded without
    /// float32 values. Every part is [rows, whole.K].
    /// </summary>
    public static (Parameter Whole, Parameter[] Parts) StackInt8(string wholeName, IReadOnlyList<(string Name, int[] Shape)> parts,
        bool weightDecay, Quantization.Int8Matrix whole)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(whole);
        if (parts.Count == 0) throw new ArgumentException("nothing to stack", nameof(parts));
        if (parts.Any(p => p.Shape.Length != 2 || p.Shape[1] != whole.K) || parts.Sum(p => p.Shape[0]) != whole.N)
            throw new ArgumentException($"{wholeName}: the parts do not stack to the int8 [{whole.N}, {whole.K}]", nameof(parts));
        var storage = new Storage(whole);
        var views = new Parameter[parts.Count];
        int at = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            views[i] = new Parameter(parts[i].Name, storage, at, parts[i].Shape, weightDecay);
            at += views[i].Length;
        }
        return (new Parameter(wholeName, storage, 0, [whole.N, whole.K], weightDecay) { parts = views }, views);
    }
}
