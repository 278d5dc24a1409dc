using Skald.Evaluation.Benchmark;

namespace Skald.Evaluation.Tests;

/// <summary>
/// A model a training run wrote is named in a benchmark report by its run: two trained models (RUN/final, the folder
/// `skald train` saves to) were "final" and "final#2", a checkpoint "checkpoint-2" whatever run it came from.
/// </summary>
public sealed class BenchmarkModelNameTests
{
    [Fact]
    public void ATrainedModelIsNamedByItsRun()
    {
        string dir = TestPaths.NewTempDir(), fixture = TestPaths.FixtureModel("bert-cased-mean");
        string[] models =
        [
            TestPaths.CopyFolder(fixture, Path.Combine(dir, "runs", "simcse", "final")),
            TestPaths.CopyFolder(fixture, Path.Combine(dir, "runs", "mnrl", "final") + "/"),
            TestPaths.CopyFolder(fixture, Path.Combine(dir, "runs", "mnrl", "checkpoints", "checkpoint-2")),
            TestPaths.CopyFolder(fixture, Path.Combine(dir, "encoder")),
        ];
        string task = BeirFolder.Write("{\"_id\": \"d0\", \"text\": \"Ferja går klokka sju.\"}\n{\"_id\": \"d1\", \"text\": \"Fjorden ligg stille.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går ferja?\"}\n", "q1\td0\t1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{task}}", "language": "nb"}]}""");
        var report = BenchmarkRunner.Run(Suite.Load(suite), models, new BenchmarkOptions { CacheDirectory = Path.Combine(dir, "cache") });
        Assert.Equal(["simcse", "mnrl", "mnrl/checkpoint-2", "encoder"], report.Board.Models);
    }
}
