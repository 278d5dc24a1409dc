namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    private Gemm.PackedMatrix? partPacked; // a part of a packed-only stack multiplied alone: its rows packed on their own

    /// <summary>
    /// Whether this weight holds only its GEMM-packed form (<see cref="ReleaseToPacked"/>: packed-only inference): no
    /// float32 values beside the packed panels (or, where the AMX six-term product runs, its three bfloat16 pieces, its
    /// first piece alone when every value is a bfloat16: <see cref="Gemm.ManagedGemm.PackForLinear"/>), frozen. The Linear ops read the panels on any tape that does not record
    /// (the same bits as the float32 values: packing only copies); <see cref="Widen"/> reads the values back out of them.
    /// </summary>
    public bool IsPackedOnly => storage.PackedOnly is not null;

    /// <summary>
    /// Whether this weight is tied: read as a Linear weight and also by rows elsewhere (an embedding table that is also
    /// a decoder's LM head). A tied weight is never released to a packed-only form (<see cref="ReleaseToPacked"/>) or an
    /// int8-only one by a tape, since the lookup needs its float32 rows.
    /// </summary>
    public bool Tied { get; set; }

    /// <summary>
    /// The float32 values when held, else empty (a packed-only weight): for the kernels that read the packed form and
    /// touch the values only when the backend takes no packed operand (never for a packed-only weight).
    /// </summary>
    internal ReadOnlySpan<float> ValuesIfHeld => storage.Values is { } v ? v.AsSpan(offset, Length) : default;

    /// <summary>
    /// Makes this float32 [out, in] weight packed-only: packs it for the GEMM (<see cref="Gemm.Blas.Pack"/>, as
    /// pre-packed inference does) and drops the float32 values and their gradient, so it takes one copy of memory
    /// instead of two. It must view all of its storage (a plain weight, or the whole of a <see cref="Stack"/>, whose
    /// parts become packed-only with it), not be <see cref="Tied"/>, have no LoRA adapter, and the GEMM backend must be
    /// the managed one. Irreversible: training, LoRA, merging adapters and writing to the values then throw one message
    /// (load the model again for them); saving and int8 quantisation read the values out of the panels. Returns the
    /// float32 bytes released (0 when already packed-only); throws with the reason when it cannot be released.
    /// </summary>
    public long ReleaseToPacked() => ReleaseToPackedAt(high: false);

    // ReleaseToPacked keeping the packing made for a model at "high" precision (`high`: its two pieces, when it holds them).
    private long ReleaseToPackedAt(bool high)
    {
        if (storage.PackedOnly is not null) return 0;
        if (WhyNotPackedOnly() is { } why) throw new InvalidOperationException(why);
        var packed = PackedForLinear(holdPieces: false, high) ?? throw new InvalidOperationException($"{Name}: the GEMM backend did not pack it");
        long bytes = 4L * Length;
        storage.ReleaseToPacked(packed);
        requiresGrad = false;
        foreach (var p in parts) p.requiresGrad = false;
        return bytes;
    }

    /// <summary>
    /// <see cref="PackedForLinear(bool, bool)"/> as <paramref name="tape"/> asks (<see cref="Tape.HoldWeightPieces"/>); with
    /// <see cref="Tape.KeepPackedOnly"/>, a weight that can be released (<see cref="ReleaseToPacked"/>) then keeps only the
    /// packed form, its float32 values dropped as soon as it is packed (so a model made packed-only never holds both
    /// copies of every weight; at "high" precision, <see cref="Quantization.MatmulPrecisionScope.Asks"/>, a weight holding
    /// its pieces keeps the two that precision reads, 4 bytes a weight, and no panels).
    /// </summary>
    internal Gemm.PackedMatrix? PackedForLinear(Tape tape)
    {
        bool high = Quantization.MatmulPrecisionScope.Asks(tape);
        var packed = PackedForLinear(tape.HoldWeightPieces, high);
        if (!tape.KeepPackedOnly || packed is null || storage.PackedOnly is not null || WhyNotPackedOnly() is not null) return packed;
        long bytes = ReleaseToPackedAt(high);
        ReleasedMemory.Note(bytes);
        return storage.PackedOnly;
    }

    /// <summary>Why this weight cannot become packed-only (one line naming it), or null when it can.</summary>
    internal string? WhyNotPackedOnly()
    {
        if (!storage.HoldsFloat32)
            return $"{Name}: only float32 weights can be kept packed only (this one holds {(storage.Int8 is not null ? "int8" : Precision.ToString())} values)";
        if (Shape.Length != 2) return $"{Name}: only [out, in] weights can be kept packed only";
        if (!CoversStorage) return $"{Name} is a part of a stacked weight: release the stacked whole";
        bool tied = Tied, adapted = lora is not null;
        foreach (var p in parts)
        {
            tied |= p.Tied;
            adapted |= p.lora is not null;
        }
        if (tied) return $"{Name} is tied (an embedding table also used as a Linear weight): its float32 rows are kept";
        if (adapted) return $"{Name} has a LoRA adapter: merge or remove it before keeping the weight packed only";
        if (Gemm.Blas.Backend is not Gemm.ManagedGemm)
            return $"{Name}: the GEMM backend ({Gemm.Blas.Backend.Name}) takes no packed weights; packed-only needs the managed GEMM";
        return null;
    }

    /// <summary>
    /// The packed form of a packed-only weight for the current backend: its own panels (re-packed from their values
    /// when the managed kernel changed), or for a part of a stack its rows packed on their own (made once, kept).
    /// </summary>
    private Gemm.PackedMatrix PackedOnlyForLinear(Gemm.PackedMatrix only, bool holdPieces, bool high)
    {
        if (Gemm.Blas.Backend is not Gemm.ManagedGemm managed)
            throw new InvalidOperationException(
                $"{Name} holds only its packed form for the managed GEMM (packed-only inference) but the GEMM backend is now " +
                $"{Gemm.Blas.Backend.Name}: set the managed backend back, or load the model again");
        if (!managed.Accepts(only))
        {
            var values = new float[(long)only.N * only.K];
            Gemm.PackedUnpack.CopyRowMajor(only, 0, values);
            only = managed.PackForLinear(values, only.N, only.K, holdPieces, high);
            storage.Repack(only);
        }
        if (CoversStorage) return only;
        if (partPacked is { } mine && managed.Accepts(mine)) return mine;
        var rows = new float[Length];
        Gemm.PackedUnpack.CopyRowMajor(only, offset, rows);
        return partPacked = managed.PackForLinear(rows, Shape[0], Shape[1], holdPieces, high);
    }

    // Whether a kept packing serves a product at `high`: panels and a bfloat16-exact weight's first pieces serve either
    // precision; held pieces are the two "high" reads, or three for the six terms.
    private static bool Serves(Gemm.PackedMatrix packed, bool high) =>
        packed.HasPanels || packed.SixTerm.Bf16Exact || (packed.SixTerm.PieceCount == 2) == high;

    private string PackedOnlyMessage() =>
        $"{Name} holds only its GEMM-packed form (packed-only inference: SentenceEncoder.KeepPackedOnly or skald encode); " +
        "training, LoRA, merging adapters and changing the weights need the float32 values: load the model again " +
        "(saving and int8 quantisation work from the packed form)";
}
