using Skald.Models.Checkpoints;

namespace Skald.Cli.Tests;

/// <summary>
/// The notice that an adapter's tensors of modules outside its target_modules are not merged reaches the CLI through
/// the library's notice hook: one line on stderr per load, and none with <c>--quiet</c> (the library writes nothing itself).
/// </summary>
public sealed class UntargetedAdapterNoticeCommandTests
{
    // A rank-2 LoRA on bert-cased-mean's layer-0 query and key [32, 32] whose target_modules names the query only.
    private static string Adapter(string dir)
    {
        string folder = Path.Combine(dir, "lora");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"]}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Sin(s + i))];
        var tensors = new List<TensorToWrite>();
        foreach (string module in new[] { "query", "key" })
        {
            string key = $"base_model.model.encoder.layer.0.attention.self.{module}";
            tensors.Add(new(key + ".lora_A.weight", [2, 32], Values(1)));
            tensors.Add(new(key + ".lora_B.weight", [32, 2], Values(2)));
        }
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        return folder;
    }

    [Fact]
    public void OneLinePerLoadAndNoneWhenQuiet()
    {
        string dir = TestPaths.NewTempDir();
        string adapter = Adapter(dir), texts = Path.Combine(dir, "t.txt");
        File.WriteAllText(texts, "Hei verden\n");
        string[] Encode(params string[] extra) =>
            ["encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--adapters", adapter, "--input", texts, "--output", Path.Combine(dir, "v.jsonl"), .. extra];

        var loud = InProcessSkald.Capture(Encode());
        Assert.True(loud.ExitCode == 0, loud.Stderr);
        var lines = loud.Stderr.Split('\n').Where(l => l.Contains("outside adapter_config.json's target_modules", StringComparison.Ordinal)).ToList();
        string line = Assert.Single(lines);
        Assert.Contains("encoder.layer.0.attention.self.key", line);

        var quiet = InProcessSkald.Capture(Encode("--quiet"));
        Assert.True(quiet.ExitCode == 0, quiet.Stderr);
        Assert.DoesNotContain("target_modules", quiet.Stderr);
    }
}
