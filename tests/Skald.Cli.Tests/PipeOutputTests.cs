using System.Diagnostics;

namespace Skald.Cli.Tests;

/// <summary>
/// An <c>--output</c> that is a pipe or a device (<c>/dev/null</c>, <c>/dev/stdout</c>, a named pipe) is written into,
/// as a shell redirection would, not replaced by a regular file through the staged write's rename: run as root,
/// <c>skald evaluate ... --output /dev/null</c> turned the machine's /dev/null into a regular file. A named pipe stands
/// in for the device here (a test must not touch /dev/null).
/// </summary>
public sealed class PipeOutputTests
{
    [Fact]
    public void EvaluateWritesIntoANamedPipe()
    {
        string task = BeirFolder.Write(
            "{\"_id\":\"d1\",\"text\":\"Hytta ligger ved vannet.\"}\n{\"_id\":\"d2\",\"text\":\"Toget går klokken ni.\"}\n",
            "{\"_id\":\"q1\",\"text\":\"Når går toget?\"}\n",
            "query-id\tcorpus-id\tscore\nq1\td2\t1\n");
        string pipe = NamedPipe("results.json");
        var (result, read) = RunWithReader(pipe, "evaluate", "--model", "bm25", "--task", task, "--output", pipe);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("\"main_score\": 1", read);
        Assert.Equal(0, new FileInfo(pipe).Length); // still the pipe, not a regular file holding the results
    }

    [Fact]
    public void MineNegativesWritesIntoANamedPipe()
    {
        // the data verbs write through Skald.Data's AtomicOutput, the other staged writer
        string dir = TestPaths.NewTempDir(), pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(pairs, string.Concat(new[]
        {
            ("Når går toget?", "Toget går klokken ni."),
            ("Når går bussen?", "Bussen går klokken ti."),
            ("Når går båten?", "Båten går klokken åtte."),
            ("Når går flyet?", "Flyet går klokken sju."),
        }.Select(p => $"{{\"anchor\":\"{p.Item1}\",\"positive\":\"{p.Item2}\"}}\n")));
        string pipe = NamedPipe("mined.jsonl");
        var (result, read) = RunWithReader(pipe, "data", "mine-negatives", "--data", pairs, "--model", "bm25", "--output", pipe,
            "--range-min", "0", "--relative-margin", "0", "--num-negatives", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("\"negative\":", read);
        Assert.Equal(0, new FileInfo(pipe).Length);
    }

    /// <summary>A new named pipe (mkfifo) in a temp folder.</summary>
    private static string NamedPipe(string name)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), name);
        Fifo.Make(path);
        return path;
    }

    /// <summary>
    /// Runs skald while `cat` reads <paramref name="pipe"/>; a reader still waiting 10 s after skald ended (no writer ever
    /// opened the pipe: it was replaced, or nothing was written) is stopped.
    /// </summary>
    private static (SkaldProcess.Result Result, string Read) RunWithReader(string pipe, params string[] args)
    {
        var psi = new ProcessStartInfo("cat") { RedirectStandardOutput = true };
        psi.ArgumentList.Add(pipe);
        using var reader = Process.Start(psi)!;
        var read = reader.StandardOutput.ReadToEndAsync();
        var result = SkaldProcess.Run(args);
        if (!reader.WaitForExit(10_000)) reader.Kill();
        reader.WaitForExit();
        return (result, read.Result);
    }
}
