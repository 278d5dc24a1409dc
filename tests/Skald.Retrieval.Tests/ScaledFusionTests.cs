using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A hybrid search's fused scores shown in [0, 1] (<see cref="Fusion.Scaled"/>, <see cref="IndexHit.ScaledScore"/>):
/// RRF's over its largest, a z-score combination's between the least and the best candidate; the ranking and the raw
/// scores unchanged.
/// </summary>
public sealed class ScaledFusionTests
{
    [Fact]
    public void RrfIsShownOverItsLargestScore()
    {
        var options = new FusionOptions(HybridMode.ReciprocalRankFusion);
        var hits = Fusion.Fuse([new(0, 9), new(1, 5)], [new(0, 0.9f), new(2, 0.5f)], options, 3, null, out _);
        // doc 0 first in both lists: 2/61 → 1; docs 1 and 2 second in one list only: 1/62 → 61/124
        double[] expected = [1, 61.0 / 124, 61.0 / 124];
        Assert.Equal(3, hits.Length);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], Fusion.Scaled(options, hits[i].Score, hits[0].Score, 0), 6);
    }

    [Fact]
    public void AZScoreCombinationIsShownBetweenTheLeastAndTheBestCandidate()
    {
        // sparse A 3, B 2, D 1: mean 2, sd √(2/3) → z 1.2247, 0, −1.2247; dense C 0.9, A 0.5: z 1, −1; missing −1 both sides
        // α 0.3: A = −0.3 + 0.7·1.2247 = 0.55732, B = −0.3, C = 0.3 − 0.85732 = −0.55732, D = −0.3 − 0.85732 = −1.15732
        const int A = 0, B = 1, C = 2, D = 3;
        var hits = Fusion.Fuse([new(A, 3), new(B, 2), new(D, 1)], [new(C, 0.9f), new(A, 0.5f)], FusionOptions.Default, 2, null, out double lowest);
        Assert.Equal([A, B], hits.Select(h => h.Index));
        double z = Math.Sqrt(1.5), top = -0.3 + 0.7 * z, least = -0.3 - 0.7 * z;
        Assert.Equal(top, hits[0].Score, 5); // the raw fused scores are kept
        Assert.Equal(least, lowest, 5);      // D, among the candidates though not in the top 2
        Assert.Equal(1f, Fusion.Scaled(FusionOptions.Default, hits[0].Score, hits[0].Score, lowest));
        Assert.Equal((-0.3 - least) / (top - least), Fusion.Scaled(FusionOptions.Default, hits[1].Score, hits[0].Score, lowest), 5);
        // min-max normalised sides already sum into [0, 1]: shown as they are
        var minMax = FusionOptions.Default with { Normalization = ScoreNormalization.MinMax };
        Assert.Equal(0.7f, Fusion.Scaled(minMax, 0.7, 1, 0));
        Assert.Throws<ArgumentException>(() => Fusion.Scaled(new FusionOptions(HybridMode.Rerank), 0.5, 1, 0));
    }

    [Fact]
    public void AnIndexsHybridHitsCarryTheirScaledScoreInRankOrder()
    {
        IndexRecord[] records =
        [
            new("a", "a", "a.txt", 0, 10, "", "ferie om sommeren"),
            new("b", "b", "b.txt", 0, 10, "", "ferie og fravær"),
            new("c", "c", "c.txt", 0, 10, "", "lønn og overtid"),
            new("d", "d", "d.txt", 0, 10, "", "sykefravær og ferie"),
        ];
        var model = new TableModel(new Dictionary<string, float[]>
        {
            ["ferie om sommeren"] = [1, 0], ["ferie og fravær"] = [0.6f, 0.8f], ["lønn og overtid"] = [0, 1], ["sykefravær og ferie"] = [0.8f, 0.6f],
        });
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-scaled").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), null, 0, 0);
        using var index = SearchIndex.Open(folder);
        var hybrid = index.Search("ferie", [0.1f, 1], SearchMode.Hybrid, 4);
        Assert.Equal(4, hybrid.Count);
        Assert.Contains(hybrid, h => h.Score < 0); // z-scores: the raw fused scores go negative
        Assert.Equal(1f, hybrid[0].ScaledScore);
        Assert.Equal(0f, hybrid[^1].ScaledScore); // all four are candidates: the last is the least
        for (int i = 1; i < hybrid.Count; i++) Assert.True(hybrid[i].ScaledScore <= hybrid[i - 1].ScaledScore);
        var rrf = index.Search("ferie", [0.1f, 1], SearchMode.Hybrid, 4, new FusionOptions(HybridMode.ReciprocalRankFusion));
        Assert.All(rrf, h => Assert.Equal(h.Score * 61 / 2, h.ScaledScore!.Value, 5));
        Assert.All(index.Search("ferie", null, SearchMode.Bm25, 4), h => Assert.Null(h.ScaledScore));
        Assert.All(index.Search("ferie", [0.1f, 1], SearchMode.Hybrid, 4, new FusionOptions(HybridMode.Rerank)), h => Assert.Null(h.ScaledScore));
    }
}
