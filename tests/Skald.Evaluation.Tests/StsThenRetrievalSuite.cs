namespace Skald.Evaluation.Tests;

/// <summary>
/// A benchmark suite of two tiny Norwegian tasks, an STS task first and a retrieval task second: a check that must
/// refuse a model before its first task cannot wait for the retrieval task to come up.
/// </summary>
internal static class StsThenRetrievalSuite
{
    /// <summary>Writes the tasks and <c>suite.json</c> under <paramref name="dir"/>; the suite's path and the retrieval task's folder.</summary>
    public static (string Suite, string Retrieval) Write(string dir)
    {
        string sts = Path.Combine(dir, "sts.tsv");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\nHei\tHallo\t4\nHund\tKatt\t1\nBil\tBuss\t2\n");
        string task = BeirFolder.Write(
            "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille.\"}\n{\"_id\": \"d1\", \"text\": \"Bussen går 07:45.\"}\n{\"_id\": \"d2\", \"text\": \"Vaffel med syltetøy.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "q1\td1\t1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{sts}}", "language": "nb"}, {"path": "{{task}}", "language": "nb"}]}""");
        return (suite, task);
    }
}
