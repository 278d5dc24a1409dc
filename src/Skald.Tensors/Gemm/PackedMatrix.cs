using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Skald.Tensors.Gemm;

/// <summary>
/// The B operand of a product, op(B) [k, n], packed once into <see cref="ManagedGemm"/>'s panel layout (NR-wide panels
/// of all k rows, zero-padded to a whole panel) so that repeated products with the same constant matrix (a frozen
/// weight at inference) skip packing B. The result of <see cref="ManagedGemm.SgemmPacked"/> is bit-identical to
/// <see cref="ManagedGemm.Sgemm"/> on the unpacked matrix: the same micro-kernel reads the same values in the same
/// order. Immutable; safe to share between threads. Holds one float32 copy of B (pinned, 64-byte aligned), or, made by
/// <see cref="ManagedGemm.PackForLinear"/> where the AMX six-term product runs, a Linear weight's bfloat16 pieces
/// instead (<see cref="HasPanels"/> false: its first pieces alone, 2 bytes a weight, when every value is a bfloat16; its
/// three, 6 bytes, only off the 32-wide panels or with SKALD_AMX_FP32=pieces; its values read back exactly, <see cref="Quantization.SixTermMatrix.CopyRowMajor"/>).
/// </summary>
public sealed unsafe class PackedMatrix
{
    private readonly float[]? buffer;
    private readonly int start;
    private Quantization.SixTermMatrix? sixTerm;

    private PackedMatrix(float[]? buffer, int start, int k, int n, int nr, string kernel)
    {
        this.buffer = buffer;
        this.start = start;
        K = k;
        N = n;
        NR = nr;
        Kernel = kernel;
    }

    /// <summary>Rows of op(B) (the product's depth).</summary>
    public int K { get; }

    /// <summary>Columns of op(B) (the product's output width).</summary>
    public int N { get; }

    /// <summary>Name of the kernel the panels were laid out for (<see cref="IGemmBackend.Name"/>).</summary>
    public string Kernel { get; }

    /// <summary>Bytes held by the float32 panels (0 for a pieces-only matrix: <see cref="SixTermBytes"/>).</summary>
    public long Bytes => (long)(buffer?.Length ?? 0) * sizeof(float);

    /// <summary>
    /// Whether the float32 panels are held: false for a Linear weight held as its bfloat16 pieces only
    /// (<see cref="ManagedGemm.PackForLinear"/>), which multiplies on the six-term product
    /// (<see cref="Quantization.SixTermGemm"/>) and is read back from its pieces by anything else.
    /// </summary>
    public bool HasPanels => buffer is not null;

    /// <summary>
    /// The weight's bfloat16 pieces for the AMX float32 product (<see cref="Quantization.SixTermGemm"/>): a pieces-only
    /// matrix's own; else made for the panels at the first product that asks (<see cref="Quantization.SixTermMatrix.For"/>:
    /// on 32-wide panels split per product from them, no bytes beside; the first pieces alone, 2 bytes a weight, when
    /// every value is a bfloat16; all three, 6 bytes, beside panels of another width or with SKALD_AMX_FP32=pieces) and kept, dropped when the panels
    /// are packed again.
    /// </summary>
    internal Quantization.SixTermMatrix SixTerm
    {
        get
        {
            if (sixTerm is { } made) return made;
            var mine = Quantization.SixTermMatrix.For(this);
            return Interlocked.CompareExchange(ref sixTerm, mine, null) ?? mine;
        }
    }

    /// <summary>Bytes held by the bfloat16 pieces (<see cref="SixTerm"/>; 0 until made).</summary>
    public long SixTermBytes => sixTerm?.Bytes ?? 0;

    /// <summary>Panel width.</summary>
    internal int NR { get; }

    /// <summary>The first panel (valid while this object is alive: the buffer is pinned); throws for a pieces-only matrix.</summary>
    internal float* Panels => buffer is not null
        ? (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)) + start
        : throw new InvalidOperationException("this packed weight holds its bfloat16 pieces only, no float32 panels");

    /// <summary>
    /// A Linear weight held as its bfloat16 pieces only (<paramref name="pieces"/>, <see cref="Quantization.SixTermMatrix.Lossless"/>),
    /// labelled for the kernel of <paramref name="spec"/> (so <see cref="ManagedGemm.Accepts"/> reads as for its panels).
    /// </summary>
    internal static PackedMatrix PiecesOnly(in KernelSpec spec, Quantization.SixTermMatrix pieces) =>
        new(null, 0, pieces.K, pieces.N, spec.NR, spec.Name) { sixTerm = pieces };

    /// <summary>Keeps <paramref name="pieces"/> (made from the same values) beside the panels, so they are not made again.</summary>
    internal void KeepBeside(Quantization.SixTermMatrix pieces) => sixTerm = pieces;

    /// <summary>Packs op(B) (k×n; B is [k, n] with row stride ldb, or [n, k] when transB) for the kernel of spec.</summary>
    internal static PackedMatrix Create(in KernelSpec spec, bool transB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        int nr = spec.NR;
        long panels = (n + nr - 1) / nr;
        long floats = panels * nr * k;
        if (floats + 16 > Array.MaxLength) throw new ArgumentException($"a packed [{k}, {n}] matrix is too large");
        var buffer = GC.AllocateUninitializedArray<float>((int)floats + 16, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        int start = (int)((((p + 63) & ~(nint)63) - p) / sizeof(float));
        var packed = new PackedMatrix(buffer, start, k, n, nr, spec.Name);
        packed.Fill(transB, b, ldb);
        return packed;
    }

    /// <summary>
    /// Packs op(B) again into this matrix's panels (the same k and n; B as in <see cref="Create"/>), allocating
    /// nothing: a B that changes between products of the same shape (k-means' centroids, step after step).
    /// </summary>
    internal void Fill(bool transB, ReadOnlySpan<float> b, int ldb)
    {
        if (buffer is null) throw new InvalidOperationException("a pieces-only packed weight is not packed again");
        sixTerm = null;
        if (K == 0 || N == 0) return;
        fixed (float* pb = b)
        {
            var g = new GemmArgs { TransB = transB, K = K, N = N, Ldb = ldb, B = pb };
            GemmDriver.PackB(g, 0, K, 0, N, Panels, NR);
        }
    }
}
