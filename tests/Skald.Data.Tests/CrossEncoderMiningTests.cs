using Skald.Data.Negatives;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Search;
using Skald.Tests;

namespace Skald.Data.Tests;

/// <summary>
/// Mining with a cross-encoder (<see cref="CrossEncoderCandidateScorer"/>, mine_hard_negatives' cross_encoder): the
/// first stage's candidates and the positives get the fixture reranker's scores, each candidate in its first-stage
/// place (the miner ranks them), and the miner's rules and ranking read that scale.
/// </summary>
public sealed class CrossEncoderMiningTests
{
    private static readonly string[] Corpus =
    [
        "Bergen ligger på Vestlandet.", "Ferja går klokka sju.", "Biblioteket åbner klokken ni.", "Kanelboller smaker godt.",
        "Det regner i Bergen.", "Bussen går fra Jernbanetorget.",
    ];

    /// <summary>A first stage that lists every passage in corpus order with falling scores.</summary>
    private sealed class InOrder : ICandidateScorer
    {
        public string Name => "in-order";

        public (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus, IReadOnlyList<int[]> positives, int k) =>
            ([.. queries.Select(_ => Enumerable.Range(0, Math.Min(k, corpus.Count)).Select(i => new Hit(i, 1f - i * 0.1f)).ToArray())],
             [.. positives.Select(p => p.Select(_ => 2f).ToArray())]);
    }

    [Fact]
    public void CandidatesAndPositivesTakeTheCrossEncodersScoresAndOrder()
    {
        var ce = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        var scorer = new CrossEncoderCandidateScorer(new InOrder(), ce);
        string[] queries = ["Hvor ligger Bergen?", "Når går ferja?"];
        var (candidates, positives) = scorer.Score(queries, Corpus, [[0], [1, 5]], 6);
        for (int q = 0; q < queries.Length; q++)
        {
            // Independently: the reranker's score of every (query, passage) pair, in the first stage's places (corpus order)
            var expected = Corpus.Select((d, i) => (i, s: ce.Score([(queries[q], d)])[0])).ToArray();
            Assert.Equal(expected.Select(x => x.i), candidates[q].Select(h => h.Index));
            for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j].s, candidates[q][j].Score, 5);
            Assert.All(candidates[q], h => Assert.InRange(h.Score, 0f, 1f)); // a reranker's sigmoid
        }
        Assert.Equal(ce.Score([(queries[1], Corpus[1]), (queries[1], Corpus[5])]), positives[1], new ToleranceComparer(1e-5f));
        Assert.StartsWith("in-order, rescored by ce-bert", scorer.Name);

        // The miner's max_score reads the cross-encoder's scale: nothing above the threshold is chosen.
        float threshold = candidates[0].Select(h => h.Score).Order().ElementAt(3);
        var mined = HardNegativeMiner.Mine([(queries[0], Corpus[0])], ("anchor", "positive"), scorer,
            new MiningOptions { NumNegatives = 5, RelativeMargin = null, MaxScore = threshold }, Corpus[1..]);
        var chosen = mined.Rows.Select(r => r[2]).ToList();
        Assert.NotEmpty(chosen);
        Assert.All(chosen, d => Assert.True(ce.Score([(queries[0], d)])[0] <= threshold, d));
        var chosenScores = chosen.Select(d => ce.Score([(queries[0], d)])[0]).ToArray();
        Assert.Equal(chosenScores.OrderDescending(), chosenScores); // ranked by the reranker, not the first stage
    }

    [Fact]
    public void MarginsAreTheCrossEncodersPositiveScoreMinusTheNegatives()
    {
        var ce = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        var scorer = new CrossEncoderCandidateScorer(new InOrder(), ce);
        (string, string)[] pairs = [("Hvor ligger Bergen?", Corpus[0]), ("Når går ferja?", Corpus[1]), ("Når går ferja?", Corpus[5])];
        var mined = HardNegativeMiner.Mine(pairs, ("anchor", "positive"), scorer,
            new MiningOptions { NumNegatives = 2, RelativeMargin = null, Margins = true }, Corpus);
        Assert.Equal(["anchor", "positive", "negative", "label"], mined.Columns);
        Assert.Equal(2 * 2 + 2, mined.Rows.Count); // two negatives for each of the three pairs, the second anchor's twice
        foreach (var row in mined.Rows)
        {
            // Independently: the reranker's score of (anchor, positive) minus its score of (anchor, negative).
            float expected = ce.Score([(row[0], row[1])])[0] - ce.Score([(row[0], row[2])])[0];
            Assert.Equal(expected, float.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture), 5);
        }
        var tuples = HardNegativeMiner.Mine(pairs, ("anchor", "positive"), scorer,
            new MiningOptions { NumNegatives = 2, RelativeMargin = null, Format = MiningFormat.NTuple, Margins = true }, Corpus);
        Assert.Equal(["anchor", "positive", "negative_1", "negative_2", "label"], tuples.Columns);
        Assert.Equal(3, tuples.Rows.Count);
        foreach (var row in tuples.Rows)
        {
            var margins = System.Text.Json.JsonDocument.Parse(row[4]).RootElement.EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(2, margins.Length);
            for (int j = 0; j < 2; j++)
                Assert.Equal(ce.Score([(row[0], row[1])])[0] - ce.Score([(row[0], row[2 + j])])[0], margins[j], 5);
        }
        Assert.Throws<DataException>(() => HardNegativeMiner.Mine(pairs, ("anchor", "positive"), scorer,
            new MiningOptions { Format = MiningFormat.LabeledPair, Margins = true }, Corpus));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
