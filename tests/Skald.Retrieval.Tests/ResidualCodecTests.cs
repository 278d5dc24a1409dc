using System.Text.Json;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The PLAID residual codec against fixtures/plaid/make_residual_codec.py (PyTorch, re-stating ColBERTv2's
/// residual.py): bucket cutoffs and weights from held-out residuals, centroid ids and packed codes equal, decompressed
/// vectors within 1e-6, for 1, 2 and 4 bits.
/// </summary>
public sealed class ResidualCodecTests
{
    private static readonly ReferenceJson Data = new("plaid", "residual_codec.json");

    private static float[] Floats(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(v => v.GetSingle())];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void CompressAndDecompressEqualTorch(int which)
    {
        var c = Data["cases"][which];
        int dim = Data.Int("dim"), n = Data.Int("n"), bits = c.GetProperty("nbits").GetInt32();
        var codec = new ResidualCodec(Data.Floats("centroids"), dim, bits, Floats(c, "cutoffs"), Floats(c, "weights"));
        var cells = new int[n];
        var packed = new byte[n * codec.PackedBytes];
        codec.Compress(Data.Floats("vectors"), n, cells, packed);
        Assert.Equal(c.GetProperty("codes").EnumerateArray().Select(v => v.GetInt32()), cells);
        Assert.Equal(c.GetProperty("packed").EnumerateArray().Select(v => (byte)v.GetInt32()), packed);
        var expected = Floats(c, "decompressed");
        var row = new float[dim];
        for (int i = 0; i < n; i++)
        {
            codec.Decompress(cells[i], packed.AsSpan(i * codec.PackedBytes, codec.PackedBytes), row);
            for (int d = 0; d < dim; d++) Assert.Equal(expected[i * dim + d], row[d], 1e-6f);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void BucketsAreTorchQuantilesOfTheHeldOutResiduals(int which)
    {
        var c = Data["cases"][which];
        int dim = Data.Int("dim"), n = Data.Int("heldout_n"), k = Data.Int("centroid_count");
        var centroids = Data.Floats("centroids");
        var held = Data.Floats("heldout");
        var cells = new int[n];
        Ivf.KMeans.Assign(held, n, dim, centroids, k, cells);
        for (int i = 0; i < n; i++)
            for (int d = 0; d < dim; d++) held[i * dim + d] -= centroids[cells[i] * dim + d];
        var (cutoffs, weights) = ResidualCodec.Buckets(held, c.GetProperty("nbits").GetInt32());
        var expectedCutoffs = Floats(c, "cutoffs");
        var expectedWeights = Floats(c, "weights");
        Assert.Equal(expectedCutoffs.Length, cutoffs.Length);
        Assert.Equal(expectedWeights.Length, weights.Length);
        for (int i = 0; i < cutoffs.Length; i++) Assert.Equal(expectedCutoffs[i], cutoffs[i], 1e-6f);
        for (int i = 0; i < weights.Length; i++) Assert.Equal(expectedWeights[i], weights[i], 1e-6f);
    }

    [Fact]
    public void CodecRoundTripsThroughItsFile()
    {
        var c = Data["cases"][1];
        int dim = Data.Int("dim");
        var codec = new ResidualCodec(Data.Floats("centroids"), dim, 2, Floats(c, "cutoffs"), Floats(c, "weights"));
        string path = Path.Combine(Path.GetTempPath(), $"skald-plaid-{Guid.NewGuid():N}.codec");
        try
        {
            using (var fs = File.Create(path)) codec.Write(fs);
            var back = ResidualCodec.Read(path, dim);
            Assert.Equal(codec.Centroids.ToArray(), back.Centroids.ToArray());
            Assert.Equal(codec.Cutoffs.ToArray(), back.Cutoffs.ToArray());
            Assert.Equal(codec.Weights.ToArray(), back.Weights.ToArray());
            Assert.Equal(2, back.Bits);
            var e = Assert.Throws<EvaluationException>(() => ResidualCodec.Read(path, dim * 2));
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CentroidCountFollowsColbertHeuristic()
    {
        Assert.Equal(32768, ResidualCodec.CentroidsFor(10_000_000, long.MaxValue)); // 16·√1e7 ≈ 50596 → 2^15
        Assert.Equal(1024, ResidualCodec.CentroidsFor(10_000, long.MaxValue)); // 1600 → 2^10
        Assert.Equal(90, ResidualCodec.CentroidsFor(10_000, 90));
    }
}
