using Skald.Tensors;
using Skald.Tensors.Kernels;
using Skald.Training.Modeling;
using Skald.Training.Tests.TestSupport;
using Skald.Tests;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// Same config and seed ⇒ the same bytes, whatever the thread count (SKALD_THREADS) and run after run: every parallel
/// sum of the training step combines its partials in a fixed order.
/// </summary>
[Collection(Skald.Tests.ProcessSettingsCollection.Name)]
public sealed class DeterminismTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    [Fact]
    public void NormGradientsAreTheSameBytesAtEveryThreadCount()
    {
        const int rows = 3000, cols = 96; // many reduction blocks
        var rng = new Random(5);
        float[] x = Rand(rng, rows * cols), dy = Rand(rng, rows * cols), gamma = Rand(rng, cols);
        float[] mean = new float[rows], rstd = new float[rows], y = new float[rows * cols];
        LayerNorm.Forward(x, gamma, new float[cols], y, mean, rstd, rows, cols, 1e-5f);
        int saved = Parallelism.MaxThreads;
        try
        {
            byte[]? first = null;
            foreach (int threads in new[] { 1, 2, 3, 4, 7, 2, 2 })
            {
                Parallelism.MaxThreads = threads;
                float[] dx = new float[rows * cols], dg = new float[cols], db = new float[cols], dw = new float[cols];
                LayerNorm.Backward(dy, x, gamma, mean, rstd, dx, dg, db, rows, cols);
                RmsNorm.Backward(dy, x, gamma, rstd, dx, dw, rows, cols);
                byte[] bytes = [.. Bytes(dg), .. Bytes(db), .. Bytes(dw)];
                first ??= bytes;
                Assert.True(first.AsSpan().SequenceEqual(bytes), $"norm weight gradients differ at {threads} threads");
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    [Fact]
    public void TrainingWithDropoutIsTheSameBytesRunAfterRunAndAtAnyThreadCount()
    {
        // hidden 128: B·T rows of 128 give several reduction blocks, so two threads really split the norm sums.
        string model = RandomBert.Create(Path.Combine(dir, "base"),
            Path.Combine(InfraPaths.RepoRoot, "fixtures", "tokenizers", "wordpiece-cased", "tokenizer.json"), new BertShape(), seed: 3);
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 64).Select(i =>
            $"{{\"anchor\": \"Hvor mange hus står langs elva i bygd nummer {i} om sommeren?\", " +
            $"\"positive\": \"I bygd {i} står det {i + 3} hus langs elva, de fleste bygd av tre.\"}}\n")));
        var runs = new List<byte[]>();
        foreach (string? threads in new string?[] { null, null, null, "1", "3" })
        {
            string outDir = Path.Combine(dir, $"run{runs.Count}");
            string config = InfraPaths.WriteFile(dir, $"c{runs.Count}.yaml", $"""
                model:
                  path: {model}
                  dropout: 0.1
                data:
                  train: {data}
                training:
                  batch_size: 16
                  learning_rate: 1.0e-3
                  max_steps: 12
                  seed: 7
                output:
                  dir: {outDir}
                """);
            var env = threads is null ? null : new Dictionary<string, string> { ["SKALD_THREADS"] = threads };
            var r = SkaldProcess.RunWith(dir, env, "train", "--config", config, "--quiet");
            Assert.True(r.ExitCode == 0, r.Stderr);
            runs.Add(File.ReadAllBytes(Path.Combine(outDir, "final", "model.safetensors")));
        }
        for (int i = 1; i < runs.Count; i++)
            Assert.True(runs[0].AsSpan().SequenceEqual(runs[i]), $"run {i} differs from run 0");
    }

    [Fact]
    public void BadThreadCountIsOneLine()
    {
        var r = SkaldProcess.RunWith(dir, new Dictionary<string, string> { ["SKALD_THREADS"] = "two" }, "info", "--help");
        SkaldProcess.AssertUserError(r, 2, "SKALD_THREADS=\"two\" must be a positive whole number");
    }

    private static float[] Rand(Random rng, int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];

    private static byte[] Bytes(float[] v) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
}
