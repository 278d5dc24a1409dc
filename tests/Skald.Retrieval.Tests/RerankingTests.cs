using Skald.Models.CrossEncoders;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Reranking tasks (a BEIR folder with MTEB v2's <c>top_ranked</c>: each query's candidates) and two-stage retrieval
/// with a cross-encoder. Expected metrics are worked out by hand from the model's scores.
/// </summary>
public sealed class RerankingTests
{
    private const string Corpus = """
        {"_id": "a", "title": "", "text": "same"}
        {"_id": "b", "title": "", "text": "other"}
        {"_id": "c", "title": "", "text": "near"}
        {"_id": "d", "title": "", "text": "same"}
        """;

    private const string Queries = """
        {"_id": "q1", "text": "q"}
        {"_id": "q2", "text": "q"}
        {"_id": "q3", "text": "q"}
        """;

    private static readonly Dictionary<string, float[]> Vectors = new()
    {
        ["q"] = [1, 0], ["same"] = [1, 0.1f], ["near"] = [1, 0.9f], ["other"] = [0, 1],
    };

    private static string Task(string topRanked, string qrels = "query-id\tcorpus-id\tscore\nq1\tb\t1\nq1\tc\t1\nq2\ta\t1\nq3\ta\t1\n")
    {
        string dir = BeirFolder.Write(Corpus, Queries, qrels);
        File.WriteAllText(Path.Combine(dir, "top_ranked.jsonl"), topRanked);
        return dir;
    }

    [Fact]
    public void OnlyTheCandidatesAreRankedAndAQueryWithoutAListScoresZero()
    {
        // q1: candidates b, c (a, d would win in the whole corpus): cosine c (0.74) > b (0): both relevant, AP 1.
        // q2: candidates b, c, a: a first (cosine 0.995): AP 1, MRR 1. q3: no list: an empty run, 0 (MTEB).
        string dir = Task("""
            {"query-id": "q1", "corpus-ids": ["b", "c"]}
            {"query-id": "q2", "corpus-ids": ["b", "c", "a"]}
            """);
        var data = RetrievalData.Load(dir);
        Assert.Equal([[1, 2], [1, 2, 0], []], data.Candidates!);
        var m = RetrievalScorer.Score(new DenseRetriever(new TableModel(Vectors)), data);
        Assert.Equal(2.0 / 3, m["map_at_1000"], 12);
        Assert.Equal(2.0 / 3, m["mrr_at_10"], 12);
        Assert.Equal(2.0 / 3, m["recall_at_1000"], 12);

        // The same folder without its list is a plain retrieval task: the whole corpus is searched.
        File.Delete(Path.Combine(dir, "top_ranked.jsonl"));
        var plain = RetrievalData.Load(dir);
        Assert.Null(plain.Candidates);
        Assert.True(RetrievalScorer.Score(new DenseRetriever(new TableModel(Vectors)), plain)["map_at_1000"] < 2.0 / 3);
    }

    [Theory]
    [InlineData("{\"query-id\": \"q9\", \"corpus-ids\": [\"a\"]}", "top_ranked.jsonl:1: query id \"q9\"")]
    [InlineData("{\"query-id\": \"q1\", \"corpus-ids\": [\"a\", \"z\"]}", "top_ranked.jsonl:1: corpus id \"z\" is not in the corpus")]
    [InlineData("{\"query-id\": \"q1\", \"corpus-ids\": [\"a\", \"a\"]}", "top_ranked.jsonl:1: corpus id \"a\" is listed twice")]
    [InlineData("{\"query-id\": \"q1\", \"corpus-ids\": [\"a\"]}\n{\"query-id\": \"q1\", \"corpus-ids\": [\"b\"]}", "top_ranked.jsonl:2: query id \"q1\" is listed twice")]
    [InlineData("{\"query-id\": \"q1\"}", "top_ranked.jsonl:1: missing field \"corpus-ids\"")]
    // a lone surrogate escape (valid JSON, no text) was an InvalidOperationException, an internal error
    [InlineData("{\"query-id\": \"q1\", \"corpus-ids\": [\"\\ud800\"]}", "top_ranked.jsonl:1: field \"corpus-ids\" holds a lone UTF-16 surrogate escape")]
    public void BadCandidateListsNameTheLine(string topRanked, string message)
    {
        var e = Assert.Throws<EvaluationException>(() => RetrievalData.Load(Task(topRanked)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bm25ScoresCandidatesWithTheWholeCorpussStatistics()
    {
        CorpusDocument[] corpus = [new("d0", "", "fjorden er stille"), new("d1", "", "bussen går tidlig"), new("d2", "", "ferja går over fjorden"), new("d3", "", "ferja")];
        var bm25 = new Bm25Model(new Bm25Options { Stem = false });
        var scores = bm25.ScoreCandidates(corpus, ["går ferja"], [[1, 0, 3]], null)[0];
        var full = bm25.Search(corpus, ["går ferja"], 10, null)[0].ToDictionary(h => h.Index, h => h.Score);
        Assert.Equal(full[1], scores[0]); // the same score as searching the whole corpus: its statistics, not the candidates'
        Assert.Equal(0f, scores[1]);      // no term in common
        Assert.Equal(full[3], scores[2]);
        Assert.True(scores[2] > 0 && scores[0] > 0);
        var data = RetrievalData.Load(Task("{\"query-id\": \"q1\", \"corpus-ids\": [\"a\"]}"));
        var hybrid = new HybridRetriever(bm25, new DenseRetriever(new TableModel(Vectors)));
        var e = Assert.Throws<EvaluationException>(() => RetrievalScorer.Score(hybrid, data));
        Assert.Contains("cannot score a reranking task's candidates", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACrossEncoderOrdersTheCandidatesByItsScores()
    {
        var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        string[] texts = ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget.", "Blåbærsyltetøy på vaffel er best.", "Kva tid går ferja?"];
        const string query = "Kva tid går neste ferje over fjorden?";
        string dir = BeirFolder.Write(string.Join("\n", texts.Select((t, i) => $"{{\"_id\": \"d{i}\", \"text\": \"{t}\"}}")),
            $"{{\"_id\": \"q\", \"text\": \"{query}\"}}", "q\td1\t1\nq\td3\t1\n");
        File.WriteAllText(Path.Combine(dir, "top_ranked.jsonl"), "{\"query-id\": \"q\", \"corpus-ids\": [\"d0\", \"d1\", \"d2\", \"d3\"]}");
        var scores = model.Score(texts.Select(t => (query, t)).ToArray());
        // AP by hand: the ranks (1-based) of d1 and d3 in descending score order (ties: id descending, as trec_eval).
        var order = Enumerable.Range(0, 4).OrderByDescending(i => scores[i]).ThenByDescending(i => i).ToList();
        int r1 = order.IndexOf(1) + 1, r3 = order.IndexOf(3) + 1;
        double ap = (1.0 / Math.Min(r1, r3) + 2.0 / Math.Max(r1, r3)) / 2;

        var m = RetrievalScorer.Score(new CrossEncoderRetriever(model), RetrievalData.Load(dir));
        Assert.Equal(ap, m["map_at_1000"], 12);
        Assert.Equal(1.0 / Math.Min(r1, r3), m["mrr_at_10"], 12);
    }

    [Fact]
    public void TwoStageRetrievalReranksTheFirstStagesCandidatesOnly()
    {
        var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        CorpusDocument[] corpus = [new("a", "", "same"), new("b", "", "other"), new("c", "", "near"), new("d", "", "same")];
        var dense = new DenseRetriever(new TableModel(Vectors));
        var retriever = new CrossEncoderRetriever(model, dense, candidates: 2);
        var hits = retriever.Search(corpus, ["q"], 10, null)[0];
        // The dense top 2 are a and d (the same text); c and b are never scored.
        Assert.Equal([0, 3], hits.Select(h => h.Index).Order().ToArray());
        float s = model.Score([("q", "same")])[0];
        Assert.All(hits, h => Assert.Equal(s, h.Score, 5));
        var e = Assert.Throws<EvaluationException>(() => new CrossEncoderRetriever(model).Search(corpus, ["q"], 10, null));
        Assert.Contains("--rerank", e.Message, StringComparison.Ordinal);
    }
    [Fact]
    public void AFileOfListedCandidatesIsARerankingTask()
    {
        // MTEB v1 / sentence-transformers' evaluator rows, and listwise rows with grades; a row without a relevant
        // document is left out, a document listed twice for a row is one candidate with the higher grade.
        string dir = TestPaths.NewTempDir(), v1 = Path.Combine(dir, "v1.jsonl"), lists = Path.Combine(dir, "lists.jsonl");
        File.WriteAllLines(v1,
        [
            """{"query": "q", "positive": ["near"], "negative": ["other", "same"]}""",
            """{"query": "q", "positive": ["other"], "negative": ["near"]}""",
        ]);
        var data = RerankingLists.Load(v1);
        Assert.Equal(["near", "other", "same"], data.Corpus.Select(d => d.Text));
        Assert.Equal([[0, 1, 2], [1, 0]], data.Candidates!);
        // Cosines to q: same 0.995 > near 0.74 > other 0. Row 1: near at rank 2, AP 1/2, RR 1/2; row 2: other last of 2, AP 1/2.
        var m = RetrievalScorer.Score(new DenseRetriever(new TableModel(Vectors)), data);
        Assert.Equal(0.5, m["map_at_1000"], 12);
        Assert.Equal(0.5, m["mrr_at_10"], 12);

        File.WriteAllLines(lists,
        [
            """{"query": "q", "docs": ["other", "near", "same", "near"], "labels": [2, 0, 1, 1]}""",
            """{"query": "q", "docs": ["same", "other"], "labels": [0, 0]}""",
            """{"query": "q", "docs": ["other", "same"], "labels": [0.9, 0.2]}""",
        ]);
        data = RerankingLists.Load(lists);
        Assert.Equal(["q1", "q3"], data.Queries.Select(q => q.Id));
        Assert.Equal(new Dictionary<string, int> { ["d0"] = 2, ["d1"] = 1, ["d2"] = 1 }, data.Qrels["q1"]);
        Assert.Equal(new Dictionary<string, int> { ["d0"] = 1, ["d2"] = 0 }, data.Qrels["q3"]); // scores: relevant from 0.5
        // q1 ranks same (1), near (1), other (2), trec_eval's linear gains: nDCG@10 = (1 + 1/log2 3 + 2/2) / (2 + 1/log2 3 + 1/2).
        m = RetrievalScorer.Score(new DenseRetriever(new TableModel(Vectors)), RetrievalData.CreateReranking(data.Corpus, [data.Queries[0]],
            new Dictionary<string, IReadOnlyDictionary<string, int>> { ["q1"] = data.Qrels["q1"] }, new Dictionary<string, int[]> { ["q1"] = data.Candidates![0] }));
        double ideal = 2 + 1 / Math.Log2(3) + 1 / 2.0, got = 1 + 1 / Math.Log2(3) + 2 / 2.0;
        Assert.Equal(got / ideal, m["ndcg_at_10"], 12);

        File.WriteAllLines(lists, ["""{"query": "q", "docs": ["other", "near"], "labels": [1]}"""]);
        var e = Assert.Throws<EvaluationException>(() => RerankingLists.Load(lists));
        Assert.Equal($"{lists}:1: the 2 documents of \"docs\" need a \"labels\" list of as many numbers", e.Message);
        File.WriteAllLines(lists, ["""{"query": "q", "docs": ["other"], "labels": "\ud800"}"""]); // (a lone surrogate: an internal error)
        e = Assert.Throws<EvaluationException>(() => RerankingLists.Load(lists));
        Assert.Equal($"{lists}:1: the 1 documents of \"docs\" need a \"labels\" list of as many numbers", e.Message);
        File.WriteAllLines(lists, ["""{"query": "q", "title": "t", "docs": ["other"], "labels": [1]}"""]);
        e = Assert.Throws<EvaluationException>(() => RerankingLists.Load(lists));
        Assert.Contains("needs one text field, the query (found 2: query, title)", e.Message, StringComparison.Ordinal);
    }
    /// <summary>A row of a Parquet reranking file.</summary>
    public sealed class ListRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("query")]
        public string Query { get; set; } = "";

        [System.Text.Json.Serialization.JsonPropertyName("docs")]
        public List<string> Docs { get; set; } = [];

        [System.Text.Json.Serialization.JsonPropertyName("labels")]
        public List<double> Labels { get; set; } = [];
    }

    [Fact]
    public async Task AParquetFileOfListsIsTheSameTask()
    {
        string dir = TestPaths.NewTempDir(), path = Path.Combine(dir, "lists.parquet");
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[]
        {
            new ListRow { Query = "q", Docs = ["other", "near", "same"], Labels = [2, 0, 1] },
            new ListRow { Query = "q", Docs = ["same", "other"], Labels = [0, 0] },
        }, path);
        Assert.True(RerankingLists.HasTextLists(path));
        var data = RerankingLists.Load(path);
        Assert.Equal(["q1"], data.Queries.Select(q => q.Id));
        Assert.Equal(new Dictionary<string, int> { ["d0"] = 2, ["d1"] = 0, ["d2"] = 1 }, data.Qrels["q1"]);
        Assert.Equal([[0, 1, 2]], data.Candidates!);
    }

    /// <summary>A row of a Parquet reranking file with a numeric id beside its query.</summary>
    public sealed class NumberedRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("id")]
        public long Id { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("query")]
        public string Query { get; set; } = "";

        [System.Text.Json.Serialization.JsonPropertyName("docs")]
        public List<string> Docs { get; set; } = [];

        [System.Text.Json.Serialization.JsonPropertyName("labels")]
        public List<double> Labels { get; set; } = [];
    }

    /// <summary>A row of a Parquet reranking file whose query column holds numbers.</summary>
    public sealed class NumericQueryRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("query")]
        public long Query { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("docs")]
        public List<string> Docs { get; set; } = [];

        [System.Text.Json.Serialization.JsonPropertyName("labels")]
        public List<double> Labels { get; set; } = [];
    }

    [Fact]
    public async Task ANumericIdColumnOfAParquetFileOfListsIsNotTakenForTheQuery()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "numbered.parquet");
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[]
        {
            new NumberedRow { Id = 17, Query = "q", Docs = ["other", "near", "same"], Labels = [2, 0, 1] },
        }, path);
        var data = RerankingLists.Load(path);
        Assert.Equal([("q1", "q")], data.Queries);
        Assert.Equal(new Dictionary<string, int> { ["d0"] = 2, ["d1"] = 0, ["d2"] = 1 }, data.Qrels["q1"]);
    }

    [Fact]
    public async Task ANumericQueryColumnOfAParquetFileOfListsIsOneLineNamingTheColumnAndType()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "numeric-query.parquet");
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[]
        {
            new NumericQueryRow { Query = 5, Docs = ["other", "near"], Labels = [1, 0] },
        }, path);
        var e = Assert.Throws<EvaluationException>(() => RerankingLists.Load(path));
        Assert.Equal($"{path}: column 'query' has type int64, not string (a text column must hold texts)", e.Message);
    }
}
