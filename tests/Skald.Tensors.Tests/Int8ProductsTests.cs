using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="Int8Products"/>: the VNNI tile and the scalar twin both give the plain integer loops' sums exactly, at
/// every shape edge (rows not a multiple of 8, rows of b not of 16, depths not of 4 or 16) and at the codes' bounds
/// (255 · −128 summed over every depth, where a vpmaddubsw tile would saturate); <see cref="Int8Products.Pack"/>'s flip
/// turns unsigned codes into c − 128; bad shapes are refused.
/// </summary>
public sealed class Int8ProductsTests
{
    private static readonly (int M, int N, int K)[] Shapes = [(1, 1, 1), (7, 15, 3), (9, 16, 4), (17, 33, 17), (8, 40, 100), (3, 5, 385), (10, 27, 33), (16, 32, 64)];

    // Σ_k a[i, k] · b[j, k] written out, b's bytes read as signed (or, flipped, as unsigned − 128).
    private static int[] Reference(byte[] a, byte[] b, int m, int n, int k, bool flip)
    {
        var c = new int[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int s = 0;
                for (int d = 0; d < k; d++) s += a[i * k + d] * (flip ? b[j * k + d] - 128 : (sbyte)b[j * k + d]);
                c[i * n + j] = s;
            }
        return c;
    }

    private static int[] Run(byte[] a, byte[] b, int m, int n, int k, bool flip, Int8Kernel kernel)
    {
        int depth = Int8Products.PaddedDepth(k);
        var padded = new byte[Int8Products.PaddedRows(m) * depth];
        new System.Random(3).NextBytes(padded); // bytes past k and rows past m multiply nothing, whatever they hold
        for (int i = 0; i < m; i++) a.AsSpan(i * k, k).CopyTo(padded.AsSpan(i * depth));
        var packed = new sbyte[Int8Products.PackedLength(n, k)];
        Int8Products.Pack(b, n, k, k, flip, packed);
        var c = new int[m * n];
        Int8Products.Multiply(padded, m, depth, packed, n, k, c, n, kernel);
        return c;
    }

    private static void SameAsReference(Int8Kernel kernel)
    {
        var rng = new System.Random(5);
        foreach (var (m, n, k) in Shapes)
        foreach (bool flip in new[] { false, true })
        {
            var a = new byte[m * k];
            var b = new byte[n * k];
            rng.NextBytes(a);
            rng.NextBytes(b);
            Assert.Equal(Reference(a, b, m, n, k, flip), Run(a, b, m, n, k, flip, kernel));
        }
    }

    [Fact]
    public void ScalarTwinEqualsTheIntegerLoops() => SameAsReference(Int8Kernel.Scalar);

    [KernelFact(Int8Kernel.AvxVnni)]
    public void VnniTileEqualsTheIntegerLoops() => SameAsReference(Int8Kernel.AvxVnni);

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public void Vnni512TileEqualsTheIntegerLoops() => SameAsReference(Int8Kernel.Avx512Vnni);

    [KernelFact(Int8Kernel.AvxVnni)]
    public void CodesAtTheirBoundsSumExactly() => CodesAtTheirBounds(Int8Kernel.AvxVnni);

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public void CodesAtTheirBoundsSumExactlyOn512Bits() => CodesAtTheirBounds(Int8Kernel.Avx512Vnni);

    private static void CodesAtTheirBounds(Int8Kernel kernel)
    {
        // 255 · −128 at every depth: each pair's product alone is past what two fit in int16 (vpmaddubsw saturates).
        int m = 9, n = 17, k = 1000;
        var a = Enumerable.Repeat((byte)255, m * k).ToArray();
        foreach (bool flip in new[] { false, true })
        {
            var b = Enumerable.Repeat(flip ? (byte)0 : (byte)0x80, n * k).ToArray(); // −128 either way
            var c = Run(a, b, m, n, k, flip, kernel);
            Assert.All(c, v => Assert.Equal(255 * -128 * k, v));
            Assert.Equal(c, Run(a, b, m, n, k, flip, Int8Kernel.Scalar));
        }
    }

    [Fact]
    public void FlippedPackingHoldsTheUnsignedCodesMinus128()
    {
        byte[] b = [0, 1, 127, 128, 200, 255];
        var packed = new sbyte[Int8Products.PackedLength(1, b.Length)];
        Int8Products.Pack(b, 1, b.Length, b.Length, flip: true, packed);
        // Row 0 of panel 0: group g's 4 bytes at g · 64; the rest of the panel stays zero.
        sbyte[] expected = [-128, -127, -1, 0, 72, 127];
        for (int d = 0; d < b.Length; d++) Assert.Equal(expected[d], packed[d / 4 * 64 + d % 4]);
        Assert.Equal(b.Length, packed.Count(v => v != 0) + 1); // only 128 − 128 is zero among the codes
    }

    [Fact]
    public void BadShapesAreRefused()
    {
        var packed = new sbyte[Int8Products.PackedLength(16, 20)];
        var c = new int[8 * 16];
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Products.Multiply(new byte[8 * 20], 8, 20, packed, 16, 20, c, 16, Int8Kernel.Scalar)); // stride < 32
        Assert.Throws<ArgumentException>(() => Int8Products.Multiply(new byte[7 * 32], 7, 32, packed, 16, 20, c, 16, Int8Kernel.Scalar)); // 8 rows needed
        Assert.Throws<ArgumentException>(() => Int8Products.Multiply(new byte[8 * 32], 8, 32, packed.AsSpan(1), 16, 20, c, 16, Int8Kernel.Scalar));
        Assert.Throws<ArgumentException>(() => Int8Products.Pack(new byte[15 * 20], 16, 20, 20, false, packed));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Products.Multiply(new byte[8 * 65_808], 1, 65_808, packed, 1, 65_794, c, 16, Int8Kernel.Scalar));
    }
}
