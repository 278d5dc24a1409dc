using Skald.Data.Negatives;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Search;

namespace Skald.Data.Tests;

/// <summary>
/// The mine_hard_negatives contract on a scorer whose scores are given by hand (expected values worked out from the
/// sentence-transformers rules, not by the miner), and on BM25.
/// </summary>
public sealed class MiningTests
{
    /// <summary>Scores from a table: score(query text, passage text); missing = 0.</summary>
    private sealed class TableScorer(Dictionary<(string, string), float> table) : ICandidateScorer
    {
        public string Name => "table";

        public (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus, IReadOnlyList<int[]> positives, int k)
        {
            var hits = queries.Select(q => corpus.Select((c, i) => new Hit(i, table.GetValueOrDefault((q, c))))
                .OrderByDescending(h => h.Score).ThenBy(h => h.Index).Take(k).ToArray()).ToArray();
            var pos = queries.Select((q, i) => positives[i].Select(p => table.GetValueOrDefault((q, corpus[p]))).ToArray()).ToArray();
            return (hits, pos);
        }
    }

    private static readonly (string, string)[] Pairs = [("q1", "P1"), ("q2", "P2"), ("q1", "P1b"), ("q3", "P3")];

    private static TableScorer Scores() => new(new()
    {
        [("q1", "P1")] = 0.9f, [("q1", "P1b")] = 0.8f, [("q1", "N1")] = 0.85f, [("q1", "N2")] = 0.7f, [("q1", "N3")] = 0.5f, [("q1", "P2")] = 0.6f,
        [("q1", "p1!")] = 0.95f, // a duplicate of a positive, written differently
        [("q2", "P2")] = 0.5f, [("q2", "N1")] = 0.4f, [("q2", "N2")] = 0.3f, [("q2", "q2")] = 0.99f, // the anchor itself
        [("q3", "P3")] = 0.7f, [("q3", "N3")] = 0.2f,
    });

    private static readonly string[] Extra = ["N1", "N2", "N3", "p1!", "q2", "N1"];

    [Fact]
    public void RelativeMarginUsesTheLowestPositiveAndPositivesAreNeverNegatives()
    {
        var mined = HardNegativeMiner.Mine(Pairs, ("anchor", "positive"), Scores(), new MiningOptions { NumNegatives = 2 }, Extra);
        Assert.Equal(["anchor", "positive", "negative"], mined.Columns);
        // q1: lowest positive 0.8 → keep scores ≤ 0.76: N2 (0.7), P2 (0.6); N1 0.85 removed by the margin, p1! is a positive.
        // q2: positive 0.5 → keep ≤ 0.475: N1 (0.4), N2 (0.3); "q2" is the anchor itself.
        // q3: positive 0.7 → N3 (0.2) then the first of the zero-scored rest in torch.topk's order of that row (torch 1.13
        // on [-inf, 0.2, 0 × 6, -inf × 16], the corpus as the function orders it: extra passages, then positives): N1.
        string[][] expected =
        [
            ["q1", "P1", "N2"], ["q1", "P1", "P2"], ["q1", "P1b", "N2"], ["q1", "P1b", "P2"],
            ["q2", "P2", "N1"], ["q2", "P2", "N2"],
            ["q3", "P3", "N3"], ["q3", "P3", "N1"],
        ];
        Assert.Equal(expected, mined.Rows);
        Assert.Equal(0 + 2 * 10 + 2, mined.RangeMax); // range-min + 10·negatives + most positives
        Assert.Equal(4, mined.Removed["positive"]); // q1's P1 (and "p1!", the same passage) and P1b, q2's P2, q3's P3
        Assert.Equal(1, mined.Removed["anchor"]); // "q2" for q2
    }

    [Fact]
    public void RelativeMarginBelowANegativePositiveScoreIsBelowIt()
    {
        // Scores below zero (a dot product, a reranker's logits): the threshold is positive − |positive| · margin, as
        // sentence-transformers computes it since #3819; positive · (1 − margin) lay above a negative positive and kept a
        // candidate that scores higher than the positive itself.
        var scorer = new TableScorer(new()
        {
            [("q", "P")] = -2f, [("q", "above")] = -1.95f, [("q", "close")] = -2.05f, [("q", "below")] = -2.5f,
        });
        var mined = HardNegativeMiner.Mine([("q", "P")], ("anchor", "positive"), scorer, new MiningOptions { NumNegatives = 3, RelativeMargin = 0.05 },
            ["above", "close", "below"]);
        // threshold −2 − 2·0.05 = −2.1: "above" (−1.95) and "close" (−2.05) go, "below" (−2.5) stays
        Assert.Equal([["q", "P", "below"]], mined.Rows);
        Assert.Equal(2, mined.Removed["relative_margin"]);
    }

    [Fact]
    public void AbsoluteMarginRangeMinAndFormats()
    {
        var options = new MiningOptions { NumNegatives = 2, RelativeMargin = null, AbsoluteMargin = 0.1, RangeMin = 1 };
        var mined = HardNegativeMiner.Mine(Pairs[..2], ("a", "p"), Scores(), options, Extra);
        // q1: positive P1 0.9 ("p1!" is the same passage); keep score + 0.1 ≤ 0.9: N1 0.85 goes.
        // Ranked qualifying for q1: N2 0.7, P2 0.6, N3 0.5, ...; range-min 1 skips N2 → P2, N3.
        Assert.Equal(["q1", "P1", "P2"], mined.Rows[0]);
        Assert.Equal(["q1", "P1", "N3"], mined.Rows[1]);
        var tuples = HardNegativeMiner.Mine(Pairs, ("a", "p"), Scores(), new MiningOptions { NumNegatives = 2, Format = MiningFormat.NTuple }, Extra);
        Assert.Equal(["a", "p", "negative_1", "negative_2"], tuples.Columns);
        Assert.Equal(["q1", "P1", "N2", "P2"], tuples.Rows[0]);
        var labelled = HardNegativeMiner.Mine(Pairs, ("a", "p"), Scores(), new MiningOptions { NumNegatives = 2, Format = MiningFormat.LabeledPair }, Extra);
        Assert.Equal(["q1", "P1", "1"], labelled.Rows[0]);
        Assert.Equal(["q1", "P1b", "1"], labelled.Rows[1]);
        Assert.Equal(["q1", "N2", "0"], labelled.Rows[2]);
    }

    [Fact]
    public void LabeledListsHoldEachPositiveWithItsNegativesAndReadBackAsListwiseRows()
    {
        var lists = HardNegativeMiner.Mine(Pairs, ("query", "docs"), Scores(), new MiningOptions { NumNegatives = 2, Format = MiningFormat.LabeledList }, Extra);
        Assert.Equal(["query", "docs", "labels"], lists.Columns);
        // The negatives of the first test: q1 N2, P2; q2 N1, N2; q3 N3, N1; one row per (query, positive).
        Assert.Equal(4, lists.Rows.Count);
        Assert.Equal(["q1", "[\"P1\",\"N2\",\"P2\"]", "[1, 0, 0]"], lists.Rows[0]);
        Assert.Equal(["q1", "[\"P1b\",\"N2\",\"P2\"]", "[1, 0, 0]"], lists.Rows[1]);
        string path = Path.Combine(Path.GetTempPath(), $"skald-lists-{Guid.NewGuid():N}.jsonl");
        try
        {
            MinedDataWriter.Write(lists, path);
            Assert.Equal("{\"query\":\"q2\",\"docs\":[\"P2\",\"N1\",\"N2\"],\"labels\":[1, 0, 0]}", File.ReadAllLines(path)[2]);
            var d = Skald.Training.Data.DatasetReader.Read(path); // what the listwise cross-encoder losses train on
            Assert.Equal(["query", "docs[0]", "docs[1]", "docs[2]"], d.Columns);
            Assert.Equal(["q3", "P3", "N3", "N1"], d.Rows[3]);
            Assert.Equal([1f, 0f, 0f], d.Labels!.Skip(9));
        }
        finally
        {
            File.Delete(path);
        }
        var nordic = HardNegativeMiner.Mine([("Hvor?", "På øya.")], ("query", "docs"), Scores(), new MiningOptions { NumNegatives = 1, Format = MiningFormat.LabeledList }, ["Blåbær"]);
        Assert.Equal("[\"På øya.\",\"Blåbær\"]", nordic.Rows[0][1]);
        Assert.Throws<Skald.Data.DataException>(() => HardNegativeMiner.Mine(Pairs, ("q", "d"), Scores(),
            new MiningOptions { NumNegatives = 2, Format = MiningFormat.LabeledList, Margins = true }, Extra));
        // With scores, a list's labels are the scorer's: q1 / P1 0.9, N2 0.7, P2 0.6 (a teacher's, to distil with ListNet).
        var scored = HardNegativeMiner.Mine(Pairs, ("query", "docs"), Scores(), new MiningOptions { NumNegatives = 2, Format = MiningFormat.LabeledList, Scores = true }, Extra);
        Assert.Equal(["q1", "[\"P1\",\"N2\",\"P2\"]", "[0.9, 0.7, 0.6]"], scored.Rows[0]);
    }

    /// <summary>
    /// Candidates that all score within 5 % of the positive leave nothing under Skald's default relative margin, where
    /// sentence-transformers' defaults (no margin) would mine them: the one line names the depth, what each rule removed and
    /// how to turn the margin off, instead of only "relax the margins".
    /// </summary>
    [Fact]
    public void NothingMinedNamesWhatRemovedTheCandidatesAndTheDefaultMargin()
    {
        var close = new TableScorer(new() { [("q", "P")] = 0.9f, [("q", "N1")] = 0.89f, [("q", "N2")] = 0.88f });
        var mined = HardNegativeMiner.Mine([("q", "P")], ("anchor", "positive"), close, new MiningOptions { NumNegatives = 1 }, ["N1", "N2"]);
        Assert.Empty(mined.Rows);
        string path = Path.Combine(Path.GetTempPath(), $"skald-none-{Guid.NewGuid():N}.jsonl");
        var e = Assert.Throws<Skald.Data.DataException>(() => MinedDataWriter.Write(mined, path));
        Assert.Equal($"{path}: no anchor got a negative (nothing written; candidates up to rank 11, removed: 1 by positive, 2 by relative_margin); "
            + "widen --range-max or relax the margins (the relative margin is 0.05 unless set, where sentence-transformers has none: "
            + "--relative-margin none, a stage's relative_margin: none)", e.Message);
        Assert.False(File.Exists(path));
        Assert.NotEmpty(HardNegativeMiner.Mine([("q", "P")], ("anchor", "positive"), close, new MiningOptions { NumNegatives = 1, RelativeMargin = null }, ["N1", "N2"]).Rows);
    }

    [Fact]
    public void MaxScoreAndRandomSamplingStayWithinTheQualifyingCandidates()
    {
        var options = new MiningOptions { NumNegatives = 2, RelativeMargin = null, MaxScore = 0.65, Sampling = SamplingStrategy.Random };
        var mined = HardNegativeMiner.Mine(Pairs, ("a", "p"), Scores(), options, Extra);
        var q1 = mined.Rows.Where(r => r[0] == "q1" && r[1] == "P1").Select(r => r[2]).ToList();
        Assert.Equal(2, q1.Count);
        Assert.All(q1, n => Assert.Contains(n, new[] { "P2", "N3", "P3", "N1", "N2", "q2" }.Where(x => x is not ("N1" or "N2"))));
        Assert.DoesNotContain(mined.Rows, r => r[2] is "P1" or "P1b" or "p1!" && r[0] == "q1");
    }

    [Fact]
    public void Bm25MinesLexicalNeighboursAndNeverThePositive()
    {
        (string, string)[] pairs =
        [
            ("Hvordan avkalker jeg kaffemaskinen?", "Avkalking av kaffemaskinen gjøres hver tredje måned med et middel."),
            ("Hvor parkerer jeg sykkelen?", "Sykkelparkeringen ligger i kjelleren med plass til seksti sykler."),
        ];
        string[] extra = ["Kaffemaskinen lager espresso og filterkaffe.", "Kantinen serverer varm mat.", "Sykkelen kan pumpes ved heisen.",
            "Avkalking av kaffemaskinen gjøres hver tredje måned med et middel!"];
        var mined = HardNegativeMiner.Mine(pairs, ("anchor", "positive"), new Bm25CandidateScorer(new Bm25Model()),
            new MiningOptions { NumNegatives = 1, RelativeMargin = null }, extra);
        Assert.Equal("Kaffemaskinen lager espresso og filterkaffe.", mined.Rows[0][2]);
        Assert.Equal("Sykkelen kan pumpes ved heisen.", mined.Rows[1][2]);
    }
}
