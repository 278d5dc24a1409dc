using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// configs/instruction-study.yaml through the real CLI: translate Bokmål Alpaca rows into Swedish through an LLM (a
/// local fake OpenAI chat endpoint), SFT with LoRA on a tiny random Qwen2 with Qwen2's chat template, greedy answers
/// from the base and the fine-tuned model, and a report with ROUGE-L, BERTScore and the LLM judge (the same endpoint).
/// </summary>
public sealed class InstructionStudyPipelineTests
{
    // A fake translator: a few Bokmål words to Swedish, with a marker so the test sees the rows went through it.
    private static readonly (string Nb, string Sv)[] Words = [("Hva", "Vad"), ("hovedstaden", "huvudstaden"), ("er", "är"), ("Nevn", "Nämn"), ("og", "och")];

    private static string Translate(string nb) => "SV " + Words.Aggregate(nb, (t, w) => t.Replace(w.Nb, w.Sv, StringComparison.Ordinal));

    [Fact]
    public void TheStudyRunsTranslateSftAnswerAndEvaluate()
    {
        string recipe = Path.Combine(TestPaths.RepoRoot, "configs", "instruction-study.yaml");
        var sources = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "configs", "instruction-study", "alpaca-nb.jsonl"))
            .SelectMany(l => JsonDocument.Parse(l).RootElement.EnumerateObject().Select(p => p.Value.GetString()!))
            .Where(t => t.Length > 0).ToHashSet(StringComparer.Ordinal);
        int judged = 0;
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: passage =>
        {
            if (sources.Contains(passage)) return Translate(passage);
            Interlocked.Increment(ref judged);
            return "Rationale: The answer does not match the reference.\nScore: 3";
        });
        string model = ChatModelFolder.Create("decoder-qwen2"); // the tiny random Qwen2 with Qwen2's ChatML template
        string output = Path.Combine(TestPaths.NewTempDir(), "study");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", recipe, "--set", $"output={output}",
            "--set", $"translated.llm={server.Url}", "--set", $"report.judge={server.Url}",
            "--set", $"sft.model={model}", "--set", $"zero-shot.model={model}", "--set", $"fine-tuned.model={model}");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);

        // translate: every non-empty cell went through the endpoint
        var translated = File.ReadAllLines(Path.Combine(output, "translated.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(12, translated.Length);
        Assert.Equal(Translate("Hva er hovedstaden i Norge?"), translated[0].GetProperty("instruction").GetString());
        Assert.Equal("", translated[0].GetProperty("input").GetString());

        // SFT: a PEFT LoRA adapter; merged into the base, its greedy answers differ from the base model's
        Assert.True(File.Exists(Path.Combine(output, "sft", "adapter_model.safetensors")), string.Join(", ", Directory.GetFileSystemEntries(Path.Combine(output, "sft"))));
        string[] Answers(string stage) => [.. File.ReadAllLines(Path.Combine(output, stage + ".jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];
        var zeroShot = Answers("zero-shot");
        var fineTuned = Answers("fine-tuned");
        Assert.Equal(6, zeroShot.Length);
        Assert.NotEqual(zeroShot, fineTuned);

        // evaluate: both systems with the three metrics, per task and overall; the judge saw every answer
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        foreach (var system in new[] { "zero-shot", "fine-tuned" })
        {
            var overall = report.RootElement.GetProperty("means").GetProperty(system).GetProperty("overall");
            foreach (var metric in new[] { "rougeL_f", "bertscore_f", "judge" }) Assert.True(overall.TryGetProperty(metric, out _), $"{system} {metric}");
            Assert.Equal(3.0, overall.GetProperty("judge").GetDouble());
            Assert.True(report.RootElement.GetProperty("means").GetProperty(system).TryGetProperty("fakta", out _));
        }
        Assert.InRange(judged, 6, 12); // the judge cache answers a repeated (prompt, answer) once
        Assert.True(File.Exists(Path.Combine(output, "report.md")));
        Assert.Contains("stage 5/5: report", r.Stdout + r.Stderr);
    }
}
