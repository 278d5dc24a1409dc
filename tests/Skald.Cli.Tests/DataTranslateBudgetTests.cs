namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald data translate --engine llm --max-requests N</c> is the run's budget: the pieces translated again when a
/// line's markers do not come back (a second call of the engine) count in it too. Before, that call had a budget of its
/// own, and a run of --max-requests 2 sent 4 requests.
/// </summary>
public sealed class DataTranslateBudgetTests
{
    [Fact]
    public void ThePiecesTranslatedAgainCountInTheSameBudget()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, ["{\"anchor\":\"Hei {name}, velkommen til Bergen.\"}", "{\"anchor\":\"Takk {name}, vi ses i Oslo.\"}"]);
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: t => t.Replace("⟦0⟧", "")); // the markers are lost
        var r = InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn", "--engine", "llm",
            "--llm", server.Url, "--llm-model", "fake", "--concurrency", "1", "--max-requests", "2", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY", "--quiet");
        SkaldProcess.AssertUserError(r, 1, "request budget of 2 reached; run again (with a larger --max-requests)");
        Assert.Equal(2, server.Requests.Count); // the two lines; none of their pieces
        Assert.False(File.Exists(output));
    }
}
