using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// A LoRA run on a model given as a hub id records that id as the adapter's base_model_name_or_path (as peft records a
/// model's name), not the cache folder it was read from; the adapter given alone as the model then finds its base
/// through the cache offline, and embeds as the base with the adapter does; an earlier adapter (model.adapters) given as
/// a hub id is recorded by its id too.
/// </summary>
public sealed class HubLoraBaseTests
{
    // A two-step LoRA run on skald-test/bert (more: extra lines of the model section) writing to outDir.
    private static string Config(string dir, string outDir, string more)
    {
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(data, string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\"}}\n")));
        string config = Path.Combine(dir, $"c{Guid.NewGuid():N}.yaml");
        File.WriteAllText(config, string.Join("\n",
            "model:", "  path: skald-test/bert", more, "data:", $"  train: {data}", "training:", "  batch_size: 4", "  max_steps: 2",
            "output:", $"  dir: {outDir}", "  tensorboard: false", "loss:", "  type: mnrl",
            "lora:", "  r: 2", "  alpha: 4", "  target_modules: [query, value]", ""));
        return config;
    }

    [Fact]
    public void AnEarlierAdapterGivenAsAHubIdIsRecordedByItsId()
    {
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        using var first = new MockHub(MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean")));
        var r = SkaldProcess.RunWith(dir, Env(home, first.Endpoint), "train", "--config", Config(dir, Path.Combine(dir, "one"), ""), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean")),
            MockRepo.FromFolder("skald-test/bert-lora", Path.Combine(dir, "one", "final")));
        string home2 = Path.Combine(dir, "hf2"), outDir = Path.Combine(dir, "two");
        r = SkaldProcess.RunWith(dir, Env(home2, hub.Endpoint), "train", "--config", Config(dir, outDir, "  adapters: [skald-test/bert-lora]"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string adapter = Path.Combine(outDir, "final");
        Assert.Contains("\"skald-test/bert-lora\"", File.ReadAllText(Path.Combine(adapter, "skald_base_adapters.json")));

        string texts = Path.Combine(dir, "t.txt");
        File.WriteAllText(texts, "Hvor ligger hus nummer 3?\n");
        string gone = $"http://127.0.0.1:{MockHub.FreePort()}";
        var alone = SkaldProcess.RunWith(dir, Env(home2, gone, offline: true), "encode", "--model", adapter, "--input", texts, "--output", Path.Combine(dir, "a.jsonl"));
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        var chain = SkaldProcess.RunWith(dir, Env(home2, gone, offline: true), "encode", "--model", "skald-test/bert", "--adapters", $"skald-test/bert-lora,{adapter}",
            "--input", texts, "--output", Path.Combine(dir, "b.jsonl"));
        Assert.True(chain.ExitCode == 0, chain.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "b.jsonl")), File.ReadAllText(Path.Combine(dir, "a.jsonl")));
    }

    [Fact]
    public void TheAdapterRecordsTheHubIdAndLoadsItsBaseFromTheCache()
    {
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean")));
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf"), outDir = Path.Combine(dir, "run");
        string config = Config(dir, outDir, "");
        var train = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "train", "--config", config, "--quiet");
        Assert.True(train.ExitCode == 0, train.Stderr);
        string adapter = Path.Combine(outDir, "final");
        Assert.Contains("\"base_model_name_or_path\": \"skald-test/bert\"", File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));

        string texts = Path.Combine(dir, "t.txt");
        File.WriteAllText(texts, "Hvor ligger hus nummer 3?\n");
        string gone = $"http://127.0.0.1:{MockHub.FreePort()}";
        var alone = SkaldProcess.RunWith(dir, Env(home, gone, offline: true), "encode", "--model", adapter, "--input", texts, "--output", Path.Combine(dir, "a.jsonl"));
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        var both = SkaldProcess.RunWith(dir, Env(home, gone, offline: true), "encode", "--model", "skald-test/bert", "--adapters", adapter,
            "--input", texts, "--output", Path.Combine(dir, "b.jsonl"));
        Assert.True(both.ExitCode == 0, both.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "b.jsonl")), File.ReadAllText(Path.Combine(dir, "a.jsonl")));
    }
}
