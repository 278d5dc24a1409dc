using Skald.Evaluation.Benchmark;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests;

/// <summary>
/// Cancellation of <see cref="BenchmarkRunner.Run"/> and <see cref="TaskEvaluator.Evaluate"/>: a cancelled token stops
/// the run before the next task with <see cref="OperationCanceledException"/>, the model under way released (its files
/// closed) and the results computed so far in the cache, so a rerun computes only the rest.
/// </summary>
public sealed class BenchmarkCancellationTests
{
    private static string TaskFolder() => BeirFolder.Write(
        "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille i morgonsola.\"}\n{\"_id\": \"d1\", \"text\": \"Kva tid går ferja over fjorden?\"}\n",
        "{\"_id\": \"q1\", \"text\": \"Når går ferja over fjorden?\"}\n", "q1\td1\t1\n");

    private static Suite TwoTasks()
    {
        string suite = Path.Combine(TestPaths.NewTempDir(), "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"name": "first", "path": "{{TaskFolder()}}", "language": "nb"}, {"name": "second", "path": "{{TaskFolder()}}", "language": "nb"}]}""");
        return Suite.Load(suite);
    }

    private static int OpenHandles(string file) => Directory.GetFiles("/proc/self/fd").Count(fd =>
    {
        try { return new FileInfo(fd).LinkTarget == file; }
        catch (IOException) { return false; }
    });

    [Fact]
    public void ACancelledBenchmarkStopsBeforeTheNextTaskAndKeepsWhatItComputed()
    {
        var suite = TwoTasks();
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean"), cache = TestPaths.NewTempDir();
        string weights = Path.GetFullPath(Path.Combine(model, "model.safetensors"));
        using var cancel = new CancellationTokenSource();
        var done = new List<string>();
        var options = new BenchmarkOptions
        {
            CacheDirectory = cache,
            Log = line =>
            {
                done.Add(line);
                Task.Run(cancel.Cancel).Wait(); // from another thread, once the first task is done
            },
        };
        Assert.ThrowsAny<OperationCanceledException>(() => BenchmarkRunner.Run(suite, [model], options, cancel.Token));
        Assert.Single(done);
        Assert.Contains("/ first:", done[0]);
        if (Directory.Exists("/proc/self/fd")) Assert.Equal(0, OpenHandles(weights)); // the model under way was released

        var report = BenchmarkRunner.Run(suite, [model], new BenchmarkOptions { CacheDirectory = cache });
        Assert.Equal((1, 1), (report.Computed, report.Cached)); // the first from the cache, the second computed
    }

    [Fact]
    public void ACancelledEvaluationRunsNothing()
    {
        var task = TwoTasks().Tasks[0];
        using var encoder = Skald.Models.SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var model = new EncoderEmbeddingModel(encoder);
        Assert.ThrowsAny<OperationCanceledException>(() => TaskEvaluator.Create(task).Evaluate(model, new CancellationToken(canceled: true)));
        Assert.Equal(task.Name, TaskEvaluator.Create(task).Evaluate(model, CancellationToken.None).Task);
    }
}
