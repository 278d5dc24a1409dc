using System.Text.Json;
using Skald.Data.Negatives;
using Skald.Models.Modules;
using Skald.Retrieval.Models;

namespace Skald.Data.Tests;

/// <summary>
/// <see cref="HardNegativeMiner"/> through <see cref="DenseCandidateScorer"/> against a torch restatement of
/// sentence-transformers' mine_hard_negatives on fixed embeddings (fixtures/mining/make_hard_negative_reference.py):
/// every output format with and without scores, both margins (one query's positive scores below zero), max / min
/// score, range_min / range_max, repeated and multi-positive anchors, include_positives, and dot, Euclidean and
/// Manhattan models; and passages of exactly equal scores, taken in the order torch.topk gives them
/// (fixtures/mining/make_topk_ties.py).
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
