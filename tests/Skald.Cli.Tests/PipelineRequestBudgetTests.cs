namespace Skald.Cli.Tests;

/// <summary>
/// <c>max_requests</c> of the LLM stages of <c>skald pipeline</c> (generate with generator llm, translate with engine
/// llm, evaluate_generation with the judge), the stage's <c>--max-requests</c>: a run of the stage sends exactly that
/// many requests (retries included) and stops with one line naming the key, the replies it paid for journaled; a bad
/// value is one line naming the file, line and key. Before, the key was refused as unknown and a stage had no budget.
/// </summary>
public sealed class PipelineRequestBudgetTests
{
    private static string Documents => SampleDocuments.Folder;

    private static string[] Generate(string url, params string[] more) =>
    [
        "  - name: gen", "    type: generate", $"    documents: [{Documents}]", "    generator: llm", $"    llm: {url}",
        "    llm_model: fake", "    chunk_tokens: 40", "    concurrency: 2", "    api_key_env: SKALD_TEST_NO_SUCH_KEY", .. more,
    ];

    [Fact]
    public void AGenerateStageSendsExactlyMaxRequestsAndTheNextRunGoesOn()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out"), gen = Path.Combine(output, "gen");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good);
        string config = PipelineFile.Write(dir, output, Generate(server.Url, "    max_requests: 3"));
        var r = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        SkaldProcess.AssertUserError(r, 1, "request budget of 3 reached; run again (with a larger gen.max_requests)");
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(3, File.ReadAllLines(gen + ".journal.jsonl").Length); // every reply paid for is kept
        Assert.False(Directory.Exists(gen));

        var again = InProcessSkald.Capture("pipeline", "--config", config, "--set", "gen.max_requests=1000");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(File.ReadAllLines(Path.Combine(gen, "corpus.jsonl")).Length, server.Requests.Count); // each chunk asked once in all
    }

    [Fact]
    public void ATranslateStageCountsThePiecesTranslatedAgainInTheSameBudget()
    {
        // The markers of {name} do not come back, so the stage translates the pieces around them in a second call; that
        // call had a budget of its own, and a stage of max_requests 2 sent 4 requests.
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out"), input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, ["{\"anchor\":\"Hei {name}, velkommen til Bergen.\"}", "{\"anchor\":\"Takk {name}, vi ses i Oslo.\"}"]);
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: t => t.Replace("⟦0⟧", ""));
        string config = PipelineFile.Write(dir, output,
            "  - name: tr", "    type: translate", $"    data: {input}", "    from: nb", "    to: nn", "    engine: llm",
            $"    llm: {server.Url}", "    llm_model: fake", "    concurrency: 1", "    api_key_env: SKALD_TEST_NO_SUCH_KEY", "    max_requests: 2");
        var r = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        SkaldProcess.AssertUserError(r, 1, "request budget of 2 reached; run again (with a larger tr.max_requests)");
        Assert.Equal(2, server.Requests.Count);
        Assert.False(File.Exists(Path.Combine(output, "tr.jsonl")));
    }

    [Fact]
    public void AJudgedEvaluateStageSendsExactlyMaxRequests()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out"), task = Path.Combine(dir, "task.jsonl");
        File.WriteAllLines(task, Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"prompt\":\"Hva er {i} pluss {i}?\",\"reference\":\"{2 * i}\"}}"));
        string[] systems = ["first", "second"];
        foreach (var system in systems)
            File.WriteAllLines(Path.Combine(dir, system + ".jsonl"), Enumerable.Range(1, 4).Select(i => $"{{\"id\":\"{i}\",\"text\":\"{system} svarer {i}\"}}"));
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: _ => "Rationale: Wrong.\nScore: 3");
        string config = PipelineFile.Write(dir, output,
            "  - name: report", "    type: evaluate_generation", $"    task: {task}",
            $"    systems: [{string.Join(", ", systems.Select(s => Path.Combine(dir, s + ".jsonl")))}]", "    metrics: [rougeL, judge]",
            $"    judge: {server.Url}", "    judge_model: fake", "    api_key_env: SKALD_TEST_NO_SUCH_KEY", "    max_requests: 3");
        var r = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        SkaldProcess.AssertUserError(r, 1, "request budget of 3 reached; run again (with a larger report.max_requests)");
        Assert.Equal(3, server.Requests.Count); // of the 8 answers to judge
        Assert.False(File.Exists(Path.Combine(output, "report.json")));
    }

    [Theory]
    [InlineData("0", "must be at least 1, got 0")]
    [InlineData("many", "must be a whole number, got 'many'")]
    public void ABadMaxRequestsIsOneLineNamingTheFileLineAndKey(string value, string problem)
    {
        string dir = TestPaths.NewTempDir();
        var lines = Generate("http://127.0.0.1:9/v1", $"    max_requests: {value}");
        string config = PipelineFile.Write(dir, Path.Combine(dir, "out"), lines);
        int line = 2 + lines.Length; // output:, stages:, then the stage's lines, max_requests last
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", config), 1, $"{config}:{line}: gen.max_requests {problem}");
    }
}
