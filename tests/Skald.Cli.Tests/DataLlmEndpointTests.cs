namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald data generate --generator llm</c> as a user meets a wrong address and a quick fake endpoint (servers on
/// 127.0.0.1 only, started here).
/// </summary>
public sealed class DataLlmEndpointTests
{
    private static string Documents => SampleDocuments.Folder;

    [Fact]
    public void ATypoedPortIsOneLineAtOnce()
    {
        // every attempt was refused and retried with backoff (1 min 32 s at the defaults) before the line came
        using var refused = new RefusedPort();
        int port = refused.Port;
        string output = Path.Combine(TestPaths.NewTempDir(), "out");
        var r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--generator", "llm",
            "--llm", $"http://127.0.0.1:{port}/v1", "--llm-model", "m", "--max-retries", "3", "--retry-delay", "4");
        SkaldProcess.AssertUserError(r, 1, $"http://127.0.0.1:{port}/v1: connection refused: nothing listens on 127.0.0.1:{port}");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void AServerClosingEachConnectionCountsNoRetries()
    {
        using var server = new ClosingChatServer();
        string output = Path.Combine(TestPaths.NewTempDir(), "out");
        var r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--generator", "llm",
            "--llm", server.Url, "--llm-model", "fake", "--chunk-tokens", "40", "--retry-delay", "0.5");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string last = r.Stdout.Split('\n').Last(l => l.StartsWith("llm: ", StringComparison.Ordinal) && l.Contains(" requests, "));
        // under load this failed twice: a request waiting for a connection of its own was handed the one the first answer
        // left closing ("1 retry (1 connection closed before an answer)"; EndpointHandlerTests makes that order certain).
        // Each request now goes on a connection of its own until the server is known to keep them, none handed on.
        string said = $"server: {server.Requests} requests on {server.Connections} connections; last progress line: {last}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";
        Assert.True(last.Contains($" {server.Requests} requests, no retries, ETA", StringComparison.Ordinal), said);
        Assert.True(server.Connections == server.Requests, said);
        Assert.True(server.Requests >= 4, last);
    }
}
