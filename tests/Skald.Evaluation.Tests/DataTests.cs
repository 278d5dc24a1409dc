using Skald.Evaluation.Data;

namespace Skald.Evaluation.Tests;

public sealed class DataTests
{
    internal static string Beir(string corpus, string queries, string? qrels)
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "corpus.jsonl"), corpus);
        File.WriteAllText(Path.Combine(dir, "queries.jsonl"), queries);
        if (qrels is not null)
        {
            Directory.CreateDirectory(Path.Combine(dir, "qrels"));
            File.WriteAllText(Path.Combine(dir, "qrels", "test.tsv"), qrels);
        }
        return dir;
    }

    private const string Corpus = "{\"_id\":\"d1\",\"title\":\"T\",\"text\":\"one\"}\n{\"_id\":\"d2\",\"text\":\"two\"}\n";
    private const string Queries = "{\"_id\":\"q1\",\"text\":\"one?\"}\n{\"_id\":\"q2\",\"text\":\"unjudged\"}\n";

    [Fact]
    public void LoadsBeirAndSkipsUnjudgedQueries()
    {
        var data = RetrievalData.Load(Beir(Corpus, Queries, "query-id\tcorpus-id\tscore\nq1\td1\t1\n"));
        Assert.Equal(2, data.Corpus.Count);
        Assert.Equal("T one", data.Corpus[0].FullText);
        Assert.Single(data.Queries);
        Assert.Equal(1, data.UnjudgedQueries);
    }

    [Theory]
    [InlineData(Corpus, Queries, null, "missing qrels")]
    [InlineData(Corpus, Queries, "query-id\tcorpus-id\tscore\nq9\td1\t1\n", "test.tsv:2: query id \"q9\" is not in")]
    [InlineData(Corpus, Queries, "query-id\tcorpus-id\tscore\nq1\td9\t1\n", "test.tsv:2: corpus id \"d9\" is not in")]
    [InlineData("", Queries, "q1\td1\t1\n", "the corpus is empty")]
    [InlineData(Corpus + "{\"_id\": \"d3\", \n", Queries, "q1\td1\t1\n", "corpus.jsonl:3: malformed JSON")]
    [InlineData(Corpus, "{\"text\":\"no id\"}\n", "q1\td1\t1\n", "queries.jsonl:1: missing field \"_id\"")]
    [InlineData(Corpus, Queries, "q1 d1 1\n", "test.tsv:1: expected 3 tab-separated fields")]
    [InlineData(Corpus, Queries, "q1\td1\thigh\n", "test.tsv:1: score \"high\" is not an integer")]
    [InlineData(Corpus + Corpus, Queries, "q1\td1\t1\n", "duplicate document id \"d1\"")]
    public void BadFoldersGiveClearErrors(string corpus, string queries, string? qrels, string expected)
    {
        var e = Assert.Throws<EvaluationException>(() => RetrievalData.Load(Beir(corpus, queries, qrels)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InfersTypesFromLayout()
    {
        string dir = TestPaths.NewTempDir();
        string sts = Path.Combine(dir, "x-sv.tsv"), pairs = Path.Combine(dir, "p.tsv"), trip = Path.Combine(dir, "t.jsonl"), bitext = Path.Combine(dir, "flores-da-sv.jsonl");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\na\tb\t0.5\n");
        File.WriteAllText(pairs, "sentence1\tsentence2\tlabel\na\tb\t1\n");
        File.WriteAllText(trip, "{\"anchor\":\"a\",\"positive\":\"b\",\"negative\":\"c\"}\n");
        File.WriteAllText(bitext, "{\"source\":\"a\",\"target\":\"b\"}\n");
        Assert.Equal(TaskKind.Sts, TaskDefinition.Infer(sts));
        Assert.Equal(TaskKind.Pairs, TaskDefinition.Infer(pairs));
        Assert.Equal(TaskKind.Triplets, TaskDefinition.Infer(trip));
        Assert.Equal(TaskKind.Bitext, TaskDefinition.Infer(bitext));
        Assert.Equal(TaskKind.Retrieval, TaskDefinition.Infer(Beir(Corpus, Queries, "q1\td1\t1\n")));
        var t = TaskDefinition.FromPath(bitext);
        Assert.Equal("da-sv", t.Language);
        Assert.Equal("flores-da-sv", t.Name);
        Assert.Throws<EvaluationException>(() => TaskDefinition.Infer(Path.Combine(dir, "nope")));
        var bad = Path.Combine(dir, "bad.tsv");
        File.WriteAllText(bad, "sentence1\tsentence2\tscore\na\tb\n");
        Assert.Contains("bad.tsv:2: expected 3 tab-separated fields", Assert.Throws<EvaluationException>(() => Datasets.LoadSts(bad)).Message);
    }
}
