using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Bf16 = Skald.Tensors.Kernels.Bf16;

namespace Skald.Tensors.Quantization;

/// <summary>
/// A float32 weight W [N, K] as three bfloat16 pieces (W = w1 + w2 + w3 to float32's precision,
/// <see cref="SixTermLayout.Piece"/>) laid out for <see cref="SixTermTileAmx"/>: per 32-column panel pair, per
/// 32-deep chunk, one 6 KB step (<see cref="SixTermLayout"/>), N padded to whole pairs and K to whole chunks with zeros.
/// 6 bytes a weight (1.5× the float32 panels): held so only beside (or, when <see cref="Lossless"/>, instead of) panels
/// that are not 32 columns wide; a float32 W on 32-wide panels (every AMX host's AVX-512 kernel) is instead a view of
/// those panels whose pieces each product splits (<see cref="SplitsPerCall"/>, <see cref="SplitPairs"/>: 4 bytes a weight
/// in all, the same pieces; <see cref="For"/> is the rule). Immutable, shared by threads. W's values read back
/// (<see cref="CopyRowMajor"/>) are <see cref="SixTermLayout.Join"/> of their pieces. A W whose every value is a bfloat16
/// (<see cref="Bf16Exact"/>: a bfloat16 checkpoint's, read as float32) has its second and third pieces all zero and is held
/// as its first piece alone, 2 bytes a weight (one 2 KB step a chunk, <see cref="ThreeTermTileAmx"/>), its values that
/// piece, multiplied from the three terms that piece takes part in. A W packed for a model at "high" precision
/// (<see cref="Float32MatmulPrecision.High"/>) may instead hold its first two pieces alone (<see cref="PieceCount"/> 2, 4
/// bytes a weight, one 4 KB step a chunk): all <see cref="HighTileAmx"/> reads, so its products run at "high" whatever a
/// later call asks, and its values read back are p1 + p2 (within 2^-16 of W's; <see cref="Lossless"/> false unless every
/// value is that sum).
/// </summary>
internal sealed unsafe class SixTermMatrix
{
    private readonly ushort[] buffer;
    private readonly int start;
    private readonly Gemm.PackedMatrix? panels; // a W split per call: its float32 panels, 32 columns wide

    // W over its float32 panels (SplitsPerCall): no pieces held.
    private SixTermMatrix(Gemm.PackedMatrix panels)
    {
        N = panels.N;
        K = panels.K;
        PieceCount = 3;
        StepValues = SixTermLayout.StepValues;
        Chunks = SixTermLayout.Chunks(K);
        Pairs = (N + SixTermLayout.Block - 1) / SixTermLayout.Block;
        buffer = [];
        this.panels = panels;
    }

    private SixTermMatrix(int n, int k, int pieces)
    {
        N = n;
        K = k;
        PieceCount = pieces;
        StepValues = SixTermLayout.StepValuesOf(pieces);
        Chunks = SixTermLayout.Chunks(k);
        Pairs = (n + SixTermLayout.Block - 1) / SixTermLayout.Block;
        long values = (long)Pairs * Chunks * StepValues;
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

    /// <summary>
    /// Whether every value of W comes back bit for bit from its pieces (<see cref="SixTermLayout.Join"/>): true unless W
    /// holds a nonzero value below 2^-110 in magnitude or a NaN with payload bits below bfloat16's.
    /// </summary>
    public bool Lossless { get; private set; } = true;

    /// <summary>
    /// Whether every value of W is a bfloat16 (its low 16 bits zero, and not a signalling NaN): W is then held as its first
    /// piece alone (2 bytes a weight) and multiplied by <see cref="ThreeTermTileAmx"/>, the same sums as the six terms'.
    /// </summary>
    public bool Bf16Exact => PieceCount == 1;

    /// <summary>
    /// The pieces held a weight: 3 (six terms, or "high" reading the first two), 1 (<see cref="Bf16Exact"/>) or 2 (held for
    /// "high" alone, <see cref="FromRows(ReadOnlySpan{float}, int, int, int)"/>). 3 for a W split per call, whose products
    /// split as many as their precision reads.
    /// </summary>
    public int PieceCount { get; }

    /// <summary>
    /// bfloat16 values from one of W's chunks to the next, <see cref="SixTermLayout.StepValuesOf"/>(<see cref="PieceCount"/>):
    /// <see cref="ThreeTermTileAmx.WStepValues"/> when <see cref="Bf16Exact"/>.
    /// </summary>
    public int StepValues { get; }

    /// <summary>
    /// Whether W is held as its float32 panels (<see cref="For"/>: 4 bytes a weight, nothing beside them) and its pieces
    /// are split per product (<see cref="SplitPairs"/>) instead of held.
    /// </summary>
    public bool SplitsPerCall => panels is not null;

    /// <summary>Bytes held (0 when <see cref="SplitsPerCall"/>: the panels are the packed weight's).</summary>
    public long Bytes => (long)buffer.Length * sizeof(ushort);

    /// <summary>Bytes from one panel pair's pieces to the next.</summary>
    public long PairBytes => (long)Chunks * StepValues * sizeof(ushort);

    /// <summary>The first pair's first step (valid while this object is alive: the buffer is pinned); throws when <see cref="SplitsPerCall"/>.</summary>
    public ushort* Pieces => panels is null
        ? (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)) + start
        : throw new InvalidOperationException("this weight's pieces are split per product from its float32 panels");

    /// <summary>
    /// The pieces the products of <paramref name="packed"/> (a transposed operand's panels) read, by the one rule: a W
    /// whose every value is a bfloat16 as its first piece alone (<see cref="Bf16Exact"/>, 2 bytes a weight beside the
    /// panels); any other, on panels 32 columns wide (the AVX-512 kernel's: every AMX host's), over those panels, split
    /// per product (<see cref="SplitsPerCall"/>: no bytes beyond the panels' 4 a weight; each thread splits W once per
    /// chunk of at least 256 rows); on panels of another width (a kernel asked for) or with
    /// <see cref="SixTermGemm.HoldsPieces"/> (SKALD_AMX_FP32=pieces) its three pieces made once (<see cref="FromPanels"/>).
    /// A Linear weight whose model asked to hold its pieces has them from its packing (<see cref="SixTermGemm.HoldPieces"/>)
    /// and never comes here.
    /// </summary>
    public static SixTermMatrix For(Gemm.PackedMatrix packed)
    {
        if (packed.NR != SixTermLayout.Block || SixTermGemm.HoldsPieces) return FromPanels(packed);
        bool bf16 = AllBf16(packed.Panels, packed.N, packed.K, SixTermLayout.Block, (long)SixTermLayout.Block * packed.K, 1, SixTermLayout.Block);
        GC.KeepAlive(packed);
        return bf16 ? FromPanels(packed) : new SixTermMatrix(packed);
    }

    /// <summary>
    /// For a W split per call (<see cref="SplitsPerCall"/>): panel pairs [<paramref name="q0"/>, <paramref name="q1"/>) ×
    /// chunks [<paramref name="chunk0"/>, chunk0 + <paramref name="steps"/>) split from the float32 panels into the
    /// steps at <paramref name="destination"/> (pair q's at destination + (q − q0)·<paramref name="pairValues"/>, its
    /// chunks one step apart): the first <paramref name="pieces"/> (3, or 2 for "high") of the pieces
    /// <see cref="FromRows(ReadOnlySpan{float}, int, int)"/> holds, the same bits, steps <see cref="SixTermLayout.StepValuesOf"/>(pieces)
    /// apart; 16 values at a time with <paramref name="vector"/> (AVX-512), else value by value (<see cref="SixTermLayout.SplitPair"/>).
    /// </summary>
    internal void SplitPairs(int q0, int q1, int chunk0, int steps, ushort* destination, long pairValues, bool vector, int pieces = 3)
    {
        int stepValues = SixTermLayout.StepValuesOf(pieces);
        const int block = SixTermLayout.Block;
        var held = panels ?? throw new InvalidOperationException("this weight holds its pieces");
        float* first = held.Panels; // pair q is panel q: row t (k) of its 32 columns at (q·K + t)·32
        for (int q = q0; q < q1; q++)
        for (int c = chunk0; c < chunk0 + steps; c++)
        {
            int t0 = c * block, kc = Math.Min(block, K - t0);
            float* rows = first + ((long)q * K + t0) * block;
            if (kc < block) // the last chunk of a K that is no multiple of 32: its rows, then zeros
            {
                float* square = SixTermProducts.Square();
                new ReadOnlySpan<float>(rows, Math.Max(0, kc) * block).CopyTo(new Span<float>(square, block * block));
                new Span<float>(square + Math.Max(0, kc) * block, (block - Math.Max(0, kc)) * block).Clear();
                rows = square;
            }
            SixTermLayout.SplitPair(rows, block, destination + (q - q0) * pairValues + (long)(c - chunk0) * stepValues, vector, pieces);
        }
        GC.KeepAlive(held);
    }

    /// <summary>From W [n, k] row-major (its first piece alone when <see cref="Bf16Exact"/>).</summary>
    public static SixTermMatrix FromRows(ReadOnlySpan<float> w, int n, int k) => FromRows(w, n, k, allPieces: false);

    /// <summary>
    /// From W [n, k] row-major; with <paramref name="allPieces"/> all three pieces even when every value is a bfloat16
    /// (for tests: the six-term product on such a W).
    /// </summary>
    internal static SixTermMatrix FromRows(ReadOnlySpan<float> w, int n, int k, bool allPieces) => FromRows(w, n, k, allPieces, pieces: 3);

    /// <summary>
    /// From W [n, k] row-major, holding its first <paramref name="pieces"/> pieces: 3 (<see cref="FromRows(ReadOnlySpan{float}, int, int)"/>)
    /// or 2, for a model at "high" precision (<see cref="PieceCount"/>; its first piece alone all the same when every
    /// value is a bfloat16).
    /// </summary>
    public static SixTermMatrix FromRows(ReadOnlySpan<float> w, int n, int k, int pieces) => FromRows(w, n, k, allPieces: false, pieces);

    private static SixTermMatrix FromRows(ReadOnlySpan<float> w, int n, int k, bool allPieces, int pieces)
    {
        if (pieces is not (2 or 3)) throw new ArgumentOutOfRangeException(nameof(pieces), "two or three pieces");
        if (w.Length < (long)n * k) throw new ArgumentException($"W needs [{n}, {k}] values", nameof(w));
        fixed (float* p = w) return Make(p, n, k, 1, k, 0, 1, allPieces, pieces);
    }

    /// <summary>From <see cref="Gemm.PackedMatrix"/>'s panels of a transposed operand (W[o, i] in panel o / NR, row i, lane o % NR).</summary>
    public static SixTermMatrix FromPanels(Gemm.PackedMatrix packed)
    {
        int nr = packed.NR;
        var m = Make(packed.Panels, packed.N, packed.K, nr, (long)nr * packed.K, 1, nr, allPieces: false, pieces: 3);
        GC.KeepAlive(packed);
        return m;
    }

    // W[o, i] at w + (o / group)·groupStride + (o % group)·lane + i·step: its first `pieces` pieces (2 or 3).
    private static SixTermMatrix Make(float* w, int n, int k, int group, long groupStride, long lane, long step, bool allPieces, int pieces)
    {
        if (!allPieces && AllBf16(w, n, k, group, groupStride, lane, step)) return FirstPieces(w, n, k, group, groupStride, lane, step);
        var m = new SixTermMatrix(n, k, pieces);
        bool three = pieces == 3;
        ushort* held = m.Pieces;
        for (int o = 0; o < n; o++)
        {
            float* row = w + o / group * groupStride + o % group * lane;
            ushort* pair = held + (long)(o / SixTermLayout.Block) * m.Chunks * m.StepValues;
            int j = o % SixTermLayout.Block;
            bool lossless = true;
            int i = 0;
            if (step == 1 && Vector512.IsHardwareAccelerated)
            {
                // 16 values at a time (a row-major W): the pieces' bits as Piece's, value by value, then stored in pairs.
                for (; i + 16 <= k; i += 16)
                {
                    var value = Vector512.Load(row + i);
                    var rest = value;
                    Vector512<uint> p1 = SixTermLayout.Piece16(ref rest), p2 = SixTermLayout.Piece16(ref rest), p3 = SixTermLayout.Piece16(ref rest);
                    if (!three) p3 = Vector512<uint>.Zero;
                    lossless &= Vector512.EqualsAll(SixTermLayout.Join16(p1, p2, p3).AsUInt32(), value.AsUInt32());
                    for (int l = 0; l < 16; l++)
                    {
                        pair[SixTermLayout.WIndex(j, i + l, 0, m.StepValues)] = (ushort)p1.GetElement(l);
                        pair[SixTermLayout.WIndex(j, i + l, 1, m.StepValues)] = (ushort)p2.GetElement(l);
                        if (three) pair[SixTermLayout.WIndex(j, i + l, 2, m.StepValues)] = (ushort)p3.GetElement(l);
                    }
                }
            }
            for (; i < k; i++)
            {
                float value = row[i * step], rest = value;
                ushort p1 = SixTermLayout.Piece(ref rest), p2 = SixTermLayout.Piece(ref rest), p3 = three ? SixTermLayout.Piece(ref rest) : (ushort)0;
                pair[SixTermLayout.WIndex(j, i, 0, m.StepValues)] = p1;
                pair[SixTermLayout.WIndex(j, i, 1, m.StepValues)] = p2;
                if (three) pair[SixTermLayout.WIndex(j, i, 2, m.StepValues)] = p3;
                lossless &= BitConverter.SingleToInt32Bits(SixTermLayout.Join(p1, p2, p3)) == BitConverter.SingleToInt32Bits(value);
            }
            if (!lossless) m.Lossless = false;
        }
        return m;
    }

    /// <summary>Whether every value of W [n, k] (row-major) is a bfloat16, as <see cref="Bf16Exact"/> asks.</summary>
    public static bool AllBf16(ReadOnlySpan<float> w, int n, int k)
    {
        if (w.Length < (long)n * k) throw new ArgumentException($"W needs [{n}, {k}] values", nameof(w));
        fixed (float* p = w) return AllBf16(p, n, k, 1, k, 0, 1);
    }

    // Whether every W[o, i] (addressed as in Make) is a bfloat16: low 16 bits zero, and not a signalling NaN (whose
    // split's first piece is quieted, so it would not come back).
    private static bool AllBf16(float* w, int n, int k, int group, long groupStride, long lane, long step)
    {
        for (int o = 0; o < n; o++)
        {
            float* row = w + o / group * groupStride + o % group * lane;
            int i = 0;
            if (step == 1 && Vector512.IsHardwareAccelerated)
            {
                for (; i + 16 <= k; i += 16)
                {
                    var u = Vector512.Load((uint*)row + i);
                    if (!Vector512.EqualsAll(u & Vector512.Create(0xFFFFu), Vector512<uint>.Zero)) return false;
                    if (Vector512.GreaterThanAny(u & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u)) && !AllBf16(row + i, 16, 1))
                        return false;
                }
            }
            if (!AllBf16(row + i * step, k - i, step)) return false;
        }
        return true;
    }

    // Whether count values step apart are all bfloat16s, value by value.
    private static bool AllBf16(float* v, int count, long step)
    {
        for (int i = 0; i < count; i++)
        {
            uint u = BitConverter.SingleToUInt32Bits(v[i * step]);
            if ((u & 0xFFFFu) != 0 || ((u & 0x7FFF_FFFFu) > 0x7F80_0000u && (u & 0x0040_0000u) == 0)) return false;
        }
        return true;
    }

    // A bfloat16-exact W held as its first pieces (each value's upper 16 bits: Piece's p1, its p2 and p3 zero).
    private static SixTermMatrix FirstPieces(float* w, int n, int k, int group, long groupStride, long lane, long step)
    {
        var m = new SixTermMatrix(n, k, pieces: 1);
        ushort* pieces = m.Pieces;
        for (int o = 0; o < n; o++)
        {
            float* row = w + o / group * groupStride + o % group * lane;
            ushort* pair = pieces + (long)(o / SixTermLayout.Block) * m.Chunks * m.StepValues;
            int j = o % SixTermLayout.Block, i = 0;
            for (; i + 1 < k; i += 2) // an even k and the next side by side: one 32-bit store of their upper halves
                *(uint*)(pair + SixTermLayout.WIndex(j, i, 0, m.StepValues)) = BitConverter.SingleToUInt32Bits(row[i * step]) >> 16
                    | BitConverter.SingleToUInt32Bits(row[(i + 1) * step]) & 0xFFFF_0000u;
            if (i < k) pair[SixTermLayout.WIndex(j, i, 0, m.StepValues)] = (ushort)(BitConverter.SingleToUInt32Bits(row[i * step]) >> 16);
        }
        return m;
    }

    /// <summary>
    /// Copies W's values [<paramref name="start"/>, start + destination.Length) (row-major, flat index o·K + i) into
    /// <paramref name="destination"/>, each <see cref="SixTermLayout.Join"/> of its pieces (W's own bits when
    /// <see cref="Lossless"/>; its first piece alone when <see cref="Bf16Exact"/>).
    /// </summary>
    public void CopyRowMajor(long start, Span<float> destination)
    {
        long end = start + destination.Length;
        if (start < 0 || end > (long)K * N) throw new ArgumentOutOfRangeException(nameof(start), "beyond the weight");
        ushort* pieces = Pieces;
        long pairValues = (long)Chunks * StepValues;
        for (int at = 0; at < destination.Length; at++)
        {
            long idx = start + at;
            int o = (int)(idx / K), i = (int)(idx % K), j = o % SixTermLayout.Block;
            ushort* pair = pieces + o / SixTermLayout.Block * pairValues;
            destination[at] = Bf16Exact ? Bf16.ToSingle(pair[SixTermLayout.WIndex(j, i, 0, StepValues)]) : SixTermLayout.Join(pair[SixTermLayout.WIndex(j, i, 0, StepValues)],
                pair[SixTermLayout.WIndex(j, i, 1, StepValues)], PieceCount == 3 ? pair[SixTermLayout.WIndex(j, i, 2)] : (ushort)0);
        }
        GC.KeepAlive(this);
    }
}
