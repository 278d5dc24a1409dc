using Skald.Retrieval;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>Fusion math on small lists; every expected value is worked out by hand in the comments.</summary>
public sealed class FusionTests
{
    // Documents A=0, B=1, C=2, D=3. BM25: A 5, B 3, C 1. Dense: B 0.9, D 0.8.
    private static readonly Hit[] Sparse = [new(0, 5f), new(1, 3f), new(2, 1f)];
    private static readonly Hit[] Dense = [new(1, 0.9f), new(3, 0.8f)];

    [Fact]
    public void ReciprocalRankFusionSumsOneOverKPlusRank()
    {
        var s = Fusion.ReciprocalRank(Sparse, Dense, 60);
        Assert.Equal(1 / 61.0, s[0], 12);               // A: rank 1 in BM25 only
        Assert.Equal(1 / 62.0 + 1 / 61.0, s[1], 12);    // B: rank 2 in BM25, rank 1 dense = 0.032522475
        Assert.Equal(1 / 63.0, s[2], 12);               // C
        Assert.Equal(1 / 62.0, s[3], 12);               // D: rank 2 dense only
        var hits = Fusion.Fuse(Sparse, Dense, new FusionOptions(HybridMode.ReciprocalRankFusion), 10);
        Assert.Equal([1, 0, 3, 2], hits.Select(h => h.Index)); // 0.0325 > 0.01639 > 0.01613 > 0.01587
        Assert.Equal(0.032522475f, hits[0].Score, 6);
        Assert.Equal([1, 0], Fusion.Fuse(Sparse, Dense, new FusionOptions(HybridMode.ReciprocalRankFusion), 2).Select(h => h.Index));
    }

    [Fact]
    public void ConvexMinMaxWeighsTheNormalisedSides()
    {
        // min-max: BM25 A (5-1)/4 = 1, B 0.5, C 0; dense B 1, D 0; a missing side counts 0.
        var low = Fusion.Convex(Sparse, Dense, 0.25);
        Assert.Equal(0.75, low[0], 12);                 // A: 0.25·0 + 0.75·1
        Assert.Equal(0.625, low[1], 12);                // B: 0.25·1 + 0.75·0.5
        Assert.Equal(0.0, low[2], 12);
        Assert.Equal(0.0, low[3], 12);
        var opts = new FusionOptions(HybridMode.Convex, Alpha: 0.25, Normalization: ScoreNormalization.MinMax);
        Assert.Equal([0, 1, 2, 3], Fusion.Fuse(Sparse, Dense, opts, 10).Select(h => h.Index)); // C, D tie at 0: lower index
        var high = Fusion.Fuse(Sparse, Dense, opts with { Alpha = 0.8 }, 10); // A 0.2·1 = 0.2, B 0.8 + 0.2·0.5 = 0.9
        Assert.Equal([1, 0, 2, 3], high.Select(h => h.Index));
        Assert.Equal(0.9f, high[0].Score, 6);
        Assert.Equal(0.2f, high[1].Score, 6);
    }

    [Fact]
    public void ConvexZScoreUsesPopulationStandardDeviation()
    {
        // BM25 5, 3, 1: mean 3, σ = sqrt(8/3) = 1.6329932 → z 1.2247449, 0, -1.2247449 (missing: -1.2247449).
        // Dense 0.9, 0.8: mean 0.85, σ 0.05 → z 1, -1 (missing: -1).
        var s = Fusion.Convex(Sparse, Dense, 0.5, ScoreNormalization.ZScore);
        Assert.Equal(0.5 * -1 + 0.5 * 1.2247448714, s[0], 6);        // A = 0.1123724
        Assert.Equal(0.5 * 1 + 0.5 * 0, s[1], 5);                    // B = 0.5 (float inputs: 0.9f, 0.8f)
        Assert.Equal(0.5 * -1 + 0.5 * -1.2247448714, s[2], 5);       // C = -1.1123724
        Assert.Equal(0.5 * -1 + 0.5 * -1.2247448714, s[3], 5);       // D = -1.1123724 (ties with C)
    }

    [Fact]
    public void TiesGoToTheHigherTieKey()
    {
        var opts = new FusionOptions(HybridMode.Convex, Alpha: 0.25, Normalization: ScoreNormalization.MinMax);
        // C and D both score 0; with keys C 5, D 9 the higher key (D) comes first.
        Assert.Equal([0, 1, 3, 2], Fusion.Fuse(Sparse, Dense, opts, 10, tieKeys: [0, 0, 5, 9]).Select(h => h.Index));
        // RRF: two documents at rank 1 of one side each tie at 1/61.
        Hit[] a = [new(0, 1f)], b = [new(1, 1f)];
        var rrf = new FusionOptions(HybridMode.ReciprocalRankFusion);
        Assert.Equal([0, 1], Fusion.Fuse(a, b, rrf, 10).Select(h => h.Index));
        Assert.Equal([1, 0], Fusion.Fuse(a, b, rrf, 10, tieKeys: [3, 4]).Select(h => h.Index));
    }

    [Fact]
    public void EmptySidesLeaveTheOtherSidesOrder()
    {
        var rrf = Fusion.Fuse(Sparse, [], new FusionOptions(HybridMode.ReciprocalRankFusion), 10);
        Assert.Equal([0, 1, 2], rrf.Select(h => h.Index));
        Assert.Equal([1 / 61f, 1 / 62f, 1 / 63f], rrf.Select(h => h.Score));
        Assert.Empty(Fusion.Fuse([], [], new FusionOptions(HybridMode.ReciprocalRankFusion), 10));
        Assert.Empty(Fusion.Fuse([], [], new FusionOptions(HybridMode.Convex), 10));
        var convex = Fusion.Fuse([], Dense, new FusionOptions(HybridMode.Convex, Alpha: 0.5, Normalization: ScoreNormalization.MinMax), 10); // B 0.5·1 + 0.5·0, D 0
        Assert.Equal([1, 3], convex.Select(h => h.Index));
        Assert.Equal([0.5f, 0f], convex.Select(h => h.Score));
        // One candidate, or all equal: min-max gives 1 (they are all the best there is); z-score gives 0, missing -1.
        Assert.Equal(1.0, Fusion.Normalize([new Hit(7, 3f)], ScoreNormalization.MinMax, out _)[7]);
        Assert.Equal(0.0, Fusion.Normalize([new Hit(7, 3f), new Hit(8, 3f)], ScoreNormalization.ZScore, out double missing)[8]);
        Assert.Equal(-1.0, missing); // the lone matches still beat the documents the side did not find
        var lone = Fusion.Fuse([new Hit(5, 2f)], Dense, new FusionOptions(HybridMode.Convex, Alpha: 0.3), 10);
        // z: BM25 doc 5 → 0 (B, D missing → -1); dense B 1, D -1 (5 missing → -1).
        // 5: 0.3·(-1) + 0.7·0 = -0.3; B: 0.3·1 + 0.7·(-1) = -0.4; D: 0.3·(-1) + 0.7·(-1) = -1.
        Assert.Equal([5, 1, 3], lone.Select(h => h.Index));
        Assert.Equal([-0.3f, -0.4f, -1f], lone.Select(h => h.Score));
    }

    [Fact]
    public void RerankOrdersBm25CandidatesByTheDenseScoreAlone()
    {
        double[] dense = [0.1, 0.7, 0.4, 0.99]; // D is not a BM25 candidate, so it never appears
        var hits = Fusion.Rerank(Sparse, i => dense[i], 2);
        Assert.Equal([1, 2], hits.Select(h => h.Index));
        Assert.Throws<ArgumentException>(() => Fusion.Fuse(Sparse, Dense, new FusionOptions(HybridMode.Rerank), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fusion.Convex(Sparse, Dense, 1.5));
    }

    [Theory]
    [InlineData("hybrid:m", HybridMode.Convex, 0.3, ScoreNormalization.ZScore)]
    [InlineData("hybrid-rrf:m", HybridMode.ReciprocalRankFusion, 0.3, ScoreNormalization.ZScore)]
    [InlineData("hybrid-convex:m", HybridMode.Convex, 0.3, ScoreNormalization.ZScore)]
    [InlineData("hybrid-rerank:m", HybridMode.Rerank, 0.3, ScoreNormalization.ZScore)]
    [InlineData("hybrid-convex-minmax-0.6:m", HybridMode.Convex, 0.6, ScoreNormalization.MinMax)]
    [InlineData("hybrid-convex-zscore-0.7:m", HybridMode.Convex, 0.7, ScoreNormalization.ZScore)]
    public void HybridSpecsNameTheFusion(string spec, HybridMode mode, double alpha, ScoreNormalization normalization)
    {
        var parsed = HybridSpec.TryParse(spec)!;
        Assert.Equal("m", parsed.Model);
        Assert.Equal(mode, parsed.Options.Mode);
        if (mode == HybridMode.Convex)
        {
            Assert.Equal(alpha, parsed.Options.Alpha);
            Assert.Equal(normalization, parsed.Options.Normalization);
        }
        Assert.Null(HybridSpec.TryParse("models/bert"));
        Assert.Throws<EvaluationException>(() => HybridSpec.TryParse("hybrid-foo:m"));
        Assert.Throws<EvaluationException>(() => HybridSpec.TryParse("hybrid-rrf-0.3:m"));
    }
}
