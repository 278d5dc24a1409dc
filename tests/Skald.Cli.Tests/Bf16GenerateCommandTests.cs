using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald generate --quantize bf16</c> end to end: where the CPU has AVX512-BF16 the rows are the library's
/// bfloat16-only generator's (<see cref="TextGenerator.KeepBf16Only"/>), and <c>evaluate --type generation</c> and a
/// pipeline answer stage answer as it does; without the instruction (AVX-512 hidden from the runtime) one notice line
/// and float32's bytes.
/// </summary>
public sealed class Bf16GenerateCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("decoder-llama3");

    private static string Input(string dir)
    {
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"ids\": [5, 17, 3, 99, 42, 8, 11]}\n{\"ids\": [7, 7, 2]}\n{\"ids\": [250, 3, 3, 60]}\n");
        return input;
    }

    private static int[][] Ids(string file) =>
        [.. File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray())];

    [Fact]
    public void GenerateQuantizeBf16GivesTheLibrarysBf16OnlyTokens()
    {
        string dir = TestPaths.NewTempDir(), input = Input(dir), output = Path.Combine(dir, "bf16.jsonl");
        var r = InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "10",
            "--batch-size", "2", "--quantize", "bf16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (r.Stderr.Contains("no AVX512-BF16")) return; // float32 here: the fallback test covers it
        using var generator = TextGenerator.Load(Model);
        Assert.True(generator.KeepBf16Only() > 0);
        int[][] prompts = [[5, 17, 3, 99, 42, 8, 11], [7, 7, 2], [250, 3, 3, 60]];
        var expected = generator.Generate(prompts, new GenerationOptions { MaxNewTokens = 10 }, batchSize: 2);
        Assert.Equal(expected.Select(e => e.Ids).ToArray(), Ids(output));
    }

    [Fact]
    public void EvaluateAndAnAnswerStageTakeQuantizeBf16()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl"), saved = Path.Combine(dir, "saved.jsonl");
        File.WriteAllLines(task, new[] { "hei på deg", "god morgen" }.Select((q, i) => JsonSerializer.Serialize(new { id = $"r{i}", prompt = q, reference = "x" })));
        string[] Texts(string file) => [.. File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];
        var e = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", Model, "--max-new-tokens", "8",
            "--quantize", "bf16", "--prompt-format", "plain", "--save-predictions", saved, "--output", Path.Combine(dir, "report.json"));
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.DoesNotContain("no bfloat16 path", e.Stderr);
        string config = Path.Combine(dir, "study.yaml"), output = Path.Combine(dir, "out");
        File.WriteAllText(config, $"output: {output}\nstages:\n  - {{name: said, type: answer, model: '{Model}', task: '{task}', " +
            "max_new_tokens: 8, prompt_format: plain, quantize: bf16}\n");
        var p = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(p.ExitCode == 0, p.Stdout + p.Stderr);
        Assert.Equal(Texts(saved), Texts(Path.Combine(output, "said.jsonl")));
    }

    [Fact]
    public void WithoutAvx512Bf16GenerateFallsBackToFloat32WithOneNotice()
    {
        // DOTNET_EnableAVX512=0 (.NET 10's name) hides AVX-512 (and so AVX512-BF16) from the runtime: a CPU without the instruction.
        var noAvx512 = new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" };
        string dir = TestPaths.NewTempDir(), input = Input(dir), f32 = Path.Combine(dir, "f32.jsonl"), bf16 = Path.Combine(dir, "bf16.jsonl");
        var r = SkaldProcess.RunWith(null, noAvx512, "generate", "--model", Model, "--input", input, "--output", f32, "--max-new-tokens", "10");
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = SkaldProcess.RunWith(null, noAvx512, "generate", "--model", Model, "--input", input, "--output", bf16, "--max-new-tokens", "10", "--quantize", "bf16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Single(r.Stderr.Split('\n'), l => l.Contains("--quantize bf16: this CPU has no AVX512-BF16; generating in float32"));
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal(File.ReadAllText(f32), File.ReadAllText(bf16));
    }
}
