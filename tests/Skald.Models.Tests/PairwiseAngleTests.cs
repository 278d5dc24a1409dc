using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Models.Tests;

/// <summary>
/// <see cref="Similarities.PairwiseAngle"/> against sentence-transformers' <c>pairwise_angle_sim</c>, restated in torch by
/// fixtures/st-api/make_st_parity_reference.py (seeded rows, one pair pointing the same way).
/// </summary>
public sealed class PairwiseAngleTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "st-api", "st_parity.json"))).RootElement.GetProperty("angle");

    private static float[][] Rows(JsonElement e) => [.. e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];

    [Fact]
    public void PairwiseAngleIsUpstreamsPairwiseAngleSim()
    {
        float[][] x = Rows(Reference.GetProperty("x")), y = Rows(Reference.GetProperty("y"));
        double[] want = [.. Reference.GetProperty("angle").EnumerateArray().Select(v => v.GetDouble())];
        var got = Similarities.PairwiseAngle(x, y);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) <= 1e-6 * Math.Max(1, Math.Abs(want[i])), $"pair {i}: {got[i]} vs {want[i]}");
    }

    [Fact]
    public void OddWidthsAndUnevenListsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Similarities.PairwiseAngle([[1f, 2f, 3f]], [[1f, 2f, 3f]]));
        Assert.Throws<ArgumentException>("b", () => Similarities.PairwiseAngle([[1f, 2f]], []));
    }
}
