using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// A <c>model.path</c> that is neither a folder here nor a hub repository found is one line naming where the key was
/// set and the key, as a <c>model.adapters</c> entry's is (<see cref="MissingAdapterKeyTests"/>): the loader's own line
/// named the path alone, and under <c>skald train</c> the hub's line did.
/// </summary>
public sealed class MissingModelPathKeyTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Config(string path)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferja går klokka {i}.\"}}\n")));
        return InfraPaths.WriteFile(dir, "c.yaml", $$"""
            model:
              path: {{path}}
            data: {train: {{data}}}
            training: {batch_size: 4, max_steps: 1}
            loss: {type: mnrl}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """);
    }

    [Fact]
    public void AFolderThatIsNotThereNamesFileLineAndKey()
    {
        string missing = Path.Combine(dir, "models", "x", "nope"); // not a hub id: a path
        string file = Config(missing);
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(ConfigLoader.Load(file)));
        Assert.Equal($"{file}:2: model.path: {missing}: no such folder (a model folder, or a hub id org/name)", e.Message);
    }

    [Fact]
    public void AHubIdNeitherHereNorCachedNamesTheFileLineAndKey()
    {
        string file = Config("runs/nope");
        var r = SkaldProcess.RunWith(dir, new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = Path.Combine(dir, "hf") },
            "train", "--config", file, "--quiet");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"{file}:2: model.path: runs/nope: no such local folder, not in the hub cache ", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void AHubIdGivenBySetNamesTheSetAndKey()
    {
        string file = Config(InfraPaths.FixtureModel("bert-cased-mean"));
        var r = SkaldProcess.RunWith(dir, new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = Path.Combine(dir, "hf") },
            "train", "--config", file, "--set", "model.path=runs/nope", "--quiet");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--set: model.path: runs/nope: no such local folder, not in the hub cache ", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }
}
