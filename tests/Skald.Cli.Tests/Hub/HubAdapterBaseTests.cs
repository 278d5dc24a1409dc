using System.Text;
using Skald.Models.Checkpoints;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// An adapter repository given as <c>--model</c> whose adapter_config.json names a hub id as its base: the base is
/// resolved as <c>--model ID</c> would be (downloaded from <see cref="MockHub"/> into the cache, then found there offline),
/// the embeddings are those of <c>--model ID --adapters ADAPTER</c>, and a base the cache lacks offline is one line.
/// </summary>
public sealed class HubAdapterBaseTests
{
    // A rank-2 LoRA on BERT's layer-0 query [32, 32] whose base is the hub id skald-test/bert.
    internal static Dictionary<string, byte[]> AdapterFiles(string dir)
    {
        string folder = Path.Combine(dir, "adapter-src");
        Directory.CreateDirectory(folder);
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Cos(s + i))];
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"),
            [new("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight", [2, 32], Values(1)),
                new("base_model.model.encoder.layer.0.attention.self.query.lora_B.weight", [32, 2], Values(2))]);
        return new Dictionary<string, byte[]>
        {
            ["adapter_config.json"] = Encoding.UTF8.GetBytes(
                """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": "skald-test/bert"}"""),
            ["adapter_model.safetensors"] = File.ReadAllBytes(Path.Combine(folder, "adapter_model.safetensors")),
        };
    }

    [Fact]
    public void AnAdapterRepositoryLoadsItsHubBase()
    {
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        var adapterFiles = AdapterFiles(dir);
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean")),
            new MockRepo("skald-test/bert-lora", adapterFiles));
        string texts = Path.Combine(dir, "t.txt");
        File.WriteAllText(texts, "Hei verden\nBiblioteket opnar klokka ni\n");
        string Encode(Dictionary<string, string> env, string name, params string[] model)
        {
            var r = SkaldProcess.RunWith(dir, env, ["encode", .. model, "--input", texts, "--output", Path.Combine(dir, name)]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllText(Path.Combine(dir, name));
        }
        string viaAdapter = Encode(Env(home, hub.Endpoint), "adapter.jsonl", "--model", "skald-test/bert-lora");
        string local = Path.Combine(dir, "bert-lora");
        Directory.CreateDirectory(local);
        foreach (var (name, bytes) in adapterFiles) File.WriteAllBytes(Path.Combine(local, name), bytes);
        Assert.Equal(Encode(Env(home, hub.Endpoint), "both.jsonl", "--model", "skald-test/bert", "--adapters", local), viaAdapter);
        Assert.NotEqual(Encode(Env(home, hub.Endpoint), "base.jsonl", "--model", "skald-test/bert"), viaAdapter);

        // offline, the hub gone: the base comes from the cache
        string gone = $"http://127.0.0.1:{MockHub.FreePort()}";
        Assert.Equal(viaAdapter, Encode(Env(home, gone, offline: true), "offline.jsonl", "--model", local));

        // offline with an empty cache: one line naming the file, the key and the value
        var missing = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "empty"), gone, offline: true),
            "encode", "--model", local, "--input", texts, "--output", Path.Combine(dir, "none.jsonl"));
        SkaldProcess.AssertUserError(missing, 1, $"{Path.Combine(local, "adapter_config.json")}: base_model_name_or_path \"skald-test/bert\"",
            "HF_HUB_OFFLINE", $"--model BASE --adapters {local}");
    }
}
