using System.Numerics.Tensors;
using Skald.Models.Modules;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="LevelDistance"/> against the path it replaces: every int8 / uint8 row read back by
/// <see cref="EmbeddingQuantizer.Dequantize"/> and compared by <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
/// Values past the calibration range make every special level (int8's −128, 0 and 127, uint8's 0 and 255) appear; the
/// lengths leave every tail of the vector loops.
/// </summary>
public sealed class LevelDistanceTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var p in new[] { "int8", "uint8" })
            foreach (int n in new[] { 1, 7, 9, 15, 16, 17, 33, 47, 385 }) data.Add(p, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ManhattanEqualsTheDequantizedRowsBitForBitAndEuclideanWithinRounding(string precisionName, int n)
    {
        var precision = EmbeddingQuantizer.Parse(precisionName);
        bool signed = precision == EmbeddingPrecision.Int8;
        var rng = new Random(n * 2 + (signed ? 1 : 0));
        var rows = Enumerable.Range(0, 2000).Select(_ => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2.6 - 1.3)).ToArray()).ToArray();
        var ranges = new QuantizationRanges(
            [.. Enumerable.Range(0, n).Select(d => -1f + 0.01f * (d % 5))], [.. Enumerable.Range(0, n).Select(d => 1f - 0.02f * (d % 3))]);
        var corpus = EmbeddingQuantizer.Quantize(rows, precision, ranges);
        var seen = corpus.Data.Select(b => signed ? (int)(sbyte)b : b).ToHashSet();
        foreach (int level in signed ? new[] { -128, 0, 127 } : [0, 255])
            Assert.Contains(level, seen);
        var query = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var back = new float[n];
        for (int r = 0; r < corpus.Rows; r++)
        {
            EmbeddingQuantizer.Dequantize(corpus, r, back);
            float manhattan = LevelDistance.Score(SimilarityFunction.Manhattan, query, corpus, r);
            Assert.Equal(Similarities.Compute(SimilarityFunction.Manhattan, query, back), manhattan);

            double squared = 0, absolute = 0;
            for (int d = 0; d < n; d++)
            {
                squared += ((double)query[d] - back[d]) * ((double)query[d] - back[d]);
                absolute += Math.Abs((double)query[d] - back[d]);
            }
            double euclidean = Math.Sqrt(squared), tolerance = (n + 2) * 1.2e-7;
            float fused = LevelDistance.Score(SimilarityFunction.Euclidean, query, corpus, r);
            Assert.True(Math.Abs(-fused - euclidean) <= tolerance * euclidean + 1e-7, $"row {r}: {-fused} vs {euclidean}");
            Assert.True(Math.Abs(fused - Similarities.Compute(SimilarityFunction.Euclidean, query, back)) <= tolerance * euclidean + 1e-7,
                $"row {r}: {-fused} vs TensorPrimitives.Distance {TensorPrimitives.Distance(query, back)}");

            var levels = corpus.Row(r);
            foreach (bool sq in new[] { false, true })
            {
                float vector = LevelDistance.Sum(query, levels, signed, ranges.Starts, ranges.Steps, sq);
                float scalar = LevelDistance.SumScalar(query, levels, signed, ranges.Starts, ranges.Steps, sq);
                double reference = sq ? squared : absolute;
                Assert.True(Math.Abs(vector - scalar) <= tolerance * reference + 1e-7, $"row {r} squared {sq}: vector {vector} vs scalar {scalar}");
                Assert.True(Math.Abs(scalar - reference) <= tolerance * reference + 1e-7, $"row {r} squared {sq}: scalar {scalar} vs {reference}");
            }
        }
    }

    [Fact]
    public void HandValuesOfEachSpecialLevel()
    {
        // one dimension, range [0, 255]: step 1, so a level's value is its middle; the query 0 makes the distance that value
        var ranges = new QuantizationRanges([0f], [255f]);
        foreach (var (precision, values, expected) in new[]
        {
            (EmbeddingPrecision.Int8, new[] { 0f, 255f, 128.5f, 127.9f, 3.2f }, new[] { 0f, 255f, 128f, 128f, 3.5f }),
            (EmbeddingPrecision.Uint8, new[] { 0f, 255f, 254.5f, 3.2f }, new[] { 0.5f, 255f, 254.5f, 3.5f }),
        })
        {
            var corpus = EmbeddingQuantizer.Quantize([.. values.Select(v => new[] { v })], precision, ranges);
            for (int r = 0; r < values.Length; r++)
            {
                Assert.Equal(-expected[r], LevelDistance.Score(SimilarityFunction.Manhattan, [0f], corpus, r));
                Assert.Equal(-expected[r], LevelDistance.Score(SimilarityFunction.Euclidean, [0f], corpus, r));
            }
        }
    }
}
