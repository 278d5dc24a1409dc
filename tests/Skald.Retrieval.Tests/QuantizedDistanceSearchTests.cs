using Skald.Models.Modules;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A Euclidean or Manhattan model's quantized search ranks by its distance: int8 / uint8 rows by the distance of their
/// dequantized values (<see cref="QuantizedDistanceSearch"/>) against fixtures/quantization/make_quantized_distance.py
/// (numpy, float64, each level's middle found by brute force), PQ codes by distance tables
/// (<see cref="PqSearch.DistanceTopK"/>) against their decoded rows' distances computed here in double.
/// </summary>
public sealed class QuantizedDistanceSearchTests
{
    private static readonly ReferenceJson Reference = new("quantization", "quantized_distance.json");

    public static TheoryData<string, string> Cases => new()
    {
        { "int8", "euclidean" }, { "int8", "manhattan" }, { "uint8", "euclidean" }, { "uint8", "manhattan" },
    };

    /// <summary>The fixture's case of <paramref name="precisionName"/> rows under <paramref name="similarityName"/>.</summary>
    internal static System.Text.Json.JsonElement Case(string precisionName, string similarityName) => Reference["cases"].EnumerateArray()
        .Single(e => e.GetProperty("precision").GetString() == precisionName && e.GetProperty("similarity").GetString() == similarityName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void LevelRowsRankByTheDistanceOfTheirValuesAsNumpy(string precisionName, string similarityName)
    {
        var c = Case(precisionName, similarityName);
        var precision = EmbeddingQuantizer.Parse(precisionName);
        var similarity = similarityName == "euclidean" ? SimilarityFunction.Euclidean : SimilarityFunction.Manhattan;
        var corpus = ReferenceJson.Matrix(Reference["corpus"]);
        var queries = ReferenceJson.Matrix(Reference["queries"]);
        int k = Reference.Int("k");
        var quantized = EmbeddingQuantizer.Quantize(corpus, precision); // ranges of the corpus itself, as the script's

        var levels = ReferenceJson.IntMatrix(c.GetProperty("levels")).SelectMany(r => r).ToArray();
        Assert.Equal(levels, quantized.Data.Select(b => precision == EmbeddingPrecision.Int8 ? (int)(sbyte)b : b).ToArray());
        var values = ReferenceJson.Matrix(c.GetProperty("values"));
        var row = new float[quantized.Dimension];
        for (int r = 0; r < corpus.Length; r++)
        {
            EmbeddingQuantizer.Dequantize(quantized, r, row);
            for (int d = 0; d < row.Length; d++) Assert.True(Math.Abs(values[r][d] - row[d]) < 1e-5, $"row {r} value {d}: {row[d]} != {values[r][d]}");
        }

        var hits = QuantizedDistanceSearch.TopK(similarity, queries, quantized, k);
        var ranking = ReferenceJson.IntMatrix(c.GetProperty("ranking"));
        var distances = c.GetProperty("distances").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(ranking[q][..k], hits[q].Select(h => h.Index).ToArray());
            foreach (var h in hits[q])
                Assert.True(Math.Abs(-distances[q][h.Index] - h.Score) < 1e-4, $"query {q} row {h.Index}: {h.Score} != {-distances[q][h.Index]}");
        }
    }

    [Fact]
    public void BinaryRowsHoldNoDistance()
    {
        var rows = Rows(new Random(3), 10, 16);
        var bits = EmbeddingQuantizer.Quantize(rows, EmbeddingPrecision.Ubinary);
        Assert.Contains("no euclidean distance", Assert.Throws<ArgumentException>(() => QuantizedDistanceSearch.TopK(SimilarityFunction.Euclidean, rows, bits, 3)).Message);
        Assert.Throws<ArgumentException>(() => EmbeddingQuantizer.Dequantize(bits, 0, new float[16]));
        var levels = EmbeddingQuantizer.Quantize(rows, EmbeddingPrecision.Int8);
        Assert.Throws<ArgumentException>(() => QuantizedDistanceSearch.TopK(SimilarityFunction.Cosine, rows, levels, 3));
    }

    public static TheoryData<SimilarityFunction, int, int, int> PqCases => new()
    {
        { SimilarityFunction.Euclidean, 8, 0, 0 },
        { SimilarityFunction.Manhattan, 8, 0, 0 },
        { SimilarityFunction.Euclidean, 4, 0, 0 },  // two codes a byte: the fast scan
        { SimilarityFunction.Manhattan, 4, 0, 0 },
        { SimilarityFunction.Euclidean, 6, 0, 0 },  // packed 6-bit codes
        { SimilarityFunction.Euclidean, 8, 4, 0 },  // OPQ, square
        { SimilarityFunction.Euclidean, 8, 4, 8 },  // OPQ to 8 of 16 dimensions: the part of q off the codes' span counts
    };

    /// <summary>
    /// The hits are the k nearest codes by the distance of their decoded rows (<see cref="ProductQuantizer.Decode"/>)
    /// to the query, computed here in double, and their scores are those distances negated.
    /// </summary>
    [Theory]
    [MemberData(nameof(PqCases))]
    public void PqCodesRankByTheDistanceOfTheirReconstructions(SimilarityFunction similarity, int bits, int rounds, int rotationDimension)
    {
        var random = new Random(11);
        int dim = 16, k = 10;
        var rows = Rows(random, 300, dim);
        var queries = Rows(random, 6, dim);
        var options = new ProductQuantizerOptions { Subspaces = 4, Bits = bits, RotationRounds = rounds, RotationDimension = rotationDimension, Seed = 1 };
        var pq = ProductQuantizer.Train(rows, options);
        var codes = ProductCodes.Encode(pq, rows);
        var hits = PqSearch.DistanceTopK(similarity, queries, codes, k);
        var code = new byte[pq.Subspaces];
        var decoded = new float[rows.Length][];
        for (int r = 0; r < rows.Length; r++)
        {
            codes.Code(r, code);
            pq.Decode(code, decoded[r] = new float[dim]);
        }
        for (int q = 0; q < queries.Length; q++)
        {
            var reference = decoded.Select(x => Distance(similarity, queries[q], x)).ToArray();
            var nearest = reference.Order().Take(k).ToArray();
            Assert.Equal(k, hits[q].Length);
            for (int i = 0; i < k; i++)
            {
                Assert.True(Math.Abs(-reference[hits[q][i].Index] - hits[q][i].Score) < 1e-4 * (1 + nearest[i]), $"query {q} hit {i}: {hits[q][i].Score} vs {-reference[hits[q][i].Index]}");
                Assert.True(Math.Abs(-nearest[i] - hits[q][i].Score) < 1e-4 * (1 + nearest[i]), $"query {q} hit {i}: {hits[q][i].Score} is not the {i}th nearest, {-nearest[i]}");
            }
        }
    }

    [Fact]
    public void RotationsThatKeepNoDistanceAreRefused()
    {
        var random = new Random(5);
        var rows = Rows(random, 120, 16);
        var square = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 4, Bits = 4, RotationRounds = 2, Seed = 1 });
        var codes = ProductCodes.Encode(square, rows);
        Assert.Contains("Manhattan", Assert.Throws<ArgumentException>(() => PqSearch.DistanceTopK(SimilarityFunction.Manhattan, rows[..2], codes, 3)).Message);
        var wider = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 4, Bits = 4, RotationRounds = 2, RotationDimension = 32, Seed = 1 });
        Assert.Contains("--opq-dim 32", Assert.Throws<ArgumentException>(() => PqSearch.DistanceTopK(SimilarityFunction.Euclidean, rows[..2], ProductCodes.Encode(wider, rows), 3)).Message);
        Assert.Throws<ArgumentException>(() => PqSearch.DistanceTopK(SimilarityFunction.Dot, rows[..2], codes, 3));
    }

    private static double Distance(SimilarityFunction similarity, float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += similarity == SimilarityFunction.Euclidean ? ((double)a[i] - b[i]) * ((double)a[i] - b[i]) : Math.Abs((double)a[i] - b[i]);
        return similarity == SimilarityFunction.Euclidean ? Math.Sqrt(sum) : sum;
    }

    private static float[][] Rows(Random random, int count, int dim) =>
        [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() * 2 - 1) + 0.2f).ToArray())];
}
