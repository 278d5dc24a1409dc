using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// A <c>model.path</c> or <c>model.adapters</c> entry that names nothing, neither a folder here nor a hub repository
/// found, is one line naming where the key was set and the key, as every other config error is: the LLM2Vec journey's
/// <c>--set 'model.adapters=[runs/nope]'</c> said "runs/nope: no such local folder, ..." alone, and a model.path
/// the loader's line (or under <c>skald train</c> the hub's) named alone.
/// </summary>
public sealed class MissingModelFolderKeyTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Config(string path, string adapters = "[]")
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferja går klokka {i}.\"}}\n")));
        return InfraPaths.WriteFile(dir, "c.yaml", $$"""
            model:
              path: {{path}}
              adapters: {{adapters}}
            data: {train: {{data}}}
            training: {batch_size: 4, max_steps: 1}
            loss: {type: mnrl}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """);
    }

    private static string Model => InfraPaths.FixtureModel("bert-cased-mean");

    /// <summary><c>skald train</c> offline with an empty hub cache: its one line (asserted), on stderr.</summary>
    private string TrainOffline(params string[] args)
    {
        var r = SkaldProcess.RunWith(dir, new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = Path.Combine(dir, "hf") },
            ["train", .. args, "--quiet"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        return r.Stderr;
    }

    [Fact]
    public void AnAdapterFolderThatIsNotThereNamesFileLineAndKey()
    {
        string missing = Path.Combine(dir, "runs", "x", "nope"); // not a hub id: a path
        string file = Config(Model, $"[{missing}]");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(ConfigLoader.Load(file)));
        Assert.Equal($"{file}:3: model.adapters: {missing}: no such folder (an adapter folder, or a hub id org/name)", e.Message);
    }

    [Fact]
    public void AnAdapterHubIdNeitherHereNorCachedNamesTheSetAndKey() =>
        Assert.Contains("--set: model.adapters: runs/nope: no such local folder, not in the hub cache ",
            TrainOffline("--config", Config(Model), "--set", "model.adapters=[runs/nope]"));

    [Fact]
    public void AModelFolderThatIsNotThereNamesFileLineAndKey()
    {
        string missing = Path.Combine(dir, "models", "x", "nope");
        string file = Config(missing);
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(ConfigLoader.Load(file)));
        Assert.Equal($"{file}:2: model.path: {missing}: no such folder (a model folder, or a hub id org/name)", e.Message);
    }

    [Fact]
    public void AModelHubIdNeitherHereNorCachedNamesTheFileLineAndKey()
    {
        string file = Config("runs/nope");
        Assert.Contains($"{file}:2: model.path: runs/nope: no such local folder, not in the hub cache ", TrainOffline("--config", file));
    }

    [Fact]
    public void AModelHubIdGivenBySetNamesTheSetAndKey() =>
        Assert.Contains("--set: model.path: runs/nope: no such local folder, not in the hub cache ",
            TrainOffline("--config", Config(Model), "--set", "model.path=runs/nope"));
}
