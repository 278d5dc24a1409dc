using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// A Linear weight held as its three bfloat16 pieces instead of float32 panels (<see cref="ManagedGemm.PackForLinear"/>):
/// the split gives every value back bit for bit when it can (which values can is worked out here from the number
/// itself, not from the split: a finite value that is a whole multiple of 2^-133, bfloat16's smallest denormal; ±∞; a
/// quiet NaN with nothing in its low 16 bits), a weight holding one that cannot keeps its panels, and a pieces-only
/// weight multiplies as the same weight's panels do, on the six-term path and, asked for, on the FMA kernels.
/// </summary>
public sealed class SixTermPiecesTests
{
    // What the pieces can hold exactly, from the value alone.
    private static bool Representable(float v)
    {
        if (float.IsNaN(v))
        {
            uint u = BitConverter.SingleToUInt32Bits(v);
            return (u & 0xFFFF) == 0 && (u & 0x0040_0000) != 0;
        }
        if (float.IsInfinity(v)) return true;
        double scaled = Math.ScaleB(v, 133); // exact: float32 values are at least 2^-149
        return scaled == Math.Floor(scaled);
    }

    internal static float[] Edges()
    {
        var list = new List<float>
        {
            0f, -0f, float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon, float.PositiveInfinity,
            float.NegativeInfinity, float.NaN, BitConverter.UInt32BitsToSingle(0xFFC0_0000), // quiet NaNs
            BitConverter.UInt32BitsToSingle(0x7FC0_0001), BitConverter.UInt32BitsToSingle(0x7F80_0001), // payload, signalling
            BitConverter.UInt32BitsToSingle(0x7F7F_8000), // rounds up to 2^128 as one bfloat16
            1f, -1f, 1.00390625f, MathF.ScaleB(1, -110), MathF.ScaleB(1.0000001f, -110), MathF.ScaleB(1.0000001f, -111),
            MathF.ScaleB(1, -126), MathF.ScaleB(1, -133), MathF.ScaleB(1, -134), MathF.ScaleB(3, -134), 1e-40f, -1e-39f,
            BitConverter.UInt32BitsToSingle(0x0001_0000), // a float32 denormal that is a bfloat16 one
            MathF.ScaleB(1.0078125f, -120), MathF.ScaleB(1 + MathF.ScaleB(1, -13), -120),
        };
        var rng = new Random(17);
        for (int e = 0; e < 256; e++) // every exponent, denormals and ∞/NaN included, random significands and signs
        for (int i = 0; i < 64; i++)
            list.Add(BitConverter.UInt32BitsToSingle((uint)rng.Next(2) << 31 | (uint)e << 23 | (uint)rng.Next(1 << 23)));
        return [.. list];
    }

    [Fact]
    public void EveryValueThePiecesCanHoldComesBackBitForBit()
    {
        var values = Edges();
        int representable = 0;
        foreach (float v in values)
        {
            var one = SixTermMatrix.FromRows([v], 1, 1);
            var back = new float[1];
            one.CopyRowMajor(0, back);
            bool expected = Representable(v);
            Assert.True(expected == one.Lossless, $"{v:R} (0x{BitConverter.SingleToUInt32Bits(v):X8}): lossless {one.Lossless}, expected {expected}");
            if (expected)
            {
                representable++;
                Assert.True(BitConverter.SingleToUInt32Bits(v) == BitConverter.SingleToUInt32Bits(back[0]),
                    $"0x{BitConverter.SingleToUInt32Bits(v):X8} came back as 0x{BitConverter.SingleToUInt32Bits(back[0]):X8}");
            }
            else Assert.True(float.IsNaN(v) || Math.Abs(v) < MathF.ScaleB(1, -110), $"{v:R} should have come back");
        }
        Assert.True(representable > values.Length * 3 / 4, $"{representable} of {values.Length}");
        // A whole weight of them at once (pairs and chunks, ragged): lossless iff every value is, and read back by slices.
        var rng = new Random(3);
        var w = new float[37 * 45];
        for (int i = 0; i < w.Length; i++)
            w[i] = BitConverter.UInt32BitsToSingle((uint)rng.Next(2) << 31 | (uint)rng.Next(17, 255) << 23 | (uint)rng.Next(1 << 23));
        w[5] = -0f;
        w[6] = float.NegativeInfinity;
        w[100] = float.MaxValue;
        var pieces = SixTermMatrix.FromRows(w, 37, 45);
        Assert.True(pieces.Lossless);
        var all = new float[w.Length];
        pieces.CopyRowMajor(0, all);
        Assert.Equal(w.Select(BitConverter.SingleToUInt32Bits), all.Select(BitConverter.SingleToUInt32Bits));
        var slice = new float[200];
        pieces.CopyRowMajor(301, slice);
        Assert.Equal(w.AsSpan(301, 200).ToArray(), slice);
        w[777] = 1e-40f;
        Assert.False(SixTermMatrix.FromRows(w, 37, 45).Lossless);
    }

    // The split of a row-major W (16 values at a time where AVX-512 runs) against the split of the same values read out of
    // the FMA kernel's panels (value by value): the same pieces, bit for bit, and the same verdict, edges included.
    [Fact]
    public unsafe void TheVectorSplitOfRowsIsThePanelsScalarSplit()
    {
        var edges = Edges();
        const int n = 40, k = 70;
        var gemm = new ManagedGemm();
        foreach (int first in new[] { 0, 1700, 3400, 5100, 6800, 8500, 10200, 11900, 13600, 15300 })
        {
            var w = new float[n * k];
            for (int i = 0; i < w.Length; i++) w[i] = edges[(first + i) % edges.Length];
            var rows = SixTermMatrix.FromRows(w, n, k);
            var panels = SixTermMatrix.FromPanels(gemm.Pack(true, k, n, w, k));
            Assert.Equal(panels.Lossless, rows.Lossless);
            long values = (long)rows.Pairs * rows.Chunks * SixTermLayout.StepValues;
            Assert.True(new ReadOnlySpan<ushort>(panels.Pieces, (int)values).SequenceEqual(new ReadOnlySpan<ushort>(rows.Pieces, (int)values)),
                $"values from {first}: the pieces differ");
            GC.KeepAlive(rows);
            GC.KeepAlive(panels);
        }
    }

    /// <summary>y = x·Wᵀ + bias by the fused packed product, whichever path this thread takes.</summary>
    internal static float[] Fused(ManagedGemm gemm, PackedMatrix packed, float[] x, float[] bias, int m)
    {
        var y = new float[m * packed.N];
        unsafe { gemm.SgemmPackedFused(m, x, packed.K, packed, bias, y, packed.N, null, null, null); }
        return y;
    }

    [Fact]
    public void APiecesOnlyWeightMultipliesAsItsPanelsAndReadsBackItsValues()
    {
        const int m = 45, n = 70, k = 100;
        var rng = new Random(9);
        var x = TestUtil.RandomArray(rng, m * k);
        var w = TestUtil.RandomArray(rng, n * k);
        var bias = TestUtil.RandomArray(rng, n);
        var gemm = new ManagedGemm(ManagedGemmKernel.Vector256); // 16-wide panels: the pieces are held (on 32-wide ones, split per product)
        var panels = gemm.Pack(true, k, n, w, k);
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1; // the six-term product on, through the twin on a CPU without AMX
            var pieces = gemm.PackForLinear(w, n, k, holdPieces: false);
            Assert.False(pieces.HasPanels);
            Assert.Equal(0, pieces.Bytes);
            Assert.True(pieces.SixTermBytes >= 6L * n * k);
            Assert.True(gemm.Accepts(pieces));
            Assert.Equal(Fused(gemm, panels, x, bias, m), Fused(gemm, pieces, x, bias, m));
            var back = new float[n * k];
            PackedUnpack.CopyRowMajor(pieces, 0, back);
            Assert.Equal(w, back);
            Assert.Throws<InvalidOperationException>(() => gemm.PackInto(pieces, true, w, k));

            var tiny = w.ToArray();
            tiny[3 * k + 7] = 1e-41f; // a value the pieces cannot hold: the weight keeps its panels, pieces beside
            var kept = gemm.PackForLinear(tiny, n, k, holdPieces: false);
            Assert.True(kept.HasPanels);
            Assert.True(kept.SixTermBytes > 0);

            SixTermGemm.Override = -1; // the FMA kernels asked for: the values read back, the panels' bits
            Assert.Equal(Fused(gemm, panels, x, bias, m), Fused(gemm, pieces, x, bias, m));
            var plain = new float[m * n];
            var fromPanels = new float[m * n];
            gemm.SgemmPacked(false, m, 0.5f, x, k, pieces, 0f, plain, n);
            gemm.SgemmPacked(false, m, 0.5f, x, k, panels, 0f, fromPanels, n);
            Assert.Equal(fromPanels, plain);
            Assert.True(gemm.PackForLinear(w, n, k, holdPieces: false).HasPanels); // off: panels, as before
            Assert.Equal(0, gemm.PackForLinear(w, n, k, holdPieces: false).SixTermBytes);
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    // Split16 (x's split per call: the first piece with Piece16's care, the other two plain roundings) against the
    // scalar Piece three times, lane by lane: the edges above and, for every exponent, significands whose remainders
    // sit on a rounding tie (low 16 bits 0x8000: the first piece's; low 8 bits 0x80 under a set or clear bit 8: the
    // second's), so a second or third piece rounded any other way, or the first's ∞/NaN care dropped, shows.
    [Fact]
    public void SixteenLanesSplitAsTheScalarPieces()
    {
        var values = new List<float>(Edges());
        var rng = new Random(23);
        for (int e = 0; e < 256; e++)
        foreach (uint low in new uint[] { 0x8000, 0x0080, 0x0180, 0x8080, 0x7F80, 0xFF80, 0x00FF, 0x7FFF })
        for (int i = 0; i < 4; i++)
            values.Add(BitConverter.UInt32BitsToSingle((uint)rng.Next(2) << 31 | (uint)e << 23 | ((uint)rng.Next(1 << 7) << 16) | low));
        while (values.Count % 16 != 0) values.Add(1f);
        var lanes = values.ToArray();
        for (int i = 0; i < lanes.Length; i += 16)
        {
            SixTermLayout.Split16(System.Runtime.Intrinsics.Vector512.Create(lanes, i), out var p1, out var p2, out var p3);
            for (int l = 0; l < 16; l++)
            {
                float rest = lanes[i + l];
                ushort s1 = SixTermLayout.Piece(ref rest), s2 = SixTermLayout.Piece(ref rest), s3 = SixTermLayout.Piece(ref rest);
                Assert.True(p1[l] == s1 && p2[l] == s2 && p3[l] == s3,
                    $"0x{BitConverter.SingleToUInt32Bits(lanes[i + l]):X8}: 16 lanes 0x{p1[l]:X4} 0x{p2[l]:X4} 0x{p3[l]:X4}, one by one 0x{s1:X4} 0x{s2:X4} 0x{s3:X4}");
            }
        }
    }
}
