using Skald.Evaluation.Benchmark;
using Skald.Evaluation.Data;

namespace Skald.Evaluation.Tests;

/// <summary>
/// A benchmark releases each model after its tasks, also an embedding model loaded inside a wrapper: a hybrid's
/// (<c>hybrid:DIR</c>) and a reranked first stage's (<c>DIR&gt;CE</c>), and the cross-encoder a reranker wraps. Seen
/// from the files the encoders read their vocabulary tables from: none is still open once the run is over (Linux:
/// /proc/self/fd).
/// </summary>
public sealed class BenchmarkReleaseTests
{
    // Open descriptors of this process on file.
    private static int OpenHandles(string file) => Directory.GetFiles("/proc/self/fd").Count(fd =>
    {
        try { return new FileInfo(fd).LinkTarget == file; }
        catch (IOException) { return false; } // closed meanwhile
    });

    private static string Task() => BeirFolder.Write(
        "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille i morgonsola.\"}\n{\"_id\": \"d1\", \"text\": \"Kva tid går ferja over fjorden?\"}\n",
        "{\"_id\": \"q1\", \"text\": \"Når går ferja over fjorden?\"}\n", "q1\td1\t1\n");

    private static Suite SuiteOf(string task)
    {
        string suite = Path.Combine(TestPaths.NewTempDir(), "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{task}}", "language": "nb"}]}""");
        return Suite.Load(suite);
    }

    [Theory]
    [InlineData("{1}")]
    [InlineData("{0}>{1}")]
    [InlineData("bm25>{1}")]
    public void TheCrossEncoderOfARerankerIsReleasedAfterItsTasks(string spec)
    {
        if (!Directory.Exists("/proc/self/fd")) return;
        string dense = TestPaths.FixtureModel("bert-cased-mean"), ce = TestPaths.CopyOfFixtureModel("ce-bert");
        string weights = Path.GetFullPath(Path.Combine(ce, "model.safetensors"));
        var report = BenchmarkRunner.Run(SuiteOf(Task()), [string.Format(System.Globalization.CultureInfo.InvariantCulture, spec, dense, ce)]);
        Assert.Single(report.Board.Models);
        Assert.Equal(0, OpenHandles(weights));
    }

    [Theory]
    [InlineData("hybrid:{0}")]
    [InlineData("{0}>{1}")]
    [InlineData("hybrid:{0}>{1}")]
    public void AnEmbeddingModelInsideAWrapperIsReleasedAfterItsTasks(string spec)
    {
        if (!Directory.Exists("/proc/self/fd")) return; // the open files are looked at where Linux shows them
        string dense = TestPaths.CopyOfFixtureModel("bert-cased-mean"), ce = TestPaths.FixtureModel("ce-bert");
        string weights = Path.GetFullPath(Path.Combine(dense, "model.safetensors"));
        var report = BenchmarkRunner.Run(SuiteOf(Task()), [string.Format(System.Globalization.CultureInfo.InvariantCulture, spec, dense, ce)]);
        Assert.Single(report.Board.Models);
        Assert.Equal(0, OpenHandles(weights));
    }
}
