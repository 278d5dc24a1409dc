namespace Skald.Cli.Tests;

/// <summary>
/// A train stage whose config does not suit the data names that config file and the stage: a new user running
/// configs/adapt-example.yaml on six documents of their own got "training.batch_size 16 is larger than the data" with no
/// word of where the 16 is set (configs/adapt/train.yaml, not the pipeline file).
/// </summary>
public sealed class PipelineTrainConfigErrorTests
{
    [Fact]
    public void ABatchLargerThanTheDataNamesTheStagesConfigAndTheLargestBatch()
    {
        string dir = TestPaths.NewTempDir();
        string data = Path.Combine(dir, "pairs.jsonl"), train = Path.Combine(dir, "train.yaml"), config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(data, """
            {"anchor": "Hvor mange uker ferie har jeg?", "positive": "Alle ansatte har fem uker ferie."}
            {"anchor": "Når kommer lønnen?", "positive": "Lønn utbetales den 20. hver måned."}
            {"anchor": "Får jeg betalt overtid?", "positive": "Overtid gir 50 prosent tillegg."}
            """);
        File.WriteAllText(train, """
            loss: {type: mnrl}
            training: {batch_size: 16, epochs: 1}
            """);
        File.WriteAllText(config, $$"""
            output: {{Path.Combine(dir, "out")}}
            stages:
              - {name: tuned, type: train, config: {{train}}, model: {{TestPaths.FixtureModel("bert-cased-mean")}}, data: [{{data}}]}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal($"skald: error: {train} (the config of stage tuned): training.batch_size 16 is larger than the data: "
            + $"{data} has 3 rows; set training.batch_size to at most 3", r.Stderr.Trim().Split('\n')[^1]);
    }
}
