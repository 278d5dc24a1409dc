using Skald.Retrieval.Data;

namespace Skald.Retrieval.Tests;

public sealed class RetrievalDataTests
{
    private const string Corpus = "{\"_id\":\"d1\",\"title\":\"T\",\"text\":\"one\"}\n{\"_id\":\"d2\",\"text\":\"two\"}\n";
    private const string Queries = "{\"_id\":\"q1\",\"text\":\"one?\"}\n{\"_id\":\"q2\",\"text\":\"unjudged\"}\n";

    [Fact]
    public void LoadsBeirAndSkipsUnjudgedQueries()
    {
        var data = RetrievalData.Load(BeirFolder.Write(Corpus, Queries, "query-id\tcorpus-id\tscore\nq1\td1\t1\n"));
        Assert.Equal(2, data.Corpus.Count);
        Assert.Equal("T one", data.Corpus[0].FullText);
        Assert.Single(data.Queries);
        Assert.Equal(1, data.UnjudgedQueries);
    }

    [Fact]
    public void NumericIdsAreReadAsTheirDigits()
    {
        const string corpus = "{\"_id\":1,\"text\":\"one\"}\n{\"_id\":2,\"text\":\"two\"}\n";
        const string queries = "{\"_id\":10,\"text\":\"one?\"}\n";
        var data = RetrievalData.Load(BeirFolder.Write(corpus, queries, "query-id\tcorpus-id\tscore\n10\t1\t1\n"));
        Assert.Equal(["1", "2"], data.Corpus.Select(d => d.Id).ToArray());
        Assert.Equal("10", Assert.Single(data.Queries).Id);
    }

    [Fact]
    public void IdStandsInForAMissingUnderscoreId()
    {
        const string corpus = "{\"id\":\"d1\",\"text\":\"one\"}\n{\"_id\":\"d2\",\"id\":\"ignored\",\"text\":\"two\"}\n";
        const string queries = "{\"id\":\"q1\",\"text\":\"one?\"}\n{\"id\":\"q2\",\"text\":\"two?\"}\n";
        var data = RetrievalData.Load(BeirFolder.Write(corpus, queries, "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n"));
        Assert.Equal(["d1", "d2"], data.Corpus.Select(d => d.Id).ToArray());
        Assert.Equal(["q1", "q2"], data.Queries.Select(q => q.Id).ToArray());
    }

    [Fact]
    public void OnlyTheDefaultSplitFallsBackToATasksOneQrelsFile()
    {
        const string qrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\n";
        string folder = BeirFolder.Write(Corpus, Queries, qrels); // qrels/test.tsv only
        Assert.Single(RetrievalData.Load(folder, "test").Queries);
        var e = Assert.Throws<EvaluationException>(() => RetrievalData.Load(folder, "dev"));
        Assert.Contains("no qrels/dev.tsv; its split is test", e.Message);
        File.Move(Path.Combine(folder, "qrels", "test.tsv"), Path.Combine(folder, "qrels", "dev.tsv"));
        Assert.Single(RetrievalData.Load(folder).Queries); // the default takes the only file there is
    }

    [Theory]
    [InlineData(Corpus, Queries, null, "missing qrels")]
    [InlineData(Corpus, Queries, "query-id\tcorpus-id\tscore\nq9\td1\t1\n", "test.tsv:2: query id \"q9\" is not in")]
    [InlineData(Corpus, Queries, "query-id\tcorpus-id\tscore\nq1\td9\t1\n", "test.tsv:2: corpus id \"d9\" is not in")]
    [InlineData("", Queries, "q1\td1\t1\n", "the corpus is empty")]
    [InlineData(Corpus + "{\"_id\": \"d3\", \n", Queries, "q1\td1\t1\n", "corpus.jsonl:3: invalid JSON at column ")]
    [InlineData(Corpus, "{\"text\":\"no id\"}\n", "q1\td1\t1\n", "queries.jsonl:1: missing field \"_id\" (or \"id\")")]
    [InlineData(Corpus + "{\"_id\":null,\"text\":\"three\"}\n", Queries, "q1\td1\t1\n", "corpus.jsonl:3: missing field \"_id\" (or \"id\")")]
    [InlineData(Corpus, Queries, "q1 d1 1\n", "test.tsv:1: expected 3 tab-separated fields")]
    [InlineData(Corpus, Queries, "q1\td1\thigh\n", "test.tsv:1: score \"high\" is not an integer")]
    [InlineData(Corpus + Corpus, Queries, "q1\td1\t1\n", "duplicate document id \"d1\"")]
    [InlineData(Corpus + "{\"_id\":\"d3\",\"text\":42}\n", Queries, "q1\td1\t1\n", "corpus.jsonl:3: field \"text\" must be a string (a text), found number 42")]
    [InlineData(Corpus + "{\"_id\":\"d3\",\"title\":7,\"text\":\"x\"}\n", Queries, "q1\td1\t1\n", "corpus.jsonl:3: field \"title\" must be a string (a text), found number 7")]
    [InlineData(Corpus, "{\"_id\":\"q1\",\"text\":[\"a\"]}\n", "q1\td1\t1\n", "queries.jsonl:1: field \"text\" must be a string (a text), found array [\"a\"]")]
    public void BadFoldersGiveClearErrors(string corpus, string queries, string? qrels, string expected)
    {
        var e = Assert.Throws<EvaluationException>(() => RetrievalData.Load(BeirFolder.Write(corpus, queries, qrels)));
        Assert.Contains(expected, e.Message);
    }
}
