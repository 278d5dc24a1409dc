using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --type generation --model DIR</c>: the decoder answers the task's prompts (greedy, written as SFT
/// writes them) and is scored like a --predictions system; a prompt longer than the context is one line.
/// </summary>
public sealed class EvaluateGenerationModelTests
{
    [Fact]
    public void TheModelAnswersGreedilyAndIsScoredAsAPredictionsFileWouldBe()
    {
        string model = ChatModelFolder.Create("decoder-qwen2"); // with Qwen2's ChatML template
        string dir = TestPaths.NewTempDir();
        string task = Path.Combine(dir, "task.jsonl"), saved = Path.Combine(dir, "answers.jsonl"), report = Path.Combine(dir, "report.json");
        File.WriteAllLines(task, [
            """{"id": "a", "prompt": "Vad heter Sveriges huvudstad?", "reference": "Stockholm."}""",
            """{"id": "b", "prompt": "Hej! Översätt «god morgon» till engelska.", "reference": "Good morning."}""",
        ]);
        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", model, "--max-new-tokens", "6",
            "--save-predictions", saved, "--output", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("tokens/s", r.Stderr);

        // the answers are `skald generate`'s greedy continuations of the prompts as one user turn in the chat template
        string input = Path.Combine(dir, "in.jsonl"), generated = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, [
            """{"messages": [{"role": "user", "content": "Vad heter Sveriges huvudstad?"}]}""",
            """{"messages": [{"role": "user", "content": "Hej! Översätt «god morgon» till engelska."}]}""",
        ]);
        var g = InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", generated, "--max-new-tokens", "6");
        Assert.True(g.ExitCode == 0, g.Stderr);
        var expected = File.ReadAllLines(generated).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()).ToArray();
        var answers = File.ReadAllLines(saved).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["a", "b"], answers.Select(a => a.GetProperty("id").GetString()));
        Assert.Equal(expected, answers.Select(a => a.GetProperty("text").GetString()));

        // and are scored exactly as the same answers given as a predictions file
        string fromFile = Path.Combine(dir, "report-file.json");
        var f = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", model.Split(Path.DirectorySeparatorChar)[^1] + "=" + saved,
            "--output", fromFile);
        Assert.True(f.ExitCode == 0, f.Stderr);
        using var a1 = JsonDocument.Parse(File.ReadAllText(report));
        using var a2 = JsonDocument.Parse(File.ReadAllText(fromFile));
        Assert.Equal(a2.RootElement.GetProperty("means").GetRawText(), a1.RootElement.GetProperty("means").GetRawText());
        Assert.True(a1.RootElement.GetProperty("means").TryGetProperty("decoder-qwen2", out _));
    }

    [Fact]
    public void QuantizeInt8ReachesTheGeneratorInEvaluateAndInAnAnswerStage()
    {
        // evaluate --quantize int8 and an answer stage with quantize: int8 answer as skald generate --quantize int8 does,
        // and (on this tiny Llama 3, whose logits are close together) not as float32 does
        string model = ChatModelFolder.Create("decoder-llama3");
        string dir = TestPaths.NewTempDir();
        string task = Path.Combine(dir, "task.jsonl"), saved = Path.Combine(dir, "answers.jsonl");
        string[] prompts = ["Vad heter Sveriges huvudstad?", "Hej! Översätt «god morgon» till engelska.", "Hvem skrev Peer Gynt?", "Hvad er klokken?",
            "Skriv et dikt om havet.", "Hvorfor er himmelen blå?"];
        File.WriteAllLines(task, prompts.Select((q, i) => JsonSerializer.Serialize(new { id = $"r{i}", prompt = q, reference = "x" })));
        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", model, "--max-new-tokens", "12",
            "--save-predictions", saved, "--quantize", "int8", "--output", Path.Combine(dir, "report.json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        string input = Path.Combine(dir, "in.jsonl"), generated = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, prompts.Select(q => JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = q } } })));
        var g = InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", generated, "--max-new-tokens", "12", "--quantize", "int8");
        Assert.True(g.ExitCode == 0, g.Stderr);
        string?[] Texts(string file) => [.. File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString())];
        var expected = Texts(generated);
        Assert.Equal(expected, Texts(saved));
        var f = InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", generated, "--max-new-tokens", "12");
        Assert.True(f.ExitCode == 0, f.Stderr);
        // float32's answers differ, so the equalities above show int8 was used: with the 8-bit vpdpbusd tiles (AVX-VNNI,
        // AVX512-VNNI); the 7-bit AVX2 / AVX-512BW tiles happen to choose float32's tokens on this fixture, and a CPU
        // without int8 kernels generates in float32 with a notice
        if (Skald.Tensors.Quantization.Int8Gemm.Best is { } kernel && Skald.Tensors.Quantization.Int8Gemm.WeightLevels(kernel) == 127)
            Assert.NotEqual(expected, Texts(generated));

        string config = Path.Combine(dir, "study.yaml"), output = Path.Combine(dir, "out");
        File.WriteAllText(config, $"output: {output}\nstages:\n  - {{name: said, type: answer, model: '{model}', task: '{task}', max_new_tokens: 12, quantize: int8}}\n");
        var p = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(p.ExitCode == 0, p.Stdout + p.Stderr);
        Assert.Equal(expected, Texts(Path.Combine(output, "said.jsonl")));
    }

    [Fact]
    public void BadInputIsOneLine()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl");
        File.WriteAllLines(task, ["{\"id\": \"long\", \"prompt\": \"" + string.Concat(Enumerable.Repeat("lång text ", 60)) + "\", \"reference\": \"x\"}"]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", TestPaths.FixtureModel("decoder-qwen2")),
            1, "task.jsonl: row 'long'", "context (max_position_embeddings) is 128");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", TestPaths.FixtureModel("decoder-qwen2"),
            "--prompt-format", "chat_template"), 1, "has no chat template");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", task,
            "--save-predictions", Path.Combine(dir, "x.jsonl")), 2, "--model only");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", task,
            "--quantize", "int8"), 2, "--model only");
    }
}
