using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Skald.Tensors.Quantization;

/// <summary>
/// A float32 weight W [N, K] as three bfloat16 pieces (W = w1 + w2 + w3 to float32's precision,
/// <see cref="SixTermLayout.Piece"/>) laid out for <see cref="SixTermTileAmx"/>: per 32-column panel pair, per
/// 32-deep chunk, one 6 KB step (<see cref="SixTermLayout"/>), N padded to whole pairs and K to whole chunks with zeros.
/// 6 bytes a weight (1.5× the float32 panels). Made once per weight (<see cref="Gemm.PackedMatrix"/> keeps it beside its
/// panels); immutable, shared by threads.
/// </summary>
internal sealed unsafe class SixTermMatrix
{
    private readonly ushort[] buffer;
    private readonly int start;

    private SixTermMatrix(int n, int k)
    {
        N = n;
        K = k;
        Chunks = SixTermLayout.Chunks(k);
        Pairs = (n + SixTermLayout.Block - 1) / SixTermLayout.Block;
        long values = (long)Pairs * Chunks * SixTermLayout.StepValues;
        if (values + 32 > Array.MaxLength) throw new ArgumentException($"a [{n}, {k}] weight is too large for bfloat16 pieces");
        buffer = GC.AllocateArray<ushort>((int)values + 32, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        start = (int)((((p + 63) & ~(nint)63) - p) / sizeof(ushort));
    }

    /// <summary>Output columns (W's rows).</summary>
    public int N { get; }

    /// <summary>Depth (W's columns).</summary>
    public int K { get; }

    /// <summary>32-deep chunks (K padded).</summary>
    public int Chunks { get; }

    /// <summary>32-column panel pairs (N padded).</summary>
    public int Pairs { get; }

    /// <summary>Bytes held.</summary>
    public long Bytes => (long)buffer.Length * sizeof(ushort);

    /// <summary>Bytes from one panel pair's pieces to the next.</summary>
    public long PairBytes => (long)Chunks * SixTermLayout.StepBytes;

    /// <summary>The first pair's first step (valid while this object is alive: the buffer is pinned).</summary>
    public ushort* Pieces => (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)) + start;

    /// <summary>From W [n, k] row-major.</summary>
    public static SixTermMatrix FromRows(ReadOnlySpan<float> w, int n, int k)
    {
        if (w.Length < (long)n * k) throw new ArgumentException($"W needs [{n}, {k}] values", nameof(w));
        fixed (float* p = w) return Make(p, n, k, 1, k, 0, 1);
    }

    /// <summary>From <see cref="Gemm.PackedMatrix"/>'s panels of a transposed operand (W[o, i] in panel o / NR, row i, lane o % NR).</summary>
    public static SixTermMatrix FromPanels(Gemm.PackedMatrix packed)
    {
        int nr = packed.NR;
        var m = Make(packed.Panels, packed.N, packed.K, nr, (long)nr * packed.K, 1, nr);
        GC.KeepAlive(packed);
        return m;
    }

    // W[o, i] at w + (o / group)·groupStride + (o % group)·lane + i·step.
    private static SixTermMatrix Make(float* w, int n, int k, int group, long groupStride, long lane, long step)
    {
        var m = new SixTermMatrix(n, k);
        ushort* pieces = m.Pieces;
        for (int o = 0; o < n; o++)
        {
            float* row = w + o / group * groupStride + o % group * lane;
            ushort* pair = pieces + (long)(o / SixTermLayout.Block) * m.Chunks * SixTermLayout.StepValues;
            int j = o % SixTermLayout.Block;
            for (int i = 0; i < k; i++)
            {
                float rest = row[i * step];
                for (int s = 0; s < 3; s++) pair[SixTermLayout.WIndex(j, i, s)] = SixTermLayout.Piece(ref rest);
            }
        }
        return m;
    }
}
