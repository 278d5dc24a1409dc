using System.Text.Json;
using Skald.Data.Negatives;
using Skald.Models.Modules;
using Skald.Retrieval.Models;

namespace Skald.Data.Tests;

/// <summary>
/// <see cref="HardNegativeMiner"/> through <see cref="DenseCandidateScorer"/> against a torch restatement of
/// sentence-transformers' mine_hard_negatives on fixed embeddings (fixtures/mining/make_hard_negative_reference.py):
/// every output format with and without scores, both margins (one query's positive scores below zero), max / min
/// score, range_min / range_max, repeated and multi-positive anchors, include_positives, dot, Euclidean and
/// Manhattan models, and random sampling drawn as Python's seeded random.sample draws it; and passages of exactly equal
/// scores, taken in the order torch.topk gives them (fixtures/mining/make_topk_ties.py).
/// </summary>
public sealed class MiningParityTests
{
    /// <summary>
    /// A model whose vectors are the fixture's, unnormalised (lengths 0.7 to 2): as a dot model the scorer must normalise
    /// them as mine_hard_negatives does to get the reference's cosines; as a Euclidean or Manhattan model, score the unit
    /// vectors by negative distance.
    /// </summary>
    private sealed class TableModel(Dictionary<string, float[]> vectors, SimilarityFunction similarity) : IEmbeddingModel
    {
        public string Name => "table";
        public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>();
        public int Dimension => vectors.First().Value.Length;
        public SimilarityFunction Similarity => similarity;
        public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => [.. texts.Select(t => (float[])vectors[t].Clone())];
        public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
    }

    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "mining", "hard_negatives.json"))).RootElement;

    // hard_negatives.json, and topk_ties.json's cases (fixtures/mining/make_topk_ties.py): passages sharing one vector,
    // whose equal scores the function ranks in torch.topk's order
    private static JsonElement FixtureOf(string file) => file == "ties" ? TorchTopKTests.Fixture : Fixture;

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string file in new[] { "plain", "ties" })
            foreach (var c in FixtureOf(file).GetProperty("cases").EnumerateArray()) cases.Add(file, c.GetProperty("name").GetString()!);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MinesWhatTheReferenceMines(string file, string name)
    {
        var fixture = FixtureOf(file);
        var c = fixture.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var o = c.GetProperty("options");
        double? Num(string key) => o.TryGetProperty(key, out var v) ? v.GetDouble() : null;
        bool Flag(string key) => o.TryGetProperty(key, out var v) && v.GetBoolean();
        var format = HardNegativeMiner.ParseFormat(o.TryGetProperty("output_format", out var f) ? f.GetString()! : "triplet", out _);
        var options = new MiningOptions
        {
            NumNegatives = (int?)Num("num_negatives") ?? 3, RangeMin = (int?)Num("range_min") ?? 0, RangeMax = (int?)Num("range_max"),
            AbsoluteMargin = Num("absolute_margin"), RelativeMargin = Num("relative_margin"), MaxScore = Num("max_score"), MinScore = Num("min_score"),
            Format = Flag("include_positives") ? MiningFormat.NTuple : format, Scores = Flag("output_scores"), IncludePositives = Flag("include_positives"),
            Sampling = o.TryGetProperty("sampling", out var sampling) && sampling.GetString() == "random" ? SamplingStrategy.Random : SamplingStrategy.Top,
            Seed = (int?)Num("seed") ?? 42,
        };
        var similarity = o.TryGetProperty("similarity", out var sf) ? Similarities.Parse(sf.GetString()!, "fixture") : SimilarityFunction.Dot;
        var vectors = fixture.GetProperty("embeddings").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray());
        var pairs = fixture.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToList();
        string[] corpus = [.. fixture.GetProperty("corpus").EnumerateArray().Select(x => x.GetString()!)];

        var mined = HardNegativeMiner.Mine(pairs, ("anchor", "positive"), new DenseCandidateScorer(new TableModel(vectors, similarity)), options, corpus);

        Assert.Equal(c.GetProperty("range_max").GetInt32(), mined.RangeMax);
        Assert.Equal(c.GetProperty("columns").EnumerateArray().Select(x => x.GetString()!), mined.Columns);
        var expected = c.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(expected.Count, mined.Rows.Count);
        for (int r = 0; r < expected.Count; r++)
        {
            var want = expected[r].EnumerateArray().ToList();
            var got = mined.Rows[r];
            Assert.Equal(want.Count, got.Length);
            for (int j = 0; j < want.Count; j++) AssertCell(want[j], got[j], $"{name} row {r} column {mined.Columns[j]}");
        }
    }

    /// <summary>
    /// The round trip's scorer (<c>retrievalScores</c>) keeps a dot model's raw inner products, the ranking a search
    /// gives, where mining normalises.
    /// </summary>
    [Fact]
    public void RetrievalScoresKeepADotModelsRawInnerProducts()
    {
        var vectors = Fixture.GetProperty("embeddings").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray());
        string[] corpus = ["passage 5", "positive 5.0", "passage 0"];
        var (hits, positives) = new DenseCandidateScorer(new TableModel(vectors, SimilarityFunction.Dot), retrievalScores: true)
            .Score(["query 5"], corpus, [[1]], 3);
        float Raw(string t) => vectors["query 5"].Zip(vectors[t], (a, b) => a * b).Sum();
        var expected = corpus.Select((t, i) => (i, Raw(t))).OrderByDescending(x => x.Item2).ToList();
        Assert.Equal(expected.Select(x => x.i), hits[0].Select(h => h.Index));
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i].Item2, hits[0][i].Score, 4);
        Assert.Equal(Raw("positive 5.0"), positives[0][0], 4);
        Assert.Equal(-0.5f * 2.0f * 0.7f, positives[0][0], 4); // |query 5| = 2, |positive 5.0| = 0.7, cosine −0.5
    }

    /// <summary>
    /// The round trip's scorer ranks a Euclidean or Manhattan model as <see cref="Skald.Retrieval.Search.DenseRetriever"/>'s
    /// exact search does: by the negated distance of the raw vectors (upstream's <c>euclidean_sim</c>, <c>manhattan_sim</c>),
    /// where mining normalises first.
    /// </summary>
    [Theory]
    [InlineData(SimilarityFunction.Euclidean)]
    [InlineData(SimilarityFunction.Manhattan)]
    public void RetrievalScoresRankADistanceModelByTheRawVectorsDistance(SimilarityFunction similarity)
    {
        var vectors = Fixture.GetProperty("embeddings").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray());
        string[] corpus = ["passage 5", "positive 5.0", "passage 0"];
        var (hits, positives) = new DenseCandidateScorer(new TableModel(vectors, similarity), retrievalScores: true)
            .Score(["query 5"], corpus, [[1]], 3);
        double Raw(string t) => -(similarity == SimilarityFunction.Euclidean
            ? Math.Sqrt(vectors["query 5"].Zip(vectors[t], (a, b) => (double)(a - b) * (a - b)).Sum())
            : vectors["query 5"].Zip(vectors[t], (a, b) => Math.Abs((double)a - b)).Sum());
        var expected = corpus.Select((t, i) => (i, Raw(t))).OrderByDescending(x => x.Item2).ToList();
        Assert.Equal(expected.Select(x => x.i), hits[0].Select(h => h.Index));
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i].Item2, hits[0][i].Score, 4);
        Assert.Equal(Raw("positive 5.0"), positives[0][0], 4);
        var search = new Skald.Retrieval.Search.DenseRetriever(new TableModel(vectors, similarity))
            .Search([.. corpus.Select((t, i) => new Skald.Retrieval.Models.CorpusDocument("d" + i, "", t))], ["query 5"], 3, null);
        Assert.Equal(search[0].Select(h => h.Index), hits[0].Select(h => h.Index));
    }

    /// <summary>
    /// A corpus of 3,003 passages nearly all sharing one vector (every query tied): the candidates are torch.topk's over
    /// the whole row, for k = 10 (heap selection: 64·k ≤ n) and k = 100 (introselect), queries on both sides of the
    /// tie. The indices are torch 1.13's, from <c>torch.topk(row, k).indices</c> on a row of the same pattern (1.0 at
    /// passages 5, 1700, 3002, 0.0 at 0, 1, 2500, 0.6 elsewhere, and the mirror image for the second query); a tied
    /// query's row was re-ranked by sorting all of it, which such a corpus made slow, and is now scored in place.
    /// </summary>
    [Theory]
    [InlineData(10, 0, new[] { 3002, 5, 1700, 8, 7, 3, 10, 4, 9, 11 })]
    [InlineData(10, 1, new[] { 1, 2500, 0, 8, 7, 3, 4, 9, 10, 2 })]
    [InlineData(100, 0, new[] { 3002, 1700, 5, 2003, 1992, 1993, 1994, 1995, 1996, 1997, 1998, 1999, 2000, 2001, 2002, 2013, 2004, 2014, 2005, 2006,
        2007, 2008, 2009, 2010, 2011, 1907, 2012, 1979, 2062, 1906, 1908, 1971, 1972, 1973, 1974, 1975, 1976, 1977, 1978, 1991, 1980, 1981, 1982,
        1983, 1984, 1985, 1986, 1987, 1988, 1989, 1990, 2051, 2040, 2041, 2042, 2043, 2044, 2045, 2046, 2047, 2048, 2049, 2050, 2039, 2052, 2053,
        2054, 2055, 2056, 2057, 2058, 2059, 2060, 2061, 1877, 2027, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2015, 2028,
        2029, 2030, 2031, 2032, 2033, 2034, 2035, 2036, 2037, 2038, 1905 })]
    [InlineData(100, 1, new[] { 0, 2500, 1, 1994, 2016, 1995, 1996, 1997, 1998, 1999, 2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009,
        2010, 2011, 2012, 2013, 2014, 2015, 1906, 1981, 1908, 1971, 1972, 1973, 1974, 1975, 1976, 1977, 1978, 1979, 1980, 1993, 1982, 1983, 1984,
        1985, 1986, 1987, 1988, 1989, 1990, 1991, 1992, 2053, 2042, 2043, 2044, 2045, 2046, 2047, 2048, 2049, 2050, 2051, 2052, 2041, 2054, 2055,
        2056, 2057, 2058, 2059, 2060, 2061, 2062, 2063, 1970, 2029, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027, 2028, 2017, 2030,
        2031, 2032, 2033, 2034, 2035, 2036, 2037, 2038, 2039, 2040, 1907 })]
    public void ACorpusOfIdenticalVectorsRanksAsTorchTopk(int k, int side, int[] expected)
    {
        const int N = 3003, Dim = 35; // (not a multiple of four rows nor of a vector's width: the scan's tails are taken)
        static float[] Vector(float a, float b) { var v = new float[Dim]; (v[0], v[1]) = (a, b); return v; }
        var vectors = new Dictionary<string, float[]> { ["best"] = Vector(1, 0), ["low"] = Vector(0, 1), ["same"] = Vector(0.6f, 0.8f) };
        string[] corpus = [.. Enumerable.Range(0, N).Select(j => j is 5 or 1700 or 3002 ? "best" : j is 0 or 1 or 2500 ? "low" : "same")];
        // six queries, more than the scan takes at once (the first search is the GEMM's), every one tied
        string[] queries = [.. Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? "best" : "low")];
        var (hits, _) = new DenseCandidateScorer(new TableModel(vectors, SimilarityFunction.Cosine)).Score(queries, corpus, [.. queries.Select(_ => new[] { 0 })], k);
        for (int i = 0; i < queries.Length; i++)
        {
            if (i % 2 != side) continue;
            Assert.Equal(expected, hits[i].Select(h => h.Index));
            Assert.Equal(1f, hits[i][0].Score, 5);
            Assert.Equal(side == 0 ? 0.6f : 0.8f, hits[i][3].Score, 5);
        }
    }

    // A text, a number, or a list of texts or numbers (the miner writes lists as JSON arrays, numbers invariantly).
    private static void AssertCell(JsonElement want, string got, string where)
    {
        switch (want.ValueKind)
        {
            case JsonValueKind.String:
                Assert.True(want.GetString() == got, $"{where}: expected '{want.GetString()}', got '{got}'");
                break;
            case JsonValueKind.Number:
                Assert.True(Math.Abs(want.GetDouble() - double.Parse(got, System.Globalization.CultureInfo.InvariantCulture)) < 1e-5, $"{where}: expected {want}, got {got}");
                break;
            default:
                var items = want.EnumerateArray().ToList();
                var parsed = JsonDocument.Parse(got).RootElement.EnumerateArray().ToList();
                Assert.True(items.Count == parsed.Count, $"{where}: expected {want}, got {got}");
                for (int i = 0; i < items.Count; i++) AssertCell(items[i], parsed[i].ValueKind == JsonValueKind.String ? parsed[i].GetString()! : parsed[i].GetRawText(), where);
                break;
        }
    }
}
