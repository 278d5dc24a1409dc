namespace Skald.Tensors.Gemm;

/// <summary>
/// Reads the values back out of a <see cref="PackedMatrix"/> made from a transposed operand (op(B) = Wᵀ, W [N, K]
/// row-major, as a Linear weight is packed): element W[o, i] sits in panel o / NR at row i, lane o % NR. Packing only
/// copies, so the values read are the packed ones bit for bit; a matrix holding a weight's bfloat16 pieces only
/// (<see cref="PackedMatrix.HasPanels"/> false) gives each value back as the sum of its pieces, its own bits too (it is
/// held so only when they all come back, <see cref="Quantization.SixTermMatrix.Lossless"/>). Used by packed-only weights
/// (<see cref="Autograd.Parameter.IsPackedOnly"/>) for saving, quantising and re-packing; never on the inference path.
/// </summary>
internal static unsafe class PackedUnpack
{
    /// <summary>
    /// Copies W's row-major values [<paramref name="start"/>, start + destination.Length) (flat index o·K + i) out of
    /// <paramref name="packed"/> into <paramref name="destination"/>.
    /// </summary>
    public static void CopyRowMajor(PackedMatrix packed, long start, Span<float> destination)
    {
        int k = packed.K, nr = packed.NR;
        long end = start + destination.Length;
        if (start < 0 || end > (long)k * packed.N) throw new ArgumentOutOfRangeException(nameof(start), "beyond the packed matrix");
        if (!packed.HasPanels)
        {
            packed.SixTerm.CopyRowMajor(start, destination);
            return;
        }
        float* panels = packed.Panels;
        int at = 0;
        for (long idx = start; idx < end;)
        {
            int o = (int)(idx / k), i0 = (int)(idx % k);
            int count = (int)Math.Min(k - i0, end - idx);
            float* src = panels + (long)(o / nr) * nr * k + (long)i0 * nr + o % nr;
            var d = destination.Slice(at, count);
            for (int i = 0; i < count; i++) d[i] = src[(long)i * nr];
            at += count;
            idx += count;
        }
    }
}
