namespace Skald.Cli.Tests;

/// <summary>
/// The in-process runner itself (<see cref="InProcessSkald"/>): runs on several threads at once each capture exactly
/// their own stdout and stderr, as each does alone (what lets the tests that use it run in parallel), the JSON that search
/// and rerank write as bytes included.
/// </summary>
public sealed class InProcessSkaldTests
{
    private static readonly string[] Models = ["bert-cased-mean", "decoder-qwen2", "ce-xlmr", "distilbert-tiny"];

    [Fact]
    public async Task RunsAtTheSameTimeEachCaptureTheirOwnOutput()
    {
        // each verb's output, run alone; then all of them at once, released together, a few rounds
        var alone = Models.Select(Info).ToArray();
        Assert.All(alone, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var failures = Models.Select(m => InProcessSkald.Capture("info", "--model", Path.Combine(TestPaths.Fixtures, "models", m, "missing"))).ToArray();
        for (int round = 0; round < 4; round++)
        {
            using var start = new Barrier(Models.Length * 2);
            var runs = Models.Select(m => Task.Factory.StartNew(() => { start.SignalAndWait(); return Info(m); }, TaskCreationOptions.LongRunning))
                .Concat(Models.Select(m => Task.Factory.StartNew(() =>
                {
                    start.SignalAndWait();
                    return InProcessSkald.Capture("info", "--model", Path.Combine(TestPaths.Fixtures, "models", m, "missing"));
                }, TaskCreationOptions.LongRunning)))
                .ToArray();
            var results = await Task.WhenAll(runs);
            for (int i = 0; i < Models.Length; i++)
            {
                Assert.Equal(alone[i], results[i]);
                Assert.Equal(failures[i], results[Models.Length + i]);
            }
        }
        Assert.All(failures, r => Assert.True(r.ExitCode == 1 && r.Stdout.Length == 0 && r.Stderr.StartsWith("skald: error: ", StringComparison.Ordinal), r.Stderr));
    }

    [Fact]
    public void SearchAndRerankJsonInProcessIsWhatTheProcessPrints()
    {
        // the JSON both write as bytes (Terminal.OpenStdoutBytes) reaches the in-process capture, the same text as skald's
        string index = SampleDocuments.Index(InProcessSkald.Capture, TestPaths.FixtureModel("bert-cased-mean"), "--language", "nb");
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs.txt");
        File.WriteAllLines(docs, ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget.", "Räksmörgås med ägg."]);
        string[][] runs =
        [
            ["search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "hybrid", "--top-k", "4", "--format", "json"],
            ["rerank", "--model", TestPaths.FixtureModel("ce-bert"), "--query", "Kva tid går ferja?", "--documents", docs, "--format", "json"],
        ];
        foreach (var args in runs)
        {
            var process = SkaldProcess.Run(args);
            Assert.True(process.ExitCode == 0, process.Stderr);
            Assert.StartsWith("{", process.Stdout, StringComparison.Ordinal);
            Assert.Equal(process, InProcessSkald.Capture(args));
        }
    }

    [Fact]
    public void BytesToTheConsoleStreamAreDecodedWholeAcrossWrites()
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes("{\"q\": \"blåbær 🫐\"}");
        var (output, error) = (new StringWriter(), new StringWriter());
        using (ConsoleRouter.Capture(output, error))
        using (var stream = Skald.Cli.Output.Terminal.OpenStdoutBytes())
            for (int i = 0; i < bytes.Length; i++) stream.Write(bytes, i, 1); // every multi-byte character split
        Assert.Equal("{\"q\": \"blåbær 🫐\"}", output.ToString());
        Assert.Equal("", error.ToString());
    }

    private static SkaldProcess.Result Info(string model) => InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel(model));
}
