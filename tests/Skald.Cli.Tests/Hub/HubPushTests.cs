using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// A training config's <c>output.push_to_hub</c> through <c>skald train</c> against <see cref="MockHub"/>: the final
/// model folder ends up in the repository; a missing token or repository id stops the run before it trains.
/// </summary>
public sealed class HubPushTests
{
    private static string Config(string dir, string outDir, string output)
    {
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(data, string.Concat(Enumerable.Range(0, 16).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\"}}\n")));
        string path = Path.Combine(dir, $"c{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"""
            model:
              path: {TestPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {data}
            training:
              batch_size: 8
              max_steps: 2
            output:
              dir: {outDir}
              save_steps: 0
              tensorboard: false
            {output}
            """);
        return path;
    }

    [Fact]
    public void TheFinalModelIsPushedOnceTrainingEnds()
    {
        using var hub = new MockHub();
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "run");
        string config = Config(dir, outDir, "  push_to_hub: true\n  hub_model_id: org/trained\n  hub_private_repo: true");
        var r = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint, MockHub.Token), "train", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pushed", r.Stderr);
        Assert.Equal(("org/trained", "private", "model"), Assert.Single(hub.Created));
        Assert.Equal("Upload model trained with Skald", Assert.Single(hub.Commits).Summary);
        string final = Path.Combine(outDir, "final");
        var local = Directory.GetFiles(final, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(final, f).Replace('\\', '/'), File.ReadAllBytes);
        var stored = hub.FilesOf("org/trained").Where(f => f.Key != ".gitattributes").ToDictionary(); // the new repository's own file
        Assert.Equal(local.Keys.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, content) in local) Assert.Equal(content, stored[name]);
        Assert.Contains("README.md", stored.Keys); // the model card goes with it
    }

    [Fact]
    public void AMissingTokenOrRepositoryStopsTheRunBeforeItTrains()
    {
        using var hub = new MockHub();
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "run");
        var noToken = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint, ""), "train", "--config",
            Config(dir, outDir, "  push_to_hub: true\n  hub_model_id: org/trained"));
        SkaldProcess.AssertUserError(noToken, 1, "output.push_to_hub", "token", "before training");
        Assert.False(Directory.Exists(Path.Combine(outDir, "final")));
        Assert.False(Directory.Exists(Path.Combine(outDir, "checkpoints")));

        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint, MockHub.Token);
        var noRepo = SkaldProcess.RunWith(dir, env, "train", "--config", Config(dir, outDir, "  push_to_hub: true"));
        SkaldProcess.AssertUserError(noRepo, 1, "push_to_hub", "hub_model_id");
        var badRepo = SkaldProcess.RunWith(dir, env, "train", "--config",
            Config(dir, outDir, "  push_to_hub: true\n  hub_model_id: not/a/repo"));
        SkaldProcess.AssertUserError(badRepo, 1, "hub_model_id", "not/a/repo");
        Assert.Empty(hub.Requests);
    }
}
