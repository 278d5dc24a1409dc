using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald generate</c> on the tiny random decoder fixtures: token ids as given equal the PyTorch reference
/// (fixtures/models/make_generate.py), prompts are tokenized, rows keep input order, the output is written, tokens/s
/// are reported, and bad input is one line naming the row.
/// </summary>
public sealed class GenerateCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("decoder-qwen2");

    private static (string Dir, string Input, string Output) Files(string rows)
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, rows);
        return (dir, input, Path.Combine(dir, "out.jsonl"));
    }

    [Fact]
    public void GreedyIdsEqualThePyTorchReferenceInInputOrder()
    {
        // expected_generate.jsonl's batch case: three prompts of 7, 3 and 10 ids, 12 greedy tokens each (eos never
        // produced: the reference does not stop at it, so it must not appear before the 12th token).
        using var doc = JsonDocument.Parse(File.ReadLines(Path.Combine(Model, "expected_generate.jsonl")).ElementAt(1));
        var prompts = doc.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetRawText()).ToArray();
        var expected = doc.RootElement.GetProperty("generated").EnumerateArray()
            .Select(g => g.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        Assert.All(expected, e => Assert.DoesNotContain(286, e[..^1]));
        var (_, input, output) = Files(string.Concat(prompts.Select(p => $"{{\"ids\": {p}}}\n")) + "{\"prompt\": \"hej då\"}\n");
        var r = InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "12",
            "--batch-size", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("tokens/s", r.Stderr);
        var lines = File.ReadAllLines(output);
        Assert.Equal(4, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            using var row = JsonDocument.Parse(lines[i]);
            var ids = row.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            int eosAt = Array.IndexOf(expected[i], 286);
            Assert.Equal(eosAt >= 0 ? expected[i][..(eosAt + 1)] : expected[i], ids);
            Assert.Equal(eosAt >= 0 ? "eos" : "length", row.RootElement.GetProperty("finish_reason").GetString());
            Assert.Equal(JsonValueKind.String, row.RootElement.GetProperty("text").ValueKind);
        }
        using var text = JsonDocument.Parse(lines[3]);
        Assert.NotEmpty(text.RootElement.GetProperty("ids").EnumerateArray());
    }

    [Fact]
    public void AShortPromptBatchedBesideOneNearTheContextGetsItsOwnRoom()
    {
        // a row's room is the context less its own prompt, not what its batch's longest prompt leaves: the short prompt
        // gets the 8 tokens the PyTorch reference gives it alone (expected_generate.jsonl's single case), not 1
        using var doc = JsonDocument.Parse(File.ReadLines(Path.Combine(Model, "expected_generate.jsonl")).First());
        string shortPrompt = doc.RootElement.GetProperty("prompts")[0].GetRawText();
        var expected = doc.RootElement.GetProperty("generated")[0].EnumerateArray().Select(x => x.GetInt32()).Take(8).ToArray();
        Assert.DoesNotContain(286, expected); // eos: the reference does not stop at it
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "config.json")));
        int context = config.RootElement.GetProperty("max_position_embeddings").GetInt32();
        var longPrompt = Enumerable.Range(0, context - 1).Select(i => 1 + i % 200); // leaves 1 token
        var (_, input, output) = Files($"{{\"ids\": {shortPrompt}}}\n{{\"ids\": [{string.Join(", ", longPrompt)}]}}\n");
        var r = InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "8",
            "--batch-size", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(expected, rows[0].GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal("length", rows[0].GetProperty("finish_reason").GetString());
        Assert.Equal(1, rows[1].GetProperty("ids").GetArrayLength());
        Assert.Equal("length", rows[1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void QuantizeInt8GeneratesEveryRowWithInt8Weights()
    {
        // the int8 numerics are Int8GenerationTests'; here the option reaches the generator and every row is written
        var (_, input, output) = Files("{\"ids\": [5, 9, 13]}\n{\"prompt\": \"hej då\"}\n{\"ids\": [200, 7]}\n");
        var r = InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "5", "--quantize", "int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("ids").GetArrayLength()).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.All(rows, n => Assert.InRange(n, 1, 5));
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) Assert.Contains("--quantize int8: this CPU has neither", r.Stderr);
        else Assert.DoesNotContain("--quantize", r.Stderr);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output, "--quantize", "int4"), 2, "--quantize");
    }

    [Fact]
    public void SeededSamplingIsReproducibleAndStreams()
    {
        var (_, input, output) = Files("{\"ids\": [3, 17, 40, 99]}\n{\"ids\": [8, 8]}\n");
        string[] args = ["generate", "--model", Model, "--input", input, "--output", output, "--temperature", "2",
            "--top-p", "0.9", "--top-k", "50", "--repetition-penalty", "1.1", "--seed", "7", "--max-new-tokens", "8", "--stream"];
        var a = InProcessSkald.Capture(args);
        Assert.True(a.ExitCode == 0, a.Stderr);
        string first = File.ReadAllText(output);
        Assert.False(string.IsNullOrWhiteSpace(a.Stdout)); // the streamed text
        var b = InProcessSkald.Capture(args);
        Assert.True(b.ExitCode == 0, b.Stderr);
        Assert.Equal(first, File.ReadAllText(output));
    }

    [Fact]
    public void BadInputIsOneLineNamingTheRow()
    {
        var (dir, input, output) = Files("{\"prompt\": \"a\"}\n{\"ids\": [" + string.Join(",", Enumerable.Repeat(5, 200)) + "]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output),
            1, "in.jsonl:2", "200 tokens", "context");
        Assert.False(File.Exists(output));
        File.WriteAllText(input, "{\"messages\": [{\"role\": \"user\", \"content\": \"hej\"}]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output),
            1, "in.jsonl:1", "messages input needs a chat template");
        File.WriteAllText(input, "{\"text\": \"hej\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output),
            1, "in.jsonl:1", "exactly one of");
        File.WriteAllText(input, "{\"ids\": [1, 99999]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output),
            1, "in.jsonl:1", "99999");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output,
            "--top-p", "1.5"), 2, "--top-p");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Path.Combine(dir, "nope"), "--input", input,
            "--output", output), 1, "nope");
    }

    [Fact]
    public void ALoneSurrogateInAMessageIsOneLineNamingTheRowAndField()
    {
        // valid JSON but not text: reading it as a string threw (exit 70) before the row and field were named
        var (_, input, output) = Files("{\"prompt\": \"a\"}\n{\"messages\": [{\"role\": \"user\", \"content\": \"hej \\ud800\"}]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output),
            1, "in.jsonl:2", "field \"content\"", "surrogate");
        File.WriteAllText(input, "{\"messages\": [{\"role\": \"\\udc00\", \"content\": \"hej\"}]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output),
            1, "in.jsonl:1", "field \"role\"", "surrogate");
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("--temperature", "1e300")]
    [InlineData("--top-p", "1e-50")]
    [InlineData("--repetition-penalty", "1e-50")]
    [InlineData("--repetition-penalty", "1e300")]
    public void ANumberOutsideFloatRangeIsAUsageError(string option, string value)
    {
        // the sampling options are floats: 1e300 became infinity and 1e-50 zero, which the generator refused (exit 70)
        var (_, input, output) = Files("{\"ids\": [5, 9]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "2",
            option, value), 2, $"option {option} must be", "within float range", $"'{value}'");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AdaptersNamingNoFolderAreAUsageError()
    {
        // "--adapters ," generated with the base model alone, as if no adapter had been asked for (merge refused it)
        var (dir, input, output) = Files("{\"ids\": [5, 9]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", Model, "--adapters", ",", "--input", input, "--output", output,
            "--max-new-tokens", "2"), 2, "option --adapters: no adapter folders given");
        Assert.False(File.Exists(output));
        string task = Path.Combine(dir, "task.jsonl");
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"Hei?\", \"reference\": \"Hei!\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", Model, "--adapters", " , ",
            "--max-new-tokens", "2"), 2, "option --adapters: no adapter folders given");
    }

    [Fact]
    public void TheOutputIsNeverAFileOfTheModelFolder()
    {
        // --output MODEL/tokenizer.json replaced the model's tokenizer with the generated rows
        var (dir, input, output) = Files("{\"ids\": [5, 9]}\n");
        string model = Path.Combine(dir, "model");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(Model)) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        string tokenizer = Path.Combine(model, "tokenizer.json"), before = File.ReadAllText(tokenizer);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", tokenizer, "--max-new-tokens", "2"),
            2, $"--output {tokenizer} is a file of the model folder {model}");
        Assert.Equal(before, File.ReadAllText(tokenizer));
        string task = Path.Combine(dir, "task.jsonl");
        File.WriteAllText(task, "{\"id\": \"a\", \"prompt\": \"Hei?\", \"reference\": \"Hei!\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--model", model, "--prompt-format", "plain",
            "--max-new-tokens", "2", "--save-predictions", Path.Combine(model, "config.json")), 2, "--save-predictions", "is a file of the model folder");
        // a new file inside the folder replaces nothing
        var r = InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", Path.Combine(model, "out.jsonl"), "--max-new-tokens", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(before, File.ReadAllText(tokenizer));
    }
}
