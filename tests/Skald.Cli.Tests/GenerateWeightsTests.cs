using System.Text.Json;

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
        var r = InProcessSkald.Capture(["generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "10",
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
        var r = InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", Path.Combine(dir, "x.jsonl"), "--weights", "bf8");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--weights", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void EvaluateAndAnAnswerStageTakeWeightsAsGenerateDoes()
    {
        // weights: bf16 holds a float32 checkpoint's matrices in bfloat16 (rounded; on these tiny fixtures the rounding
        // moves no greedy token) and answers as skald generate --weights bf16 does, in evaluate --type generation --model
        // and in a pipeline answer stage; a bad value is one line
        string model = ChatModelFolder.Create("decoder-llama3");
        var loaded = Skald.Models.Generation.TextGenerator.Load(model, null, Skald.Tensors.WeightPrecision.BFloat16);
        Assert.Contains(loaded.Decoder.Parameters, q => q.Precision == Skald.Tensors.WeightPrecision.BFloat16);
        string dir = TestPaths.NewTempDir();
        string task = Path.Combine(dir, "task.jsonl"), input = Path.Combine(dir, "in.jsonl"), generated = Path.Combine(dir, "bf16.jsonl");
        string[] prompts = ["Vad heter Sveriges huvudstad?", "Hvem skrev Peer Gynt?", "Skriv et dikt om havet."];
        File.WriteAllLines(task, prompts.Select((q, i) => JsonSerializer.Serialize(new { id = $"r{i}", prompt = q, reference = "x" })));
        File.WriteAllLines(input, prompts.Select(q => JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = q } } })));
        string?[] Texts(string file) => [.. File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString())];
        var g = InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", generated, "--max-new-tokens", "12", "--weights", "bf16");
        Assert.True(g.ExitCode == 0, g.Stderr);
        string saved = Path.Combine(dir, "saved.jsonl");
        var e = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", model, "--max-new-tokens", "12",
            "--weights", "bf16", "--save-predictions", saved, "--output", Path.Combine(dir, "report.json"));
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Equal(Texts(generated), Texts(saved));
        string config = Path.Combine(dir, "study.yaml"), output = Path.Combine(dir, "out");
        string Stage(string weights) =>
            $"output: {output}\nstages:\n  - {{name: said, type: answer, model: '{model}', task: '{task}', max_new_tokens: 12, weights: {weights}}}\n";
        File.WriteAllText(config, Stage("bf16"));
        var p = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(p.ExitCode == 0, p.Stdout + p.Stderr);
        Assert.Equal(Texts(generated), Texts(Path.Combine(output, "said.jsonl")));
        File.WriteAllText(config, Stage("bf8"));
        var bad = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("weights", bad.Stderr + bad.Stdout);
        Assert.DoesNotContain("   at ", bad.Stderr);
    }
}
