using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>The real <c>skald serve</c> process: starts, answers, stops cleanly on SIGINT and SIGTERM; refuses bad starts in one line.</summary>
public sealed partial class ServeProcessTests
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [SigintFact]
    public Task ServesAndStopsOnSigint() => ServesAndStopsOn(2); // SIGINT, as Ctrl+C sends

    [Fact]
    public Task ServesAndStopsOnSigterm() => ServesAndStopsOn(15); // SIGTERM, as systemd, Docker and Kubernetes send

    private static async Task ServesAndStopsOn(int signal)
    {
        var psi = SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--port", "0", "--model-name", "nb-test");
        using var process = Process.Start(psi)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            var match = Address().Match(line);
            Assert.True(match.Success, line);
            using var client = new HttpClient { BaseAddress = new Uri(match.Value), Timeout = TimeSpan.FromSeconds(30) };
            var health = JsonDocument.Parse(await client.GetStringAsync("health")).RootElement;
            Assert.Equal("ok", health.GetProperty("status").GetString());
            var (status, body) = await PostAsync(client, Json(new { input = Texts[..3], model = "nb-test" }));
            Assert.Equal(200, status);
            Assert.Equal(3, Embeddings(body, "nb-test").Length);

            Assert.Equal(0, kill(process.Id, signal));
            var rest = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(90_000), $"skald serve did not stop on signal {signal} within 90 s"); // generous: CI runs the test projects side by side on 2 cores
            Assert.Equal(0, process.ExitCode);
            string err = await rest;
            Assert.Contains("stopped", err);
            Assert.DoesNotContain("   at ", err);
            Assert.Equal("", (await stdout).Trim());
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public void OtherHostsNeedAnApiKey()
    {
        var r = SkaldProcess.Run("serve", "--model", ModelDir, "--host", "0.0.0.0");
        SkaldProcess.AssertUserError(r, 2, "--api-key-env");
        r = SkaldProcess.Run("serve", "--model", ModelDir, "--host", "0.0.0.0", "--api-key-env", "SKALD_TEST_UNSET_KEY_VARIABLE");
        SkaldProcess.AssertUserError(r, 2, "SKALD_TEST_UNSET_KEY_VARIABLE");
        r = SkaldProcess.Run("serve", "--model", ModelDir, "--host", "my-laptop");
        SkaldProcess.AssertUserError(r, 2, "my-laptop");
    }

    [Fact]
    public async Task ABrokenModelOrABusyPortStopsBeforeServing()
    {
        var r = SkaldProcess.Run("serve", "--model", Path.Combine(TestPaths.Fixtures, "models", "no-such-model"), "--port", "0");
        SkaldProcess.AssertUserError(r, 1, "no-such-model");
        await using var busy = await StartAsync(new Skald.Serving.EmbeddingServiceOptions());
        r = SkaldProcess.Run("serve", "--model", ModelDir, "--port", busy.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SkaldProcess.AssertUserError(r, 1, "in use", "--port");
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/")]
    private static partial Regex Address();
}
