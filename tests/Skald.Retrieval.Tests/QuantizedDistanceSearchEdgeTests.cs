using Skald.Models.Modules;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="QuantizedDistanceSearch"/> at its edges, with values worked out by hand: a dimension whose calibration
/// range is one value (its step 0) reads back as that value, the range's ends as themselves (int8's −128 and 127,
/// uint8's 255; uint8's 0 holds [0, 1) steps, read back half a step up), more hits asked than rows gives every row,
/// and an empty corpus gives none.
/// </summary>
public sealed class QuantizedDistanceSearchEdgeTests
{
    // dimension 0 holds 0.5 in every row (range one value); dimension 1 runs from 0 to 255, a step of 1 (exact in
    // float32: a range whose step rounds, as 1/255, can put its top value one level down, as numpy does)
    private static readonly float[][] Corpus = [[0.5f, 0f], [0.5f, 255f]];
    private static readonly float[][] Query = [[0.5f, 63.75f]];

    [Fact]
    public void AOneValueDimensionAndTheRangesEndsReadBackAsThemselves()
    {
        var int8 = EmbeddingQuantizer.Quantize(Corpus, EmbeddingPrecision.Int8);
        var row = new float[2];
        EmbeddingQuantizer.Dequantize(int8, 0, row);
        Assert.Equal([0.5f, 0f], row);
        EmbeddingQuantizer.Dequantize(int8, 1, row);
        Assert.Equal([0.5f, 255f], row);

        var uint8 = EmbeddingQuantizer.Quantize(Corpus, EmbeddingPrecision.Uint8);
        EmbeddingQuantizer.Dequantize(uint8, 0, row);
        Assert.Equal(0.5f, row[0]);
        Assert.Equal(0.5f, row[1]); // level 0 holds [0, 1) steps: its middle, half a step
        EmbeddingQuantizer.Dequantize(uint8, 1, row);
        Assert.Equal([0.5f, 255f], row);
    }

    [Theory]
    [InlineData(SimilarityFunction.Euclidean)]
    [InlineData(SimilarityFunction.Manhattan)]
    public void MoreHitsThanRowsRankEveryRow(SimilarityFunction similarity)
    {
        // the query differs from the rows in dimension 1 only: 63.75 from row 0, 191.25 from row 1, under either distance
        var hits = QuantizedDistanceSearch.TopK(similarity, Query, EmbeddingQuantizer.Quantize(Corpus, EmbeddingPrecision.Int8), 5);
        Assert.Equal([0, 1], hits[0].Select(h => h.Index).ToArray());
        Assert.Equal(-63.75f, hits[0][0].Score);
        Assert.Equal(-191.25f, hits[0][1].Score);
    }

    [Fact]
    public void AnEmptyCorpusGivesNoHits()
    {
        var ranges = new QuantizationRanges([0f, 0f], [1f, 1f]);
        var empty = EmbeddingQuantizer.Quantize([], EmbeddingPrecision.Uint8, ranges);
        var hits = QuantizedDistanceSearch.TopK(SimilarityFunction.Euclidean, Query, empty, 3);
        Assert.Single(hits);
        Assert.Empty(hits[0]);
    }
}
