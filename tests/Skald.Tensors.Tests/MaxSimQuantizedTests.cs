using System.Text.Json;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="MaxSimQuantized"/> against fixtures/colbert-tokens/make_token_codes.py (NumPy codes, PyTorch MaxSim in
/// float64): the float16 bits and int8 codes, maxima and decoded values are NumPy's exactly, the scores of both kernels
/// and their scalar twins are PyTorch's MaxSim of the stored values within float32's summation error; decoding and coding
/// again gives the same codes and maxima (what <c>index add</c> relies on when it copies kept rows); the SIMD kernels
/// equal their scalar twins within float32's summation error over assorted widths and query lengths (bit for bit:
/// <see cref="MaxSimTileTests"/>).
/// </summary>
public sealed class MaxSimQuantizedTests
{
    private static readonly JsonElement Fixture = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(Skald.Tests.Repository.Root, "fixtures", "colbert-tokens", "token_codes.json"))).RootElement;

    private static float[] Floats(JsonElement e, string key) => [.. e.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble())];

    private static IEnumerable<(int Dim, float[] Query, JsonElement Document)> Documents() =>
        Fixture.GetProperty("cases").EnumerateArray().SelectMany(c => c.GetProperty("documents").EnumerateArray()
            .Select(d => (c.GetProperty("dim").GetInt32(), Floats(c, "query"), d)));

    private static (sbyte[] Codes, float[] Maxima) Int8(float[] values, int dim)
    {
        var codes = new sbyte[values.Length];
        var maxima = new float[values.Length / dim];
        for (int t = 0; t < maxima.Length; t++) maxima[t] = MaxSimQuantized.QuantizeInt8(values.AsSpan(t * dim, dim), codes.AsSpan(t * dim, dim));
        return (codes, maxima);
    }

    [Fact]
    public void CodesAreNumPysAndScoresPyTorchsMaxSimOfTheStoredValues()
    {
        int checkedDocuments = 0;
        foreach (var (dim, query, doc) in Documents())
        {
            var values = Floats(doc, "values");
            var half = new ushort[values.Length];
            F16.FromSingle(values, half);
            Assert.Equal(doc.GetProperty("float16_bits").EnumerateArray().Select(v => (ushort)v.GetInt32()), half);
            var (codes, maxima) = Int8(values, dim);
            Assert.Equal(doc.GetProperty("int8_codes").EnumerateArray().Select(v => (sbyte)v.GetInt32()), codes);
            Assert.Equal(Floats(doc, "int8_maxima"), maxima);
            var decoded = new float[values.Length];
            for (int t = 0; t < maxima.Length; t++) MaxSimQuantized.DequantizeInt8(codes.AsSpan(t * dim, dim), maxima[t], decoded.AsSpan(t * dim, dim));
            Assert.Equal(Floats(doc, "int8_decoded"), decoded);

            double tolerance = 2e-6 * (query.Length / dim) * Math.Sqrt(dim);
            double f16 = doc.GetProperty("float16_score").GetDouble(), i8 = doc.GetProperty("int8_score").GetDouble();
            double f32 = doc.GetProperty("float32_score").GetDouble();
            Assert.True(Math.Abs(MaxSim.Score(query, values, dim) - f32) <= tolerance, $"dim {dim}: float32 vs PyTorch {f32}");
            foreach (float s in new[] { MaxSimQuantized.ScoreFloat16(query, half, dim), MaxSimQuantized.ScoreFloat16Scalar(query, half, dim) })
                Assert.True(Math.Abs(s - f16) <= tolerance, $"dim {dim}, {maxima.Length} tokens: float16 {s} vs PyTorch {f16}");
            foreach (float s in new[] { MaxSimQuantized.ScoreInt8(query, codes, maxima, dim), MaxSimQuantized.ScoreInt8Scalar(query, codes, maxima, dim) })
                Assert.True(Math.Abs(s - i8) <= tolerance, $"dim {dim}, {maxima.Length} tokens: int8 {s} vs PyTorch {i8}");
            checkedDocuments++;
        }
        Assert.Equal(7, checkedDocuments);
    }

    [Fact]
    public void DecodingAndCodingAgainGivesTheSameCodesAndMaxima()
    {
        var rng = new Random(11);
        const int dim = 128;
        for (int round = 0; round < 2000; round++)
        {
            var v = TestUtil.RandomArray(rng, dim, scale: (float)Math.Pow(10, rng.Next(-4, 3)));
            var codes = new sbyte[dim];
            float max = MaxSimQuantized.QuantizeInt8(v, codes);
            var decoded = new float[dim];
            MaxSimQuantized.DequantizeInt8(codes, max, decoded);
            var again = new sbyte[dim];
            Assert.Equal(max, MaxSimQuantized.QuantizeInt8(decoded, again));
            Assert.Equal(codes, again);
            Assert.Contains(codes, c => c is 127 or -127); // the largest value uses the whole range
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 3, 5)]
    [InlineData(8, 4, 2)]
    [InlineData(20, 5, 9)]
    [InlineData(128, 32, 180)]
    [InlineData(96, 33, 17)]
    [InlineData(16, 1100, 3)] // more query tokens than the stack holds: rented
    public void SimdKernelsEqualTheirScalarTwins(int dim, int queryTokens, int documentTokens)
    {
        var rng = new Random(dim * 131 + queryTokens);
        var q = TestUtil.RandomArray(rng, queryTokens * dim);
        var d = TestUtil.RandomArray(rng, documentTokens * dim);
        var half = new ushort[d.Length];
        F16.FromSingle(d, half);
        var (codes, maxima) = Int8(d, dim);
        double tolerance = 1e-5 * queryTokens * Math.Sqrt(dim);
        float a = MaxSim.Score(q, d, dim), b = MaxSim.ScoreScalar(q, d, dim);
        Assert.True(Math.Abs(a - b) <= tolerance, $"float32 {a} vs scalar {b}");
        a = MaxSimQuantized.ScoreFloat16(q, half, dim);
        b = MaxSimQuantized.ScoreFloat16Scalar(q, half, dim);
        Assert.True(Math.Abs(a - b) <= tolerance, $"float16 {a} vs scalar {b}");
        a = MaxSimQuantized.ScoreInt8(q, codes, maxima, dim);
        b = MaxSimQuantized.ScoreInt8Scalar(q, codes, maxima, dim);
        Assert.True(Math.Abs(a - b) <= tolerance, $"int8 {a} vs scalar {b}");
    }

    [Fact]
    public void NegativeBestMatchesAreKeptAndAnEmptyDocumentScoresZero()
    {
        float[] q = [1, 0, 0, 1];
        float[] d = [-1, -0.25f, -0.5f, -0.5f];
        var half = new ushort[4];
        F16.FromSingle(d, half);
        var (codes, maxima) = Int8(d, 2);
        Assert.Equal(-0.75f, MaxSimQuantized.ScoreFloat16(q, half, 2));
        Assert.InRange(MaxSimQuantized.ScoreInt8(q, codes, maxima, 2), -0.75f - 2f / 254, -0.75f + 2f / 254); // each value within m / 254 of its own
        Assert.Equal(0f, MaxSimQuantized.ScoreFloat16(q, [], 2));
        Assert.Equal(0f, MaxSimQuantized.ScoreInt8(q, [], [], 2));
    }

    [Fact]
    public void BadShapesAndValuesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => MaxSimQuantized.ScoreFloat16(new float[5], new ushort[4], 2));
        Assert.Throws<ArgumentException>(() => MaxSimQuantized.ScoreInt8(new float[4], new sbyte[4], new float[1], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxSimQuantized.ScoreInt8(new float[4], new sbyte[4], new float[4], 0));
        Assert.Throws<ArgumentException>(() => MaxSimQuantized.QuantizeInt8([1f, float.NaN], new sbyte[2]));
        Assert.Throws<ArgumentException>(() => MaxSimQuantized.QuantizeInt8([1f, 2f], new sbyte[3]));
    }
}
