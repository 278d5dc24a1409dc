using Skald.Evaluation.Data;
using Skald.Retrieval;
using Skald.Retrieval.Data;

namespace Skald.Evaluation.Tests;

public sealed class TaskDefinitionTests
{
    private const string Corpus = "{\"_id\":\"d1\",\"title\":\"T\",\"text\":\"one\"}\n{\"_id\":\"d2\",\"text\":\"two\"}\n";
    private const string Queries = "{\"_id\":\"q1\",\"text\":\"one?\"}\n{\"_id\":\"q2\",\"text\":\"unjudged\"}\n";

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
        Assert.Equal(TaskKind.Retrieval, TaskDefinition.Infer(BeirFolder.Write(Corpus, Queries, "q1\td1\t1\n")));
        var t = TaskDefinition.FromPath(bitext);
        Assert.Equal("da-sv", t.Language);
        Assert.Equal("flores-da-sv", t.Name);
        Assert.Throws<EvaluationException>(() => TaskDefinition.Infer(Path.Combine(dir, "nope")));
        var bad = Path.Combine(dir, "bad.tsv");
        File.WriteAllText(bad, "sentence1\tsentence2\tscore\na\tb\n");
        Assert.Contains("bad.tsv:2: expected 3 tab-separated fields", Assert.Throws<EvaluationException>(() => Datasets.LoadSts(bad)).Message);
    }
    [Fact]
    public void AFileOfRowsListingDocumentsIsARerankingTaskScoredByEvaluate()
    {
        string dir = TestPaths.NewTempDir(), lists = Path.Combine(dir, "held-out.jsonl");
        // mine-negatives --format labeled-list keeps its input's column names: a list under "positive", not a triplet.
        File.WriteAllLines(lists,
        [
            "{\"anchor\": \"one\", \"positive\": [\"one two\", \"three\"], \"labels\": [1, 0]}",
            "{\"anchor\": \"three\", \"positive\": [\"one two\", \"three four\"], \"labels\": [0, 1]}",
        ]);
        Assert.Equal(TaskKind.Reranking, TaskDefinition.Infer(lists));
        var result = Skald.Evaluation.Evaluators.TaskEvaluator.Create(TaskDefinition.FromPath(lists)).Evaluate(new Skald.Retrieval.Bm25.Bm25Model());
        Assert.Equal("map_at_1000", result.MainMetric);
        Assert.Equal(1.0, result.MainScore, 12); // BM25 ranks each query's word-overlapping document first
        Assert.Equal("2", result.Metadata["queries"]);
    }

    [Fact]
    public void ABrokenFirstRowNamesItsLineTheColumnAndTheReason()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "t.jsonl");
        // Two blank lines first: the row is line 3, and the value of "positive" is missing at column 26 of it (its 25 characters, then "}").
        const string before = "{\"anchor\":\"a\",\"positive\":";
        File.WriteAllText(task, $"\n\n{before}}}\n");
        string message = Assert.Throws<EvaluationException>(() => TaskDefinition.Infer(task)).Message;
        Assert.StartsWith($"{task}:3: invalid JSON at column {before.Length + 1} (", message);
        Assert.DoesNotContain("LineNumber", message);
        Assert.EndsWith(")", message);
    }

    /// <summary>
    /// A .jsonl task whose first row is valid JSON but no object (its keys tell the type) is one line naming the file and
    /// line, as a row the readers refuse is; it was an InvalidOperationException, an internal error to skald evaluate.
    /// </summary>
    [Theory]
    [InlineData("[\"a\", \"b\"]")]
    [InlineData("\"a text\"")]
    [InlineData("17")]
    public void AFirstRowThatIsNoObjectIsOneLine(string first)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "task.jsonl");
        File.WriteAllText(path, $"\n{first}\n{{\"anchor\":\"a\",\"positive\":\"b\",\"negative\":\"c\"}}\n");
        var e = Assert.Throws<EvaluationException>(() => TaskDefinition.Infer(path));
        Assert.Equal($"{path}:2: expected a JSON object", e.Message);
    }
}
