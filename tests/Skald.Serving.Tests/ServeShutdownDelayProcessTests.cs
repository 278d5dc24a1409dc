using System.Diagnostics;
using System.Text.Json;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>skald serve --shutdown-delay SECONDS</c> in the real process: after SIGTERM (as Kubernetes sends it) the server
/// answers <c>/health</c> 503 "draining" on new connections and still embeds for the delay, refuses connections only
/// after it, and exits 0; a negative delay is a usage error.
/// </summary>
public sealed class ServeShutdownDelayProcessTests
{
    [Fact]
    public async Task AfterSigtermTheServerDrainsForTheDelayThenStops()
    {
        var delay = TimeSpan.FromSeconds(8);
        var psi = SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--port", "0", "--shutdown-delay", "8");
        using var process = Process.Start(psi)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            var match = ServeProcessTests.Address().Match(line);
            Assert.True(match.Success, line);
            var address = new Uri(match.Value);

            var watch = Stopwatch.StartNew();
            Assert.Equal(0, ServeProcessTests.kill(process.Id, 15));
            int status = 0;
            while (status != 503 && watch.Elapsed < delay) // the signal reaches the process's lifetime shortly after kill
            {
                using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
                using var health = await client.GetAsync("health");
                status = (int)health.StatusCode;
                if (status == 503)
                    Assert.Equal("draining", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
                else await Task.Delay(50);
            }
            Assert.Equal(503, status);
            using (var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) })
            {
                var (embedded, body) = await PostAsync(client, Json(new { input = Texts[..2], model = "m" }));
                Assert.Equal(200, embedded); // still served: the balancer may send a few more before it takes the server out
                Assert.Equal(2, Embeddings(body).Length);
            }
            Assert.True(watch.Elapsed < delay, $"the checks took {watch.Elapsed}, past the {delay} delay: the test proves nothing on this machine");

            Assert.True(await ServeProcessTests.RefusedWithin(address, watch, TimeSpan.FromSeconds(60)), "the server still took new connections 60 s after SIGTERM");
            Assert.True(watch.Elapsed >= delay - TimeSpan.FromMilliseconds(100), $"connections were refused {watch.Elapsed} after SIGTERM, before the {delay} delay");
            Assert.True(process.WaitForExit(90_000), "skald serve did not stop after the delay");
            Assert.Equal(0, process.ExitCode);
            string err = await process.StandardError.ReadToEndAsync();
            Assert.Contains("stopping: /health answers 503 and requests are still served for 8 s (--shutdown-delay)", err);
            Assert.DoesNotContain("   at ", err);
            Assert.Equal("", (await stdout).Trim());
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public void ANegativeDelayIsAUsageError()
    {
        var r = SkaldProcess.Run("serve", "--model", ModelDir, "--shutdown-delay", "-1");
        SkaldProcess.AssertUserError(r, 2, "--shutdown-delay");
    }
}
