using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>output.hub_strategy</c> through <c>skald train</c> against <see cref="MockHub"/>: checkpoints pushed to
/// <c>last-checkpoint/</c> (or <c>checkpoints/step-N/</c>) while training, a run on a fresh machine resuming from the
/// hub's last checkpoint to the uninterrupted run's weights, and misuses named before training.
/// </summary>
public sealed class HubCheckpointTests
{
    private static string Config(string dir, string outDir, int steps, string output)
    {
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(data, string.Concat(Enumerable.Range(0, 32).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\"}}\n")));
        string path = Path.Combine(dir, $"c{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, string.Join("\n",
            "model:", $"  path: {TestPaths.FixtureModel("bert-cased-mean")}", "  dropout: 0.0",
            "data:", $"  train: {data}",
            "training:", "  batch_size: 8", $"  max_steps: {steps}", "  scheduler: constant", "  learning_rate: 1.0e-3",
            "output:", $"  dir: {outDir}", "  save_steps: 2", "  tensorboard: false", output, ""));
        return path;
    }

    private const string Push = "  push_to_hub: true\n  hub_model_id: org/run\n  hub_strategy: ";

    [Fact]
    public void TheLastCheckpointGoesToTheHubAndAFreshMachineResumesFromIt()
    {
        using var hub = new MockHub();
        string dir = TestPaths.NewTempDir();
        string first = Path.Combine(dir, "machine-a"), second = Path.Combine(dir, "machine-b"), whole = Path.Combine(dir, "uninterrupted");
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint, MockHub.Token);
        var a = SkaldProcess.RunWith(dir, env, "train", "--config", Config(dir, first, 2, Push + "checkpoint"));
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.Contains("hub: pushed step 2", a.Stderr);
        Assert.Contains(hub.Commits, c => c.Summary == "Training in progress, step 2");
        var stored = hub.FilesOf("org/run");
        string local = Path.Combine(first, "checkpoints", "step-2");
        foreach (var file in new[] { "model.safetensors", "optimizer.safetensors", "trainer_state.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(local, file)), stored["last-checkpoint/" + file]);
        Assert.Contains("model.safetensors", stored.Keys); // the final model at the root, as before

        // Another machine, same settings, more steps: it fetches step 2 and trains on from there.
        var b = SkaldProcess.RunWith(dir, env, "train", "--config", Config(dir, second, 4, Push + "checkpoint"));
        Assert.True(b.ExitCode == 0, b.Stderr);
        Assert.Contains("fetched org/run/last-checkpoint (step 2) to resume from", b.Stderr);
        var c = SkaldProcess.RunWith(dir, env, "train", "--config", Config(dir, whole, 4, ""));
        Assert.True(c.ExitCode == 0, c.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "final", "model.safetensors")), File.ReadAllBytes(Path.Combine(second, "final", "model.safetensors")));
    }

    [Fact]
    public void AllCheckpointsKeepTheirOwnFoldersAndMisusesStopBeforeTraining()
    {
        using var hub = new MockHub();
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "run");
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint, MockHub.Token);
        var r = SkaldProcess.RunWith(dir, env, "train", "--config", Config(dir, outDir, 4, Push + "all_checkpoints"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var stored = hub.FilesOf("org/run");
        Assert.Contains("checkpoints/step-2/trainer_state.json", stored.Keys);
        // Step 4's checkpoint is pushed unless step 2's was still uploading when it was written (then the log says so).
        Assert.True(stored.ContainsKey("checkpoints/step-4/trainer_state.json") || r.Stderr.Contains("step 4 is not pushed", StringComparison.Ordinal), r.Stderr);
        Assert.DoesNotContain(stored.Keys, k => k.StartsWith("last-checkpoint/", StringComparison.Ordinal));

        var noPush = SkaldProcess.RunWith(dir, env, "train", "--config", Config(dir, Path.Combine(dir, "x"), 2, "  hub_strategy: checkpoint"));
        SkaldProcess.AssertUserError(noPush, 1, "output.hub_strategy", "push_to_hub");
        var noSaves = SkaldProcess.RunWith(dir, env, "train", "--config",
            Config(dir, Path.Combine(dir, "y"), 2, Push + "checkpoint"), "--set", "output.save_steps=0");
        SkaldProcess.AssertUserError(noSaves, 1, "output.save_steps 0");
        var unknown = SkaldProcess.RunWith(dir, env, "train", "--config", Config(dir, Path.Combine(dir, "z"), 2, Push + "sometimes"));
        SkaldProcess.AssertUserError(unknown, 1, "hub_strategy");
    }

    [Fact]
    public void ByDefaultTheModelAtEachCheckpointIsPushedAsTransformersDoes()
    {
        using var hub = new MockHub();
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "run");
        var r = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint, MockHub.Token), "train", "--config", Config(dir, outDir, 2, "  push_to_hub: true\n  hub_model_id: org/run"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var commits = hub.Commits.ToList();
        // Two steps: the model pushed at step 2 is the final model, card and all, so the final push has nothing to commit.
        Assert.Equal(["Training in progress, step 2"], commits.Select(c => c.Summary));
        Assert.Contains("nothing had changed", r.Stderr);
        Assert.Contains(commits[0].Lines, l => l.Path == "model.safetensors");
        Assert.Contains(commits[0].Lines, l => l.Path == "README.md");
        Assert.DoesNotContain(commits[0].Lines, l => l.Path.StartsWith("last-checkpoint/", StringComparison.Ordinal));
        var stored = hub.FilesOf("org/run");
        Assert.Equal(File.ReadAllBytes(Path.Combine(outDir, "final", "model.safetensors")), stored["model.safetensors"]);
    }
}
