using Skald.Cli.Pipeline;

namespace Skald.Cli.Tests;

/// <summary>
/// A stage's <see cref="StageMarks"/> key changes with what the stage reads, so a pipeline run again never keeps a
/// stage whose input changed: a file deep inside a folder it names (a BEIR folder's qrels/test.tsv, which the model
/// folder identity, reading only top-level json and weights, left out), and the data files its train config names.
/// </summary>
public sealed class StageMarksTests
{
    private static StageConfig Stage(string dir, string keys)
    {
        string config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $"output: {Path.Combine(dir, "out")}\nstages:\n  - {{name: s, type: benchmark, {keys}}}\n");
        return StageConfig.Load(config).Stages[0];
    }

    [Fact]
    public void AFileDeepInsideANamedFolderChangesTheKey()
    {
        string dir = TestPaths.NewTempDir(), beir = Path.Combine(dir, "beir");
        Directory.CreateDirectory(Path.Combine(beir, "qrels"));
        File.WriteAllText(Path.Combine(beir, "corpus.jsonl"), "{\"_id\": \"d1\", \"text\": \"a\"}\n");
        string qrels = Path.Combine(beir, "qrels", "test.tsv");
        File.WriteAllText(qrels, "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        var stage = Stage(dir, $"suite: {beir}");
        stage.Keys.FilePath("suite");
        string before = StageMarks.Key("", stage, []);
        Assert.Equal(before, StageMarks.Key("", stage, [])); // the same content, the same key
        File.WriteAllText(qrels, "query-id\tcorpus-id\tscore\nq1\td1\t0\n");
        Assert.NotEqual(before, StageMarks.Key("", stage, []));
    }

    [Fact]
    public void AnInputTheKeysDoNotNameChangesTheKey()
    {
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(data, "{\"anchor\": \"a\", \"positive\": \"b\"}\n");
        var stage = Stage(dir, "suite: x");
        string before = StageMarks.Key("", stage, [data]);
        File.WriteAllText(data, "{\"anchor\": \"a\", \"positive\": \"c\"}\n");
        Assert.NotEqual(before, StageMarks.Key("", stage, [data]));
    }
}
