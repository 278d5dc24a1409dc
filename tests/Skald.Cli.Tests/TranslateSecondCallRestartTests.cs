namespace Skald.Cli.Tests;

/// <summary>
/// A translation whose markers do not come back is translated again in pieces, in a second call of the engine. That
/// call built an LLM client of its own, which did not know the endpoint had answered the first: a server restarting
/// between the calls (its port refusing connections for a moment) was taken for a wrong address, and the run stopped
/// with "connection refused: nothing listens ..." after every line had been translated once. One client now serves the
/// whole run (<c>skald data translate</c> and a pipeline's translate stage alike), so the refused connection is retried
/// until the server is back. Every server is on 127.0.0.1 and started by the test.
/// </summary>
public sealed class TranslateSecondCallRestartTests
{
    // The line's {name} becomes a marker that the server's answer (numbered questions) drops, so the pieces around it
    // go in a second call; the port is taken away before the first answer and given back only once a connection to it
    // was refused (seen by <see cref="RefusedConnections"/>), so the second call's first connection is refused, however
    // slow the run is.
    private static ClosingChatServer RestartingServer(out RefusedConnections refused)
    {
        ClosingChatServer? server = null;
        RefusedConnections? watch = null;
        server = new ClosingChatServer
        {
            BeforeAnswer = n =>
            {
                if (n != 1) return;
                server!.StopListening();
                _ = watch!.First.ContinueWith(_ => server.Listen(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            },
        };
        watch = new RefusedConnections(server.Port);
        refused = watch;
        return server;
    }

    private static string Input(string dir)
    {
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, ["{\"anchor\":\"Hei {name}, velkommen til Bergen.\"}"]);
        return input;
    }

    [Fact]
    public void DataTranslateWaitsForAServerRestartingBeforeItsSecondCall()
    {
        string dir = TestPaths.NewTempDir(), input = Input(dir), output = Path.Combine(dir, "out.jsonl");
        using var server = RestartingServer(out var refused);
        using var _ = refused;
        var r = InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn", "--engine", "llm",
            "--llm", server.Url, "--llm-model", "fake", "--concurrency", "1", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, server.Requests); // the line, then its two pieces
        Assert.True(refused.Count >= 1, "no connection was refused: the run never met the restart");
        Assert.Contains("connection refused)", r.Stdout + r.Stderr); // the run's retry tally counts the refused connection
        Assert.Single(File.ReadAllLines(output));
    }

    [Fact]
    public void ATranslateStageWaitsForAServerRestartingBeforeItsSecondCall()
    {
        string dir = TestPaths.NewTempDir(), input = Input(dir), output = Path.Combine(dir, "out");
        using var server = RestartingServer(out var refused);
        using var _ = refused;
        string config = PipelineFile.Write(dir, output,
            "  - name: tr", "    type: translate", $"    data: {input}", "    from: nb", "    to: nn", "    engine: llm",
            $"    llm: {server.Url}", "    llm_model: fake", "    concurrency: 1", "    api_key_env: SKALD_TEST_NO_SUCH_KEY");
        var r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, server.Requests);
        Assert.True(refused.Count >= 1, "no connection was refused: the run never met the restart");
        Assert.Contains("connection refused)", r.Stdout + r.Stderr);
        Assert.Single(File.ReadAllLines(Path.Combine(output, "tr.jsonl")));
    }
}
