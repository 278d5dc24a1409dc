using Skald.Models.Checkpoints;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald merge</c>: a PEFT adapter (LoRA on q_proj, DoRA on k_proj of the tiny decoder, written here) merged into its
/// base and saved: the merged folder encodes as the base with <c>--adapters</c> does; bad input is one line.
/// </summary>
public sealed class MergeCommandTests
{
    private static string Adapter(string dir, bool dora)
    {
        string adapter = Path.Combine(dir, dora ? "dora" : "lora");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "use_dora": {{(dora ? "true" : "false")}}, "target_modules": ["q_proj", "k_proj"]}""");
        var rng = new Random(dora ? 2 : 1);
        float[] Values(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() - 0.5) * scale))];
        var tensors = new List<TensorToWrite>();
        foreach (var (module, outF) in new[] { ("q_proj", 64), ("k_proj", 32) })
        {
            string key = $"base_model.model.layers.0.self_attn.{module}";
            tensors.Add(new TensorToWrite(key + ".lora_A.weight", [2, 64], Values(2 * 64, 1)));
            tensors.Add(new TensorToWrite(key + ".lora_B.weight", [outF, 2], Values(outF * 2, 1)));
            if (dora) tensors.Add(new TensorToWrite(key + ".lora_magnitude_vector", [outF], Values(outF, 0.2).Select(v => v + 1f).ToArray()));
        }
        SafeTensorsWriter.Write(Path.Combine(adapter, "adapter_model.safetensors"), tensors);
        return adapter;
    }

    private static float[][] Encode(string dir, string model, string? adapters, string name)
    {
        string input = Path.Combine(dir, "in.txt"), output = Path.Combine(dir, name + ".jsonl");
        File.WriteAllText(input, "Toget går klokka sju.\nKor mykje kostar billetten?\n");
        string[] args = adapters is null ? ["encode", "--model", model, "--input", input, "--output", output]
            : ["encode", "--model", model, "--adapters", adapters, "--input", input, "--output", output];
        var r = InProcessSkald.Capture(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return [.. File.ReadAllLines(output).Select(l => System.Text.Json.JsonSerializer.Deserialize<float[]>(l)!)];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheMergedFolderEncodesAsTheBaseWithTheAdapter(bool dora)
    {
        string dir = TestPaths.NewTempDir(), model = TestPaths.FixtureModel("decoder-qwen2"), adapter = Adapter(dir, dora);
        string merged = Path.Combine(dir, "merged");
        var r = InProcessSkald.Capture("merge", "--model", model, "--adapters", adapter, "--output", merged);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"wrote {merged}: ", r.Stderr, StringComparison.Ordinal); // the output is named as written, the base as left alone
        Assert.Contains("with 1 adapter merged (the base is unchanged)", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(merged, "adapter_config.json")));
        var viaAdapter = Encode(dir, model, adapter, "adapter");
        var viaMerged = Encode(dir, merged, null, "merged");
        var plain = Encode(dir, model, null, "plain");
        for (int i = 0; i < viaAdapter.Length; i++)
        {
            for (int d = 0; d < viaAdapter[i].Length; d++)
                Assert.True(Math.Abs(viaAdapter[i][d] - viaMerged[i][d]) <= 1e-5, $"text {i}, dimension {d}: {viaAdapter[i][d]} vs {viaMerged[i][d]}");
        }
        Assert.NotEqual(plain[0], viaMerged[0]);
    }

    [Fact]
    public void BadInputIsOneLine()
    {
        string dir = TestPaths.NewTempDir(), model = TestPaths.FixtureModel("decoder-qwen2");
        string occupied = Path.Combine(dir, "occupied");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "x.txt"), "x");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", model, "--adapters", Adapter(dir, false), "--output", occupied), 1,
            "exists and is not empty");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", model, "--adapters", Path.Combine(dir, "none"), "--output", Path.Combine(dir, "out")), 1,
            $"{Path.Combine(dir, "none")}: adapter folder not found");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        string notAnObject = Path.Combine(dir, "list");
        Directory.CreateDirectory(notAnObject);
        File.WriteAllText(Path.Combine(notAnObject, "adapter_config.json"), "[1, 2]");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", model, "--adapters", notAnObject, "--output", Path.Combine(dir, "out")), 1,
            "adapter_config.json: expected a JSON object, found array");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", model, "--adapters", ",", "--output", Path.Combine(dir, "out")), 2,
            "option --adapters: no adapter folders given");
        string wrongRank = Adapter(Path.Combine(dir, "rank"), false); // rank-2 tensors under r = 4
        File.WriteAllText(Path.Combine(wrongRank, "adapter_config.json"), """{"peft_type": "LORA", "r": 4, "lora_alpha": 4, "target_modules": ["q_proj", "k_proj"]}""");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", model, "--adapters", wrongRank, "--output", Path.Combine(dir, "out")), 1,
            $"{Path.Combine(wrongRank, "adapter_model.safetensors")}: layers.0.self_attn.k_proj has rank 2 in its tensors but adapter_config.json gives it rank 4");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        string file = Path.Combine(dir, "afile");
        File.WriteAllText(file, "x");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", model, "--adapters", Adapter(dir, false), "--output", Path.Combine(file, "x")), 1,
            $"{file} is a file, not a folder");
        // an adapter that is a file is named as one, in merge and in generate (not "adapter_config.json not found")
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", model, "--adapters", file, "--output", Path.Combine(dir, "out")), 1,
            $"{file}: is a file, expected a PEFT adapter folder");
        string prompts = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(prompts, "{\"ids\": [1, 2]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", model, "--adapters", file, "--input", prompts, "--output", Path.Combine(dir, "o.jsonl")), 1,
            $"{file}: is a file, expected a PEFT adapter folder");
    }

    [Theory] // one tensor outside the targets, and two (then nothing of the adapter is merged)
    [InlineData("q_proj", "1 adapter tensor belongs to a module outside adapter_config.json's target_modules (q_proj), " +
        "base_model.model.layers.0.self_attn.k_proj.lora_A.weight; peft does not load it, and it is not merged")]
    [InlineData("v_proj", "2 adapter tensors belong to modules outside adapter_config.json's target_modules (v_proj), " +
        "e.g. base_model.model.layers.0.self_attn.k_proj.lora_A.weight; peft does not load them, and they are not merged (nothing of this adapter is merged)")]
    public void TensorsOfModulesOutsideTargetModulesAreLeftOutInOneLine(string target, string notice)
    {
        string dir = TestPaths.NewTempDir(), model = TestPaths.FixtureModel("decoder-qwen2"), adapter = Adapter(dir, false);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["{{target}}"]}""");
        var r = InProcessSkald.Capture("merge", "--model", model, "--adapters", adapter, "--output", Path.Combine(dir, "merged"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"warning: {Path.Combine(adapter, "adapter_model.safetensors")}: {notice}", r.Stderr.Split('\n')[0]); // then merge's own summary line
    }
}
