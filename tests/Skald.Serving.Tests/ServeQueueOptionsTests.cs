using System.Diagnostics;
using System.Text.RegularExpressions;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>skald serve --max-queued-inputs</c> and <c>--reranker-max-queue</c> set the limits the 503s compare (read back
/// from <c>/metrics</c>' limit gauges), and bad values or combinations are one line and exit 2 before anything loads.
/// </summary>
public sealed partial class ServeQueueOptionsTests
{
    [Fact]
    public async Task TheQueueOptionsSetTheLimits()
    {
        var psi = SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--port", "0", "--reranker", TestPaths.FixtureModel("ce-bert"),
            "--max-queued-inputs", "3000", "--reranker-max-queue", "7");
        using var process = Process.Start(psi)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            var match = Address().Match(line);
            Assert.True(match.Success, line);
            using var client = new HttpClient { BaseAddress = new Uri(match.Value), Timeout = TimeSpan.FromSeconds(30) };
            string metrics = await client.GetStringAsync("metrics");
            Assert.Equal(3000, Metric(metrics, "skald_pending_inputs_limit"));
            Assert.Equal(7, Metric(metrics, "skald_rerank_requests_limit"));
            process.Kill(true);
            await stdout;
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public void BadQueueOptionsAreOneLine()
    {
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", ModelDir, "--port", "0", "--reranker-max-queue", "5"), 2, "--reranker-max-queue needs --reranker");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", ModelDir, "--port", "0", "--max-queued-inputs", "100"), 2,
            "--max-queued-inputs 100 is below --max-inputs 2048");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", ModelDir, "--max-queued-inputs", "0"), 2, "--max-queued-inputs");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", ModelDir, "--reranker", "r", "--reranker-max-queue", "0"), 2, "--reranker-max-queue");
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/")]
    private static partial Regex Address();
}
