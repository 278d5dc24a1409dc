namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --cache</c> keys the encoder's numerics: a run with <c>--quantize int8</c> or
/// <c>--float32-matmul high</c> after a float32 / highest run with the same cache folder encodes again, into a cache of
/// its own, instead of reusing the first run's embeddings; a second run with the same settings adds no cache.
/// </summary>
public sealed class EvaluateCacheNumericsTests
{
    private static readonly string Task = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval");

    [Fact]
    public void AnInt8RunDoesNotReuseAFloat32RunsEmbeddings()
    {
        string dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache");
        Evaluate(dir, cache, "a");
        Assert.Single(Caches(cache));
        Evaluate(dir, cache, "b", "--quantize", "int8");
        // Where no int8 kernel runs, --quantize int8 encodes in float32 (a notice): the first run's embeddings are right.
        int expected = Skald.Tensors.Quantization.Int8Gemm.Best is null ? 1 : 2;
        Assert.Equal(expected, Caches(cache).Length);
        Evaluate(dir, cache, "c", "--quantize", "int8");
        Assert.Equal(expected, Caches(cache).Length);
    }

    [AmxHighFact]
    public void AHighRunDoesNotReuseAHighestRunsEmbeddings()
    {
        string dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache");
        Evaluate(dir, cache, "a");
        Evaluate(dir, cache, "b", "--float32-matmul", "high");
        Assert.Equal(2, Caches(cache).Length);
        Evaluate(dir, cache, "c", "--float32-matmul", "highest");
        Assert.Equal(2, Caches(cache).Length);
    }

    private static void Evaluate(string dir, string cache, string name, params string[] extra)
    {
        var r = InProcessSkald.Capture(["evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", Task,
            "--cache", cache, "--output", Path.Combine(dir, name + ".json"), .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    // The model caches under the cache folder that hold embeddings (a run encodes into its key's folder).
    private static string[] Caches(string cache) =>
        [.. Directory.GetDirectories(cache, "*", SearchOption.AllDirectories).Where(d => Directory.GetFiles(d, "seg-*.bin").Length > 0)];
}
