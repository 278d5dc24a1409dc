using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>`skald evaluate --type generation`: ROUGE-L, BERTScore and a judge on the local fake endpoint, two systems, human preferences.</summary>
public sealed class EvaluateGenerationTests
{
    [Fact]
    public void ScoresTwoSystemsPerTaskAndOverallAndAgainstHumanPreferences()
    {
        string dir = TestPaths.NewTempDir();
        string task = Path.Combine(dir, "task.jsonl"), good = Path.Combine(dir, "good.jsonl"), bad = Path.Combine(dir, "bad.jsonl");
        string prefs = Path.Combine(dir, "prefs.jsonl"), output = Path.Combine(dir, "report.json");
        File.WriteAllLines(task, [
            """{"id": "1", "prompt": "Vad är huvudstaden i Sverige?", "reference": "Huvudstaden är Stockholm.", "task": "fakta"}""",
            """{"id": "2", "prompt": "Nevn et bær.", "reference": "Blåbær er et bær.", "task": "fakta"}""",
            """{"id": "3", "prompt": "Skriv en hälsning.", "reference": "Hej och välkommen!", "task": "fritt"}""",
        ]);
        File.WriteAllLines(good, ["""{"id": "1", "text": "Huvudstaden är Stockholm."}""", """{"id": "2", "text": "Blåbær."}""", """{"id": "3", "text": "Hej, välkommen!"}"""]);
        File.WriteAllLines(bad, ["""{"id": "1", "text": "Oslo."}""", """{"id": "2", "text": "En gulrot."}""", """{"id": "3", "text": "Nej."}"""]);
        File.WriteAllLines(prefs, ["""{"id": "1", "a": "good", "b": "bad", "winner": "a"}""", """{"id": "2", "a": "bad", "b": "good", "winner": "good"}""",
            """{"id": "3", "a": "good", "b": "bad", "winner": "tie"}"""]);
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good,
            answer: a => a is "Oslo." or "En gulrot." or "Nej." ? "Rationale: Wrong.\nScore: 2" : "Rationale: Right.\nScore: 9");

        var r = InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", good, "--predictions", bad,
            "--metrics", "rougeL,bertscore,judge", "--bertscore-model", TestPaths.FixtureModel("plain-bert"), "--judge", server.Url + "#fake",
            "--preferences", prefs, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pairwise accuracy against 2 human preferences", r.Stdout + r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        var means = doc.RootElement.GetProperty("means");
        double M(string system, string group, string metric) => means.GetProperty(system).GetProperty(group).GetProperty(metric).GetDouble();
        Assert.Equal(1.0, doc.RootElement.GetProperty("rows").GetProperty("good").GetProperty("1").GetProperty("rougeL_f").GetDouble(), 12);
        Assert.True(M("good", "overall", "rougeL_f") > M("bad", "overall", "rougeL_f"));
        Assert.True(M("good", "overall", "bertscore_f") > M("bad", "overall", "bertscore_f"));
        Assert.Equal(9.0, M("good", "fakta", "judge"));
        Assert.Equal(2.0, M("bad", "overall", "judge"));
        Assert.NotEqual(M("good", "fakta", "rougeL_f"), M("good", "fakta", "rougeL_rouge_score_f")); // rouge_score splits "Blåbær" into bl, b, r
        Assert.Equal(1.0, doc.RootElement.GetProperty("pairwise_accuracy").GetProperty("judge").GetDouble());
        Assert.True(File.Exists(Path.Combine(dir, "task.judge.jsonl")));

        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task), 2, "--predictions");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", good, "--metrics", "bleu"), 2, "bleu");
        File.WriteAllLines(bad, ["""{"id": "1", "text": "Oslo."}"""]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--type", "generation", "--task", task, "--predictions", bad), 1, "no prediction for task row '2'");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--task", task, "--type", "sts"), 2, "--model");
    }
}
