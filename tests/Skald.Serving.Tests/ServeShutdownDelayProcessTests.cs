using System.Diagnostics;
using System.Text.Json;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>skald serve --shutdown-delay SECONDS</c> in the real process: after SIGTERM (as Kubernetes sends it) the server
/// answers <c>/health</c> 503 "draining" on new connections and still embeds during the delay, refuses connections
/// only once the delay has passed, and exits 0; a second signal during the delay stops it at once; a negative delay is a
/// usage error. What is checked within the delay is checked within a long one (300 s), which only a second signal ends,
/// so a loaded machine's slowness cannot make the delay run out under the checks; that the server stops of itself, not
/// before the delay, is checked with a short one, from before the signal was sent, which load can only make later.
/// </summary>
public sealed class ServeShutdownDelayProcessTests
{
    [Fact]
    public async Task AfterSigtermTheServerStopsOfItselfOnceTheDelayHasPassed()
    {
        var delay = TimeSpan.FromSeconds(2);
        using var process = Process.Start(SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--port", "0", "--shutdown-delay", "2"))!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var address = await AddressOf(process);
            var watch = Stopwatch.StartNew(); // before the signal: the server's delay starts later, never earlier
            Assert.Equal(0, ServeProcessTests.kill(process.Id, 15));
            Assert.True(await ServeProcessTests.RefusedWithin(address, watch, TimeSpan.FromSeconds(90)), "the server still took new connections 90 s after SIGTERM");
            Assert.True(watch.Elapsed >= delay - TimeSpan.FromMilliseconds(100), $"connections were refused {watch.Elapsed} after SIGTERM, before the {delay} delay");
            Assert.True(process.WaitForExit(90_000), "skald serve did not stop after the delay");
            Assert.Equal(0, process.ExitCode);
            string err = await process.StandardError.ReadToEndAsync();
            Assert.Contains("stopping: /health answers 503 and requests are still served for 2 s (--shutdown-delay)", err);
            Assert.DoesNotContain("   at ", err);
            Assert.Equal("", (await stdout).Trim());
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public Task ASecondSigtermDuringTheDelayStopsAtOnce() => SecondSignalStopsAtOnce(15);

    [SigintFact]
    public Task ASecondCtrlCDuringTheDelayStopsAtOnce() => SecondSignalStopsAtOnce(2);

    // After the first signal the server drains (health 503 "draining") and still embeds; a second signal while it drains
    // ends the delay (it was swallowed: the console lifetime took it for another request to stop, and the server served
    // on for the whole delay).
    private static async Task SecondSignalStopsAtOnce(int signal)
    {
        var delay = TimeSpan.FromSeconds(300);
        using var process = Process.Start(SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--port", "0", "--shutdown-delay", "300"))!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            var address = await SignalledAndDraining(process, signal, watch, delay);
            using (var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) })
            {
                var (embedded, body) = await PostAsync(client, Json(new { input = Texts[..2], model = "m" }));
                Assert.Equal(200, embedded); // still served: the balancer may send a few more before it takes the server out
                Assert.Equal(2, Embeddings(body).Length);
            }
            Assert.False(process.HasExited);
            // well inside the 300 s delay, which it served on for before (generous: the test projects run side by side)
            string err = await ServeProcessTests.StopsCleanlyOn(process, signal, stdout, TimeSpan.FromSeconds(60));
            Assert.Contains("stopping: /health answers 503 and requests are still served for 300 s (--shutdown-delay)", err);
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    // The address in the started server's first line.
    private static async Task<Uri> AddressOf(Process process)
    {
        string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.NotNull(line);
        var match = ServeProcessTests.Address().Match(line);
        Assert.True(match.Success, line);
        return new Uri(match.Value);
    }

    // Reads the started server's address, sends it the signal and waits until /health answers 503 "draining" (the
    // signal reaches the process's lifetime shortly after kill; the delay, long, bounds the wait as a hang guard); the address.
    private static async Task<Uri> SignalledAndDraining(Process process, int signal, Stopwatch watch, TimeSpan delay)
    {
        var address = await AddressOf(process);
        watch.Restart();
        Assert.Equal(0, ServeProcessTests.kill(process.Id, signal));
        int status = 0;
        while (status != 503 && watch.Elapsed < delay)
        {
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            using var health = await client.GetAsync("health");
            status = (int)health.StatusCode;
            if (status == 503)
                Assert.Equal("draining", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
            else await Task.Delay(50);
        }
        Assert.Equal(503, status);
        return address;
    }

    [Fact]
    public void ANegativeDelayIsAUsageError()
    {
        var r = SkaldProcess.Run("serve", "--model", ModelDir, "--shutdown-delay", "-1");
        SkaldProcess.AssertUserError(r, 2, "--shutdown-delay");
    }
}
