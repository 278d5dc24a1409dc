using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Skald.Training.Trainer;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// CSR sparse encoders trained with CSRLoss: five steps against PyTorch (fixtures/training/make_csr_reference.py,
/// sentence-transformers' SparseAutoEncoder and CSRLoss written out, its in-place dead-latent masking included), the
/// reconstruction terms' gradients against finite differences, and <c>skald train</c> making, saving, resuming and
/// freezing CSR models.
/// </summary>
public sealed class CsrTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>
    /// Each step's four terms and grad norm within 1e-4 relative, the dead-latent statistics after each step exactly,
    /// every final weight within 1e-4 (attention key biases, whose true gradient is 0, within 5·lr).
    /// </summary>
    [Fact]
    public void FiveStepsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("csr.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("csr-bert-tiny"), dropout: 0f);
        var sae = model.Model.AutoEncoder!;
        Assert.Equal(r.GetProperty("stats_initial").EnumerateArray().Select(x => x.GetInt64()), sae.Stats);
        var loss = new CsrLoss(new MultipleNegativesRankingLoss(1f, dot: true), r.GetProperty("beta").GetSingle(), r.GetProperty("gamma").GetSingle());
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture("csr_final.safetensors"), output, step =>
        {
            output.WriteLine($"terms {loss.LastTerms}");
            TrainingParityTests.Near(loss.LastTerms.K, step.GetProperty("reconstruction_loss_k").GetDouble(), "L_k");
            TrainingParityTests.Near(loss.LastTerms.K4, step.GetProperty("reconstruction_loss_4k").GetDouble(), "L_4k / 8");
            TrainingParityTests.Near(loss.LastTerms.Aux, step.GetProperty("reconstruction_loss_aux").GetDouble(), "β·L_aux");
            TrainingParityTests.Near(loss.LastTerms.Base, step.GetProperty("base_loss").GetDouble(), "SparseMNRL");
            Assert.Equal(step.GetProperty("stats").EnumerateArray().Select(x => x.GetInt64()), sae.Stats);
        });
    }

    /// <summary>
    /// The same five steps on csr-bert-tiny-ln, whose SparseAutoEncoder standardises each row first (normalize: true)
    /// and maps its reconstructions back (fixtures/training/csr_ln.json, the same script's second run).
    /// </summary>
    [Fact]
    public void FiveStepsWithNormalizeMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("csr_ln.json")));
        var r = doc.RootElement;
        Assert.True(r.GetProperty("normalize").GetBoolean());
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("csr-bert-tiny-ln"), dropout: 0f);
        var sae = model.Model.AutoEncoder!;
        Assert.True(sae.Config.Normalize);
        var loss = new CsrLoss(new MultipleNegativesRankingLoss(1f, dot: true), r.GetProperty("beta").GetSingle(), r.GetProperty("gamma").GetSingle());
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture("csr_ln_final.safetensors"), output, step =>
        {
            TrainingParityTests.Near(loss.LastTerms.K, step.GetProperty("reconstruction_loss_k").GetDouble(), "L_k");
            TrainingParityTests.Near(loss.LastTerms.K4, step.GetProperty("reconstruction_loss_4k").GetDouble(), "L_4k / 8");
            TrainingParityTests.Near(loss.LastTerms.Aux, step.GetProperty("reconstruction_loss_aux").GetDouble(), "β·L_aux");
            TrainingParityTests.Near(loss.LastTerms.Base, step.GetProperty("base_loss").GetDouble(), "SparseMNRL");
            Assert.Equal(step.GetProperty("stats").EnumerateArray().Select(x => x.GetInt64()), sae.Stats);
        });
    }

    /// <summary>
    /// GradCache (loss.cached): the chain in chunks of 3 rows (a batch of 4: a chunk of 3 and one of 1), the autoencoder
    /// over the whole batch: the loss, its terms, the statistics and every gradient equal the uncached step's within 1e-5.
    /// </summary>
    [Theory]
    [InlineData("csr-bert-tiny")]
    [InlineData("csr-bert-tiny-ln")]
    public void ACachedStepEqualsTheUncachedOne(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("csr.json")));
        var step = doc.RootElement.GetProperty("steps")[0];
        (float Loss, (float, float, float, float) Terms, long[] Stats, float[][] Grads) Run(int? chunk)
        {
            var model = TrainableEncoder.Load(CorePaths.FixtureModel(folder), dropout: 0f);
            var loss = new CsrLoss(new MultipleNegativesRankingLoss(1f, dot: true)) { MiniBatchSize = chunk };
            model.ZeroGradients();
            float value = loss.ComputeAndBackward(model, new TrainingBatch(TrainingParityTests.StepColumns(step, model)), 0.5f);
            return (value, loss.LastTerms, model.Model.AutoEncoder!.Stats.ToArray(), [.. model.Parameters.Select(p => p.Grad.ToArray())]);
        }
        var plain = Run(null);
        var cached = Run(3);
        Assert.Equal(plain.Stats, cached.Stats);
        Assert.Equal(plain.Loss, cached.Loss, 5);
        var (k, k4, aux, inner) = plain.Terms;
        var (ck, ck4, caux, cinner) = cached.Terms;
        foreach (var (a, b) in new[] { (k, ck), (k4, ck4), (aux, caux), (inner, cinner) })
            Assert.True(Math.Abs(a - b) <= 1e-5 * Math.Max(1, Math.Abs(a)), $"term {a} uncached, {b} cached");
        Assert.Equal(plain.Grads.Length, cached.Grads.Length);
        Assert.True(plain.Grads.Count(g => g.Any(v => v != 0)) > plain.Grads.Length / 2); // the chain trains, not only the autoencoder
        for (int i = 0; i < plain.Grads.Length; i++)
        {
            double scale = Math.Max(1e-3, plain.Grads[i].Max(Math.Abs));
            for (int j = 0; j < plain.Grads[i].Length; j++)
                Assert.True(Math.Abs(plain.Grads[i][j] - cached.Grads[i][j]) <= 1e-5 * scale, $"tensor {i}[{j}]: {cached.Grads[i][j]} vs {plain.Grads[i][j]}");
        }
    }

    /// <summary>
    /// With dropout, one chunk holding every row draws the uncached step's masks on its first pass; its recorded second
    /// pass must draw them again (and the generator go on from where the first pass left it) for the gradients to match.
    /// </summary>
    [Fact]
    public void ACachedStepWithDropoutReplaysTheMasks()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("csr.json")));
        var step = doc.RootElement.GetProperty("steps")[0];
        (float Loss, float[][] Grads, ulong[] State) Run(int? chunk, float dropout)
        {
            var model = TrainableEncoder.Load(CorePaths.FixtureModel("csr-bert-tiny"), dropout: dropout, seed: 5);
            var loss = new CsrLoss(new MultipleNegativesRankingLoss(1f, dot: true)) { MiniBatchSize = chunk };
            model.ZeroGradients();
            float value = loss.ComputeAndBackward(model, new TrainingBatch(TrainingParityTests.StepColumns(step, model)));
            return (value, [.. model.Parameters.Select(p => p.Grad.ToArray())], model.Random.SaveState());
        }
        var plain = Run(null, 0.1f);
        var cached = Run(1000, 0.1f);
        var noDropout = Run(null, 0f);
        Assert.Equal(plain.Loss, cached.Loss, 5);
        Assert.Equal(plain.State, cached.State);
        static double Worst(float[][] a, float[][] b)
        {
            double worst = 0;
            for (int i = 0; i < a.Length; i++)
            {
                double scale = Math.Max(1e-3, a[i].DefaultIfEmpty(0).Max(Math.Abs));
                for (int j = 0; j < a[i].Length; j++) worst = Math.Max(worst, Math.Abs(a[i][j] - b[i][j]) / scale);
            }
            return worst;
        }
        Assert.True(Worst(plain.Grads, noDropout.Grads) > 1e-3, "dropout changes the gradients");
        Assert.True(Worst(plain.Grads, cached.Grads) <= 1e-5, $"cached with dropout: worst relative difference {Worst(plain.Grads, cached.Grads)}");
    }

    [Fact]
    public void ReconstructionGradientsMatchFiniteDifferences()
    {
        const int rows = 4, dim = 5;
        var rnd = new Random(9);
        float[] Draw() => [.. Enumerable.Range(0, rows * dim).Select(_ => (float)(rnd.NextDouble() * 2 - 1))];
        var x = Draw();
        var k = Draw();
        var k4 = Draw();
        var aux = Draw();
        float[] preBias = [.. Enumerable.Range(0, dim).Select(_ => (float)(rnd.NextDouble() - 0.5))];
        var weights = (1f, 0.125f, 0.1f);
        double Loss(float[] xs, float[] ks, float[] k4s, float[] auxs)
        {
            var sink = new float[rows * dim];
            var t = CsrReconstruction.Compute(xs, ks, k4s, auxs, preBias, rows, dim, weights, sink, (float[])sink.Clone(), (float[])sink.Clone(), (float[])sink.Clone());
            return t.K + t.K4 / 8 + 0.1 * t.Aux;
        }
        var dx = new float[rows * dim];
        var dk = new float[rows * dim];
        var d4k = new float[rows * dim];
        var daux = new float[rows * dim];
        CsrReconstruction.Compute(x, k, k4, aux, preBias, rows, dim, weights, dx, dk, d4k, daux);
        // x̂_k enters L_aux only through the detached target: its gradient is L_k's alone, which the loss below also keeps
        // by holding the target's x̂_k fixed: perturbing k here moves the target too, so L_aux is left out of its check.
        Check("dL/dx", x, p => Loss(p, k, k4, aux), dx);
        Check("dL/dx̂_4k", k4, p => Loss(x, k, p, aux), d4k);
        Check("dL/dx̂_aux", aux, p => Loss(x, k, k4, p), daux);
        double LossK(float[] ks)
        {
            double s = 0;
            for (int i = 0; i < ks.Length; i++) s += (x[i] - ks[i]) * (double)(x[i] - ks[i]);
            return s / ks.Length;
        }
        Check("dL/dx̂_k", k, LossK, dk);
    }

    [Fact]
    public void AOneRowBatchHasNoAuxiliaryTermInsteadOfAnInfiniteOne()
    {
        float[] x = [0.5f, -0.25f, 1f], k = [0.4f, -0.2f, 0.9f], k4 = [0.1f, 0.2f, 0.3f], aux = [0.3f, 0.1f, -0.2f], preBias = [0.05f, 0f, -0.1f];
        var (dx, dk, d4k, daux) = (new float[3], new float[3], new float[3], new float[3]);
        var t = CsrReconstruction.Compute(x, k, k4, aux, preBias, 1, 3, (1f, 0.125f, 0.1f), dx, dk, d4k, daux);
        Assert.Equal(0, t.Aux);
        Assert.All(daux, g => Assert.Equal(0f, g));
        Assert.Equal((0.01 + 0.0025 + 0.01) / 3, t.K, 1e-7); // L_k as usual
        Assert.All(dx, g => Assert.True(float.IsFinite(g)));
    }

    /// <summary>Central differences of <paramref name="f"/> at every coordinate of <paramref name="x"/> against <paramref name="analytic"/>.</summary>
    private static void Check(string name, float[] x, Func<float[], double> f, float[] analytic)
    {
        const float h = 1e-3f;
        for (int i = 0; i < x.Length; i++)
        {
            float old = x[i];
            x[i] = old + h;
            double plus = f(x);
            x[i] = old - h;
            double minus = f(x);
            x[i] = old;
            double numeric = (plus - minus) / (2.0 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-3 * Math.Abs(numeric) + 2e-4, $"{name}[{i}]: analytic {analytic[i]:G6}, numeric {numeric:G6}");
        }
    }

    private static string Triplets(int n) => string.Concat(Enumerable.Range(0, n).Select(i =>
        $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}\n"));

    private string Config(string data, string outDir, string extra = "") => InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
        model:
          path: {InfraPaths.FixtureModel("bert-cased-mean")}
          type: csr
          dropout: 0.0
          csr_hidden_dim: 64
          csr_k: 4
          csr_k_aux: 8
          csr_dead_threshold: 2
        {extra}
        data:
          train: {data}
        training:
          batch_size: 4
          learning_rate: 1.0e-3
          max_steps: 6
          logging_steps: 2
        output:
          dir: {outDir}
          save_steps: 3
        loss:
          type: csr
        """);

    [Fact]
    public void LossCachedMakesTheCsrLossRunTheChainInChunks()
    {
        string data = InfraPaths.WriteFile(dir, "cached.jsonl", Triplets(8));
        string text = File.ReadAllText(Config(data, Path.Combine(dir, "cached"))) + "\n  cached: true\n  mini_batch_size: 2\n";
        var setup = TrainingRun.Build(ConfigLoader.Parse(text, "c.yaml"));
        Assert.Equal(2, Assert.IsType<CsrLoss>(setup.Loss).MiniBatchSize);
    }

    [Fact]
    public void ADenseModelTrainsIntoACsrFolderThatLoadsBackAndResumes()
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", Triplets(24));
        string outDir = Path.Combine(dir, "csr");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string final = Path.Combine(outDir, "final");
        var model = SentenceEncoder.Load(final);
        Assert.True(model.IsSparse);
        Assert.Equal(64, model.Dimension);
        Assert.Equal(SimilarityFunction.Cosine, model.SimilarityFunction); // the source folder names cosine, which SparseEncoder keeps
        var sae = model.AutoEncoder!;
        Assert.Equal(new SparseAutoEncoderConfig(32, 64, 4, 8, false, 2), sae.Config);
        Assert.Equal("3_SparseAutoEncoder", sae.Module);
        // sentence-transformers' layout: the module after Normalize, the tied weight under safetensors' kept name, the I64 buffer.
        using (var modules = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "modules.json"))))
        {
            var last = modules.RootElement.EnumerateArray().Last();
            Assert.Equal(SparseAutoEncoderConfig.ModuleType, last.GetProperty("type").GetString());
            Assert.Equal("3_SparseAutoEncoder", last.GetProperty("path").GetString());
        }
        Assert.Contains("\"SparseEncoder\"", File.ReadAllText(Path.Combine(final, "config_sentence_transformers.json")));
        var file = SafeTensorsFile.Open(Path.Combine(final, "3_SparseAutoEncoder", "model.safetensors"));
        using (file)
        {
            Assert.Equal(["decoder.linear.weight", "latent_bias", "pre_bias", "stats_last_nonzero"], file.Tensors.Keys.Order());
            Assert.Equal(SafeTensorsDType.I64, file.Tensors["stats_last_nonzero"].DType);
        }
        Assert.Contains(sae.Stats, s => s > 0);
        Assert.All(model.EncodeSparse(["Hvor ligger hus nummer 3?", "Bussen går."]), e => Assert.InRange(e.Count, 1, 4));

        // Stopped after its step-3 checkpoint, the run resumes to the same weights and statistics: the buffer is checkpointed.
        string resumed = Path.Combine(dir, "resumed");
        string config = Config(data, resumed);
        r = SkaldProcess.RunIn(dir, "train", "--config", config, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Directory.Delete(Path.Combine(resumed, "final"), recursive: true);
        Directory.Delete(Path.Combine(resumed, "checkpoints", "step-6"), recursive: true);
        r = SkaldProcess.RunIn(dir, "train", "--config", config, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (string part in new[] { "model.safetensors", Path.Combine("3_SparseAutoEncoder", "model.safetensors") })
            Assert.Equal(File.ReadAllBytes(Path.Combine(final, part)), File.ReadAllBytes(Path.Combine(resumed, "final", part)));
    }

    [Fact]
    public void FreezingTheTransformerTrainsOnlyTheAutoEncoder()
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", Triplets(12));
        string outDir = Path.Combine(dir, "frozen");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir, "  freeze_transformer: true"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var before = Checkpoint.OpenFolder(InfraPaths.FixtureModel("bert-cased-mean"));
        using var after = Checkpoint.OpenFolder(Path.Combine(outDir, "final"));
        foreach (var key in before.Keys) Assert.Equal(before.Read(key, before.Shape(key)), after.Read(key, after.Shape(key)));
        var model = SentenceEncoder.Load(Path.Combine(outDir, "final"));
        var fresh = Models.SentenceEncoder.Load(InfraPaths.FixtureModel("bert-cased-mean")).AsCsr(model.AutoEncoder!.Config, 42);
        Assert.NotEqual(fresh.AutoEncoder!.Weight.Data.ToArray(), model.AutoEncoder.Weight.Data.ToArray()); // the autoencoder trained
    }

    [Fact]
    public void TheExampleConfigTrainsTheFixtureAsItsHeaderSays()
    {
        string outDir = Path.Combine(dir, "example");
        var r = SkaldProcess.RunIn(InfraPaths.RepoRoot, "train", "--config", Path.Combine(InfraPaths.RepoRoot, "configs", "csr.yaml"),
            "--quick-test", "--set", "model.path=fixtures/models/bert-cased-mean", "--set", "model.csr_k=8", "--set", "model.csr_k_aux=16",
            "--set", "training.batch_size=8", "--set", $"output.dir={outDir}", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var model = SentenceEncoder.Load(Path.Combine(outDir, "final"));
        Assert.Equal(128, model.AutoEncoder!.Config.HiddenDim);
        Assert.Contains("eval_", File.ReadAllText(Path.Combine(outDir, "metrics.jsonl"))); // evaluated through the sparse codes
    }

    [Theory]
    [InlineData("model.type=transformer", "is the SparseAutoEncoder's (model.type: csr)")]
    [InlineData("model.csr_k=40", "4·k = 160")]
    [InlineData("loss.csr_beta=-1", "csr_beta")]
    public void MisusesAreOneLine(string set, string message)
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", Triplets(8));
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "bad")), "--set", set, "--quiet");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
