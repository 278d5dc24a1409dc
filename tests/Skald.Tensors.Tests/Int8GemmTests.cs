using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The int8 Linear (<see cref="Int8Gemm"/>): every vector tile equals the scalar twin exactly (integer products are
/// exact, the store is shared) — each AVX2 variant (widening every group, every 2 or 4 groups) included, also at the
/// codes' bounds. The quantisers and the kernel choice are in Int8GemmTests.Quantisation.cs, the quantising tape and
/// the fused forms in Int8GemmTests.Fused.cs.
/// </summary>
public sealed partial class Int8GemmTests
{
    private static readonly (int M, int K, int N)[] Shapes = [(1, 1, 1), (3, 5, 7), (7, 37, 21), (33, 384, 48), (70, 130, 100)];

    private static float[] Random(Random rng, int count, float scale = 1f)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    private static void SameAsScalar(Int8Kernel kernel, int weightLevels, int? activationLevels = null)
    {
        var rng = new Random(7 + (int)kernel + weightLevels);
        int levels = activationLevels ?? Int8Gemm.ActivationLevels(kernel);
        foreach (var (m, k, n) in Shapes)
        foreach (bool withBias in new[] { false, true })
        {
            var x = Random(rng, m * k, 3f);
            if (m > 2) x.AsSpan(k, k).Clear(); // an all-zero row
            var w = Int8Matrix.Quantize(Random(rng, n * k, 0.2f), n, k, weightLevels);
            var bias = withBias ? Random(rng, n) : [];
            var fast = new float[m * n];
            var twin = new float[m * n];
            Int8Gemm.Linear(x, w, bias, fast, m, kernel, activationLevels);
            Int8Gemm.Linear(x, w, bias, twin, m, Int8Kernel.Scalar, levels);
            Assert.True(fast.AsSpan().SequenceEqual(twin), $"{kernel} differs from the scalar twin at [{m}, {k}]·[{n}, {k}]ᵀ, bias {withBias}");
        }
    }

    // Codes at their bounds: every activation code 127 (or 63) against weights ±L in runs, so that each int16 sum the
    // AVX2 tile forms is as large as the code bounds allow (a tile adding one group too many saturates and differs).
    private static void SameAsScalarAtBounds(int weightLevels, int activationLevels, Int8Kernel kernel = Int8Kernel.Avx2)
    {
        int m = 8, k = 96, n = 32;
        var x = new float[m * k];
        x.AsSpan().Fill(1f); // no negatives: zero point 0, every code the largest
        var wf = new float[n * k];
        for (int j = 0; j < n; j++)
        {
            for (int c = 0; c < k; c++) wf[j * k + c] = j % 2 == 0 ? 1f : (c < k / 2 ? -1f : 1f);
        }
        var w = Int8Matrix.Quantize(wf, n, k, weightLevels);
        var fast = new float[m * n];
        var twin = new float[m * n];
        Int8Gemm.Linear(x, w, [], fast, m, kernel, activationLevels);
        Int8Gemm.Linear(x, w, [], twin, m, Int8Kernel.Scalar, activationLevels);
        Assert.Equal(twin, fast);
    }

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx2, Int8Gemm.WeightLevels(Int8Kernel.Avx2));

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TileWith8BitWeightsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx2, 127);

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TileWith6BitActivationsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx2, 63, 63);

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TilesEqualScalarTwinAtTheCodeBounds()
    {
        SameAsScalarAtBounds(127, 127);
        SameAsScalarAtBounds(63, 127);
        SameAsScalarAtBounds(63, 63);
    }

    [Fact]
    public void Avx2TileAddsAsManyGroupsInInt16AsTheCodesAllow()
    {
        Assert.Equal(63, Int8Gemm.WeightLevels(Int8Kernel.Avx2));
        Assert.Equal(127, Int8Gemm.WeightLevels(Int8Kernel.AvxVnni));
        Assert.Equal(63, Int8Gemm.WeightLevels(Int8Kernel.Avx512BW));
        Assert.Equal(127, Int8Gemm.ActivationLevels(Int8Kernel.Avx512BW));
        Assert.Equal(2, Int8TileAvx2.Sums(127, 63)); // the AVX2 default: 2 · 2 · 127 · 63 = 32004
        Assert.Equal(1, Int8TileAvx2.Sums(127, 127)); // 8-bit weights (an older saved folder)
        Assert.Equal(1, Int8TileAvx2.Sums(127, 128));
        Assert.Equal(4, Int8TileAvx2.Sums(63, 63)); // 4 · 2 · 63 · 63 = 31752
        Assert.Equal(2, Int8TileAvx2.Sums(63, 127));
        Assert.Equal(48, Int8Matrix.Quantize(new float[37], 1, 37).PaddedK); // whole runs of 4 groups: no tile has a tail
    }

    [KernelFact(Int8Kernel.AvxVnni)]
    public void VnniTileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.AvxVnni, Int8Gemm.WeightLevels(Int8Kernel.AvxVnni));

    [KernelFact(Int8Kernel.AvxVnni)]
    public void VnniTileWith7BitWeightsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.AvxVnni, 63);

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public void Vnni512TileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512Vnni, Int8Gemm.WeightLevels(Int8Kernel.Avx512Vnni));

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public void Vnni512TileEqualsScalarTwinAtTheCodeBounds()
    {
        SameAsScalarAtBounds(127, 255, Int8Kernel.Avx512Vnni);
        SameAsScalarAtBounds(63, 255, Int8Kernel.Avx512Vnni);
    }

    // The assembled tile itself, one and two panels with and without the prefetch of the panels ahead (two codes),
    // three without, against the scalar twin on random 8-bit codes (every byte value of a and of the weights
    // possible), a's rows wider than the depth it reads, the sums stored with a wider stride.
    [KernelFact(Int8Kernel.Avx512Vnni)]
    public unsafe void Vnni512TileOfOneTwoAndThreePanelsEqualsScalarTiles()
    {
        var rng = new Random(29);
        foreach (int groups in new[] { 1, 3, 4, 7, 96, 385 }) // (the code runs 4 steps an iteration, then the rest one at a time)
        foreach (int panels in new[] { 1, 2, 3 })
        foreach (bool prefetch in panels == 3 ? new[] { false } : new[] { false, true })
        {
            int lda = groups * Int8Matrix.GroupDepth + 12, ldc = 56;
            var a = new byte[Int8TileVnni512.Rows * lda];
            // (room for the line the prefetching code touches past the second panel: a prefetch never faults, but stays in bounds here)
            var w = new sbyte[4 * groups * Int8Matrix.GroupDepth * Int8Matrix.PanelWidth];
            rng.NextBytes(a);
            rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
            var fast = new int[Int8TileVnni512.Rows * ldc];
            fast.AsSpan().Fill(-7); // untouched columns keep it
            var twin = new int[2 * Int8Gemm.TileRows * Int8Matrix.PanelWidth];
            long panelBytes = (long)groups * Int8Matrix.GroupDepth * Int8Matrix.PanelWidth;
            fixed (byte* pa = a)
            fixed (sbyte* pw = w)
            fixed (int* pf = fast, pt = twin)
            {
                Int8TileVnni512.Tile(pa, lda, pw, panelBytes, panels, groups, pf, ldc, prefetch);
                for (int p = 0; p < 3; p++)
                {
                    Int8TileScalar.Tile(pa, lda, pw + p * panelBytes, groups, pt);
                    Int8TileScalar.Tile(pa + 4 * lda, lda, pw + p * panelBytes, groups, pt + Int8Gemm.TileRows * Int8Matrix.PanelWidth);
                    for (int r = 0; r < Int8TileVnni512.Rows; r++)
                    for (int c = 0; c < Int8Matrix.PanelWidth; c++)
                    {
                        int expected = p < panels ? twin[r * Int8Matrix.PanelWidth + c] : -7;
                        Assert.True(expected == fast[r * ldc + p * Int8Matrix.PanelWidth + c],
                            $"groups {groups}, {panels} panel(s), prefetch {prefetch}: row {r}, panel {p}, column {c}");
                    }
                }
                for (int r = 0; r < Int8TileVnni512.Rows; r++)
                    Assert.All(fast.AsSpan(r * ldc + 48, ldc - 48).ToArray(), v => Assert.Equal(-7, v));
            }
        }
    }

    // The 512-bit kernel through Int8Gemm where its 8 × 48 tile runs (blocks taller than one tile row) at its edges:
    // the last tile of a block 1-7 rows (M = 9-15, 65-71), N not a multiple of 48 (a last run of 1 or 2 panels, a
    // part-filled last panel), K not a multiple of 4 or 16 (padded to 16 in Int8Matrix); and a block of one tile row
    // (M = 1-8, the prefetching 8 × 32 tile). Each equal to the scalar twin bit for bit.
    [KernelFact(Int8Kernel.Avx512Vnni)]
    public void Vnni512WideTileEqualsScalarTwinAtTheEdges()
    {
        var rng = new Random(48);
        foreach (int m in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 65, 71 })
        foreach (int n in new[] { 16, 40, 48, 56, 80, 96, 100, 144 })
        foreach (int k in new[] { 3, 17, 64, 130 })
            SameAsScalarAt(rng, Int8Kernel.Avx512Vnni, m, k, n);
    }

    // x [m, k] and a weight [n, k] quantised to the kernel's levels drawn from rng (and a bias, with bias), the product
    // through kernel and through the scalar twin at the kernel's activation levels: equal bit for bit.
    internal static void SameAsScalarAt(Random rng, Int8Kernel kernel, int m, int k, int n, bool bias = true)
    {
        var x = Random(rng, m * k, 3f);
        var w = Int8Matrix.Quantize(Random(rng, n * k, 0.2f), n, k, Int8Gemm.WeightLevels(kernel));
        var b = bias ? Random(rng, n) : [];
        var fast = new float[m * n];
        var twin = new float[m * n];
        Int8Gemm.Linear(x, w, b, fast, m, kernel);
        Int8Gemm.Linear(x, w, b, twin, m, Int8Kernel.Scalar, Int8Gemm.ActivationLevels(kernel));
        Assert.True(fast.AsSpan().SequenceEqual(twin), $"the {kernel} kernel differs from the scalar twin at [{m}, {k}]·[{n}, {k}]ᵀ, bias {bias}");
    }

    // Where the tile width is chosen: three panels only in a block taller than one tile row (no prefetch there) with
    // three panels left; a decoding step's block keeps the prefetching 8 × 32 tile; two or one at the end of a run;
    // never three with the wide tile off (SKALD_INT8_WIDE_TILE=0).
    [Fact]
    public void Vnni512TileWidthIsChosenByShape()
    {
        Assert.Equal(3, Int8Gemm.VnniPanels(64, 24, true));
        Assert.Equal(3, Int8Gemm.VnniPanels(9, 3, true));
        Assert.Equal(2, Int8Gemm.VnniPanels(64, 2, true));
        Assert.Equal(1, Int8Gemm.VnniPanels(64, 1, true));
        Assert.Equal(2, Int8Gemm.VnniPanels(8, 24, true));
        Assert.Equal(2, Int8Gemm.VnniPanels(1, 3, true));
        Assert.Equal(1, Int8Gemm.VnniPanels(5, 1, true));
        Assert.Equal(2, Int8Gemm.VnniPanels(64, 24, false));
        Assert.Equal(1, Int8Gemm.VnniPanels(64, 1, false));
    }

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512BW, Int8Gemm.WeightLevels(Int8Kernel.Avx512BW));

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TileWith8BitWeightsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512BW, 127);

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TileWith6BitActivationsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512BW, 63, 63);

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TilesEqualScalarTwinAtTheCodeBounds()
    {
        SameAsScalarAtBounds(127, 127, Int8Kernel.Avx512BW);
        SameAsScalarAtBounds(63, 127, Int8Kernel.Avx512BW);
        SameAsScalarAtBounds(63, 63, Int8Kernel.Avx512BW);
    }
}
