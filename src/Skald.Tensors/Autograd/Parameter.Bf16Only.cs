namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    /// <summary>
    /// Whether this weight holds only its bfloat16 GEMM panels (<see cref="ReleaseToBf16"/>: bf16-only inference, as
    /// <c>skald generate --quantize bf16</c> keeps a decoder): no float32 or row-major 16-bit values, frozen; the Linear op
    /// multiplies it in bfloat16 (<see cref="Quantization.Bf16Gemm"/>) on any tape that does not record.
    /// </summary>
    public bool IsBf16Only => storage.Bf16Only is not null;

    /// <summary>The bfloat16 panels of the whole storage this bf16-only parameter views (of the stacked whole for a part), or null.</summary>
    internal Quantization.Bf16Matrix? Bf16Storage => storage.Bf16Only;

    /// <summary>
    /// Makes this [out, in] weight bf16-only: keeps <paramref name="form"/> (its bfloat16 panels, as
    /// <see cref="Quantization.Bf16Weights.For(Parameter, bool)"/> made them) and drops its values (float32, or the
    /// row-major bfloat16 / float16 of <c>--weights bf16|f16</c>, or the file a weight left there reads them from), their
    /// gradient and packed copy. It must view all of its storage (a plain weight, or the whole of a <see cref="Stack"/>,
    /// whose parts become bf16-only with it), not be a file-backed table (<see cref="IsTable"/>, read by rows), not be <see cref="Tied"/> unless its values are bfloat16 already (then
    /// the embedding lookup reads the same bits out of the panels) and have no LoRA adapter. Irreversible: what needs the
    /// values afterwards throws (load the model again).
    /// </summary>
    public void ReleaseToBf16(Quantization.Bf16Matrix form)
    {
        ArgumentNullException.ThrowIfNull(form);
        if (storage.Bf16Only is not null) return;
        if (WhyNotBf16Only() is { } why) throw new InvalidOperationException(why);
        if (Shape.Length != 2 || form.N != Shape[0] || form.K != Shape[1])
            throw new ArgumentException($"{Name}: a bfloat16 [{form.N}, {form.K}] form does not fit [{string.Join(", ", Shape)}]", nameof(form));
        storage.ReleaseToBf16(form);
        requiresGrad = false;
        foreach (var p in parts) p.requiresGrad = false;
    }

    /// <summary>Why <see cref="ReleaseToBf16"/> refuses this weight, or null when it can be released.</summary>
    internal string? WhyNotBf16Only() =>
        storage.Int8 is not null || storage.PackedOnly is not null ? $"{Name}: an int8-only or packed-only weight cannot be kept in bfloat16 only"
        : storage.File is not null && IsTable ? $"{Name}: a file-backed table is read by rows, not kept in bfloat16 only"
        : !CoversStorage ? $"{Name} is a part of a stacked weight: release the stacked whole"
        : Tied && storage.Precision != WeightPrecision.BFloat16
        ? $"{Name} is tied and not bfloat16 (the embedding lookup reads its rows as they are): it keeps its values"
        : lora is not null || parts.Any(p => p.lora is not null) ? $"{Name} has a LoRA adapter: merge or remove it before keeping the weight in bfloat16 only"
        : null;

    /// <summary>Values from <paramref name="start"/> of this bf16-only weight widened into <paramref name="destination"/> (whole rows).</summary>
    private void WidenBf16Only(Quantization.Bf16Matrix form, int start, Span<float> destination)
    {
        int k = Shape[1];
        if (start < 0 || start % k != 0 || destination.Length % k != 0 || start + (long)destination.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"{Name}: a bf16-only weight widens whole rows only");
        var packed = form.Packed; // read in place (a tied table's lookup widens a row a token, allocating nothing)
        for (int j = 0; j < destination.Length / k; j++)
        {
            int row = RowOffset + start / k + j;
            var d = destination.Slice(j * k, k);
            for (int c = 0; c < k; c++) d[c] = Kernels.Bf16.ToSingle(packed[form.IndexOf(row, c)]);
        }
    }
}
