using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="QuantizedEncoding.EncodeQuantized"/> is sentence-transformers' <c>encode(precision=)</c>: the levels of
/// fixtures/st-api/make_st_parity_reference.py, which quantizes fixtures/models/bert-cased-mean's PyTorch reference
/// embeddings as upstream's encode does (ranges from the whole call). A level whose value lies within 0.01 of a bucket
/// edge (the reference marks it not "firm") may differ by one, as float32 rounding of the model may move it.
/// </summary>
public sealed class EncodeQuantizedTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "st-api", "st_parity.json"))).RootElement.GetProperty("encode");

    private static int[][] Ints(JsonElement e) => [.. e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray())];

    [Theory]
    [InlineData("int8", EmbeddingPrecision.Int8)]
    [InlineData("uint8", EmbeddingPrecision.Uint8)]
    [InlineData("binary", EmbeddingPrecision.Binary)]
    [InlineData("ubinary", EmbeddingPrecision.Ubinary)]
    public void EncodeQuantizedIsUpstreamsEncodeWithPrecision(string name, EmbeddingPrecision precision)
    {
        string[] texts = [.. Reference.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!)];
        var want = Reference.GetProperty(name);
        int[][] levels = Ints(want.GetProperty("levels"));
        int[][]? firm = want.TryGetProperty("firm", out var f) ? Ints(f) : null;
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var q = model.EncodeQuantized(texts, precision);
        Assert.Equal(precision, q.Precision);
        Assert.Equal(texts.Length, q.Rows);
        int loose = 0;
        for (int r = 0; r < texts.Length; r++)
        {
            var row = q.Row(r);
            Assert.Equal(levels[r].Length, row.Length);
            for (int d = 0; d < row.Length; d++)
            {
                int got = precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.Binary ? (sbyte)row[d] : row[d];
                if (firm is null || firm[r][d] == 1) Assert.True(got == levels[r][d], $"{name} row {r} dim {d}: {got} vs {levels[r][d]}");
                else
                {
                    Assert.True(Math.Abs(got - levels[r][d]) <= 1, $"{name} row {r} dim {d} (at a bucket edge): {got} vs {levels[r][d]}");
                    loose++;
                }
            }
        }
        if (firm is null) return;
        Assert.True(loose * 10 < texts.Length * levels[0].Length, $"{loose} levels at bucket edges: the check is too loose"); // 86 of 1344: each dimension's min and max, and ~2% more
        float[] minima = [.. want.GetProperty("minima").EnumerateArray().Select(x => x.GetSingle())];
        float[] maxima = [.. want.GetProperty("maxima").EnumerateArray().Select(x => x.GetSingle())];
        for (int d = 0; d < minima.Length; d++)
        {
            // Within 5e-6 (rounding both to 5 decimals failed on 2 ulps straddling -0.335435 once the AMX host formed the
            // float32 products from six bfloat16 terms).
            Assert.True(Math.Abs(minima[d] - q.Ranges!.Minima[d]) <= 5e-6, $"dim {d}: minimum {q.Ranges.Minima[d]:R} vs {minima[d]:R}");
            Assert.True(Math.Abs(maxima[d] - q.Ranges.Maxima[d]) <= 5e-6, $"dim {d}: maximum {q.Ranges.Maxima[d]:R} vs {maxima[d]:R}");
        }
    }

    [Fact]
    public void GivenRangesAreUsedAndNoTextsNeedThem()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var ranges = new QuantizationRanges(Enumerable.Repeat(-1f, model.Dimension).ToArray(), Enumerable.Repeat(1f, model.Dimension).ToArray());
        var q = model.EncodeQuantized(["Hei!"], EmbeddingPrecision.Uint8, ranges: ranges);
        Assert.Same(ranges, q.Ranges);
        var e = model.Encode(["Hei!"])[0];
        for (int d = 0; d < e.Length; d++) Assert.Equal((int)((e[d] + 1f) / (2f / 255f)), q.Row(0)[d]);
        var error = Assert.Throws<ArgumentException>("texts", () => model.EncodeQuantized([], EmbeddingPrecision.Int8));
        Assert.Contains("give ranges", error.Message);
        Assert.Equal(0, model.EncodeQuantized([], EmbeddingPrecision.Ubinary).Rows);
    }
}
