using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// A <c>model.adapters</c> entry that names nothing is one line naming where the key was set and the key, as every other
/// config error is (the LLM2Vec journey: <c>--set 'model.adapters=[runs/nope]'</c> said "runs/nope: no such local
/// folder, ..." alone).
/// </summary>
public sealed class MissingAdapterKeyTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Config(string adapters)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferja går klokka {i}.\"}}\n")));
        return InfraPaths.WriteFile(dir, "c.yaml", $$"""
            model:
              path: {{InfraPaths.FixtureModel("bert-cased-mean")}}
              adapters: {{adapters}}
            data: {train: {{data}}}
            training: {batch_size: 4, max_steps: 1}
            loss: {type: mnrl}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """);
    }

    [Fact]
    public void AFolderThatIsNotThereNamesFileLineAndKey()
    {
        string missing = Path.Combine(dir, "runs", "x", "nope"); // not a hub id: a path
        string file = Config($"[{missing}]");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(ConfigLoader.Load(file)));
        Assert.Equal($"{file}:3: model.adapters: {missing}: no such folder (an adapter folder, or a hub id org/name)", e.Message);
    }

    [Fact]
    public void AHubIdNeitherHereNorCachedNamesTheSetAndKey()
    {
        string file = Config("[]");
        var r = SkaldProcess.RunWith(dir, new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = Path.Combine(dir, "hf") },
            "train", "--config", file, "--set", "model.adapters=[runs/nope]", "--quiet");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--set: model.adapters: runs/nope: no such local folder, not in the hub cache ", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }
}
