namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald generate --weights</c>: a BF16 checkpoint held in bfloat16 decodes exactly as its float32 widening does
/// (the few-row products widen the weight rows in registers, the prefill's packed products as they pack), so the
/// output rows are the same bytes, at half the weight memory.
/// </summary>
public sealed class GenerateWeightsTests
{
    private static readonly string Model = TestPaths.FixtureModel("decoder-llama3-bf16");

    private static string Generate(string dir, string input, string name, params string[] extra)
    {
        string output = Path.Combine(dir, name);
        var r = SkaldProcess.Run(["generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "10",
            "--batch-size", "2", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return File.ReadAllText(output);
    }

    [Fact]
    public void Bf16WeightsGiveTheFloat32OutputOfABf16Checkpoint()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"ids\": [5, 17, 3, 99, 42, 8, 11]}\n{\"ids\": [7, 7, 2]}\n{\"prompt\": \"hei på deg\"}\n");
        string f32 = Generate(dir, input, "f32.jsonl", "--weights", "f32");
        Assert.Equal(3, f32.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(f32, Generate(dir, input, "bf16.jsonl", "--weights", "bf16"));
        Assert.Equal(f32, Generate(dir, input, "default.jsonl")); // f32 is the default
    }

    [Fact]
    public void Bf16WeightsAlsoQuantizeToInt8AndABadValueIsOneLine()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"ids\": [5, 17, 3]}\n");
        Assert.Single(Generate(dir, input, "int8.jsonl", "--weights", "bf16", "--quantize", "int8").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var r = SkaldProcess.Run("generate", "--model", Model, "--input", input, "--output", Path.Combine(dir, "x.jsonl"), "--weights", "bf8");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--weights", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
