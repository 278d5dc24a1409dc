using System.Diagnostics;

namespace Skald.Cli.Tests;

/// <summary>
/// Ctrl-C (SIGINT) during <c>skald data generate --generator llm</c>: the requests already sent finish and are journaled,
/// the run says it was interrupted and how to go on, and the next run asks only for the rest.
/// </summary>
public sealed class DataGenerateInterruptTests
{
    private static string Documents => Path.Combine(TestPaths.RepoRoot, "samples", "documents");

    [Fact]
    public async Task CtrlCFinishesTheRequestsInFlightAndTheNextRunAsksOnlyForTheRest()
    {
        // Ctrl-C ended the process at once, silently, and the replies of the requests in flight (paid for) were lost.
        string output = Path.Combine(TestPaths.NewTempDir(), "data"), journal = output + ".journal.jsonl";
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, replyDelayMs: 800);
        string[] args = ["data", "generate", "--documents", Documents, "--output", output, "--generator", "llm", "--llm", server.Url,
            "--llm-model", "fake", "--chunk-tokens", "40", "--concurrency", "2", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY"];
        using (var p = Process.Start(SkaldProcess.StartInfo(null, args))!)
        {
            var stderrRead = p.StandardError.ReadToEndAsync();
            var stdoutRead = p.StandardOutput.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (server.Requests.Count < 2 && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.False(p.HasExited, "the run finished before Ctrl-C");
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.True(p.WaitForExit(60_000));
            string stderr = await stderrRead, stdout = await stdoutRead;
            Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {stderr}");
            Assert.Contains("skald: stopping: the requests in flight finish", stderr);
            Assert.Contains($"skald: interrupted; nothing written to {output}, and every chunk answered is in {journal}: run the same command again", stderr);
            Assert.DoesNotContain("   at ", stderr + stdout);
        }
        Assert.False(Directory.Exists(output));
        int asked = server.Requests.Count, journaled = File.ReadAllLines(journal).Length;
        Assert.Equal(asked, journaled); // every request sent came back into the journal
        var r = SkaldProcess.Run(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"llm: {journaled} of ", r.Stdout);
        Assert.Equal(File.ReadAllLines(Path.Combine(output, "corpus.jsonl")).Length, server.Requests.Count); // each chunk asked once in all
    }
}
