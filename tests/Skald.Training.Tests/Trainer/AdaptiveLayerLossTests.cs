using System.Text.Json;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// AdaptiveLayerLoss and Matryoshka2dLoss (<c>loss.adaptive_layer</c>): five AdamW steps against PyTorch
/// (fixtures/training/make_adaptive_layer_reference.py, upstream's loss written out), the KL term's gradients
/// against finite differences, the layer sampling, and <c>skald train</c> using or refusing it.
/// </summary>
public sealed class AdaptiveLayerLossTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Each step's loss and grad norm within 1e-4 relative, every final weight within 1e-4 (every earlier layer used each step).</summary>
    [Theory]
    [InlineData("adaptive_layer", "bert-cased-mean")]
    [InlineData("matryoshka2d", "bert-4layers")]
    public void FiveStepsMatchPyTorch(string name, string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture(name + ".json")));
        var r = doc.RootElement;
        var s = r.GetProperty("settings");
        var model = TrainableEncoder.Load(folder == "bert-4layers" ? CorePaths.TrainingFixture(folder) : CorePaths.FixtureModel(folder), dropout: 0f);
        IEmbeddingLoss inner = s.TryGetProperty("matryoshka_dims", out var dims)
            ? new MatryoshkaLoss(new MultipleNegativesRankingLoss(), [.. dims.EnumerateArray().Select(d => d.GetInt32())],
                [.. s.GetProperty("matryoshka_weights").EnumerateArray().Select(w => w.GetSingle())])
            : new MultipleNegativesRankingLoss();
        var loss = new AdaptiveLayerLoss(inner, s.GetProperty("n_layers_per_step").GetInt32(), s.GetProperty("last_layer_weight").GetSingle(),
            s.GetProperty("prior_layers_weight").GetSingle(), s.GetProperty("kl_div_weight").GetSingle(), s.GetProperty("kl_temperature").GetSingle());
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture(name + "_final.safetensors"), output,
            _ => Assert.Equal(Enumerable.Range(0, model.Model.PriorLayerCount), loss.LastLayers));
    }

    [Fact]
    public void TheKlTermsGradientsMatchFiniteDifferences()
    {
        const int rows = 3, dim = 5;
        var rnd = new Random(3);
        EmbeddingBatch Draw() => new([.. Enumerable.Range(0, rows * dim).Select(_ => (float)(rnd.NextDouble() * 2 - 1))], rows, dim);
        var final = Draw();
        var layer = Draw();
        const float t = 0.4f;
        const double w = 0.7;
        double Loss() => LayerKlDivergence.Compute(final, layer, t, w, new EmbeddingBatch(rows, dim), new EmbeddingBatch(rows, dim));
        var gFinal = new EmbeddingBatch(rows, dim);
        var gLayer = new EmbeddingBatch(rows, dim);
        double value = LayerKlDivergence.Compute(final, layer, t, w, gFinal, gLayer);
        Assert.True(value > 0);
        // KL of identical rows is 0, with no gradient.
        var zf = new EmbeddingBatch(rows, dim);
        Assert.Equal(0, LayerKlDivergence.Compute(final, new EmbeddingBatch((float[])final.Data.Clone(), rows, dim), t, w, zf, new EmbeddingBatch(rows, dim)), 12);
        Assert.All(zf.Data, g => Assert.True(Math.Abs(g) < 1e-7));
        foreach (var (x, g, what) in new[] { (final, gFinal, "last layer"), (layer, gLayer, "earlier layer") })
        {
            for (int i = 0; i < x.Data.Length; i++)
            {
                const float h = 1e-3f;
                float old = x.Data[i];
                x.Data[i] = old + h;
                double plus = Loss();
                x.Data[i] = old - h;
                double minus = Loss();
                x.Data[i] = old;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - g.Data[i]) <= 1e-3 * Math.Max(1, Math.Abs(numeric)), $"{what} [{i}]: {g.Data[i]} vs {numeric}");
            }
        }
    }

    /// <summary>
    /// With the earlier layers weighted 0 and no KL term the gradients are the inner loss's times last_layer_weight;
    /// with them, they differ (the earlier layers pull).
    /// </summary>
    [Fact]
    public void ZeroPriorWeightsLeaveTheInnerLossScaled()
    {
        var model = TrainableEncoder.Load(CorePaths.TrainingFixture("bert-4layers"), dropout: 0f);
        var batch = new TrainingBatch([["Hvor ligger legekontoret?", "Hvornår åbner biblioteket?", "Var finns apotek?"],
            ["Legekontoret ligger i sentrum.", "Biblioteket åbner klokken ni.", "Apoteket ligger vid torget."]]);
        float[][] Grads(ILoss loss)
        {
            model.ZeroGradients();
            loss.ComputeAndBackward(model, batch);
            return [.. model.Parameters.Select(p => p.Grad.ToArray())];
        }
        var plain = Grads(new MultipleNegativesRankingLoss());
        var silent = Grads(new AdaptiveLayerLoss(new MultipleNegativesRankingLoss(), layersPerStep: -1, lastLayerWeight: 2f, priorLayersWeight: 0f, klTemperature: 0f));
        var pulled = Grads(new AdaptiveLayerLoss(new MultipleNegativesRankingLoss(), layersPerStep: -1, lastLayerWeight: 2f));
        double worst = 0, moved = 0;
        for (int k = 0; k < plain.Length; k++)
            for (int i = 0; i < plain[k].Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(2 * plain[k][i] - silent[k][i]));
                moved = Math.Max(moved, Math.Abs(pulled[k][i] - silent[k][i]));
            }
        Assert.True(worst < 1e-5, $"worst {worst:E2}");
        Assert.True(moved > 1e-3, $"the earlier layers changed the gradients by only {moved:E2}");
    }

    [Fact]
    public void OneEarlierLayerIsSampledPerStepFromTheTrainersGenerator()
    {
        var model = TrainableEncoder.Load(CorePaths.TrainingFixture("bert-4layers"), dropout: 0f, seed: 5);
        var loss = new AdaptiveLayerLoss(new MultipleNegativesRankingLoss());
        var batch = new TrainingBatch([["Hvor ligger legekontoret?", "Var finns apotek?"], ["Legekontoret ligger i sentrum.", "Apoteket ligger vid torget."]]);
        var seen = new List<int>();
        for (int i = 0; i < 12; i++)
        {
            model.ZeroGradients();
            loss.ComputeAndBackward(model, batch);
            Assert.Single(loss.LastLayers);
            seen.Add(loss.LastLayers[0]);
        }
        Assert.All(seen, l => Assert.InRange(l, 0, 2));
        Assert.True(seen.Distinct().Count() > 1, $"always layer {seen[0]}");
        var again = TrainableEncoder.Load(CorePaths.TrainingFixture("bert-4layers"), dropout: 0f, seed: 5);
        var replay = new List<int>();
        for (int i = 0; i < 12; i++)
        {
            again.ZeroGradients();
            loss.ComputeAndBackward(again, batch);
            replay.Add(loss.LastLayers[0]);
        }
        Assert.Equal(seen, replay);
    }

    [Fact]
    public void SkaldTrainWritesAMatryoshka2dModelOrRefusesWithOneLine()
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går {i}.\"}}\n")));
        string four = CorePaths.TrainingFixture("bert-4layers");
        var ok = SkaldProcess.RunIn(dir, "train", "--config", TrainConfigs.Write(dir, four, data, "  type: matryoshka\n  matryoshka_dims: [32, 16]\n  adaptive_layer: true\n  kl_temperature: 0.5", out var okDir), "--quiet");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        string card = File.ReadAllText(Path.Combine(okDir, "final", "README.md"));
        Assert.Contains("Matryoshka2dLoss", card);
        Assert.Contains("\"kl_temperature\": 0.5", card);
        foreach (var (model, loss, message) in new[]
        {
            (four, "  type: mnrl\n  kl_temperature: 0.5", "loss.kl_temperature is AdaptiveLayerLoss's"),
            (four, "  type: mnrl\n  cached: true\n  adaptive_layer: true", "not a cached one"),
            (four, "  type: cached_mnrl\n  adaptive_layer: true", "not a cached one"),
        })
            TrainConfigs.AssertRefused(dir, TrainConfigs.Write(dir, model, data, loss, out _), message);
        // NorBERT3 and NorBERT4 report each layer's output as a model cut there puts it out (LayerTruncationTests).
        foreach (string norbert in new[] { "norbert3-tiny", "norbert4-tiny" })
        {
            var run = SkaldProcess.RunIn(dir, "train", "--config",
                TrainConfigs.Write(dir, InfraPaths.FixtureModel(norbert), data, "  type: mnrl\n  adaptive_layer: true", out var runDir), "--quiet");
            Assert.True(run.ExitCode == 0, $"{norbert}: {run.Stderr}");
            Assert.Contains("AdaptiveLayerLoss", File.ReadAllText(Path.Combine(runDir, "final", "README.md")));
        }
    }

    /// <summary>
    /// With activation checkpointing (layers run again in the backward pass) the per-layer embeddings and the TSDAE
    /// decoder's memory get the same gradients as without it.
    /// </summary>
    [Theory]
    [InlineData("adaptive_layer")]
    [InlineData("tsdae")]
    public void CheckpointedLayersGiveTheSameGradients(string kind)
    {
        float[][] Grads(bool checkpointing)
        {
            var model = TrainableEncoder.Load(CorePaths.TrainingFixture("bert-4layers"), dropout: 0f);
            model.GradientCheckpointing = checkpointing;
            ILoss loss = kind == "tsdae" ? new DenoisingAutoEncoderLoss(model) : new AdaptiveLayerLoss(new MultipleNegativesRankingLoss(), layersPerStep: -1);
            var batch = kind == "tsdae"
                ? new TrainingBatch([["Toget sju.", "Ferja fjorden."], ["Toget går klokka sju.", "Ferja går over fjorden."]])
                : new TrainingBatch([["Hvor ligger legekontoret?", "Var finns apotek?"], ["Legekontoret ligger i sentrum.", "Apoteket ligger vid torget."]]);
            model.ZeroGradients();
            loss.ComputeAndBackward(model, batch);
            return [.. model.Parameters.Concat(loss.Parameters).Select(p => p.Grad.ToArray())];
        }
        var plain = Grads(false);
        var checkpointed = Grads(true);
        double worst = 0;
        for (int k = 0; k < plain.Length; k++)
            for (int i = 0; i < plain[k].Length; i++) worst = Math.Max(worst, Math.Abs(plain[k][i] - checkpointed[k][i]));
        Assert.True(worst < 1e-6, $"{kind}: gradients differ by {worst:E2}");
    }

    /// <summary>
    /// A loss's own parameters (SoftmaxLoss's classifier) take the same scaling as the model's gradients: the step's
    /// gradientScale (1/accumulation) and the weight a wrapper gives the call (the last layer's here).
    /// </summary>
    [Fact]
    public void AClassifiersGradientsAreScaledAsTheModelsAre()
    {
        var batch = new TrainingBatch([["Hvor ligger legekontoret?", "Var finns apotek?", "Bussen går."], ["Legekontoret ligger i sentrum.", "Apoteket ligger vid torget.", "Katten sover."]], [0, 1, 2]);
        float[][] Grads(Func<SoftmaxLoss, ILoss> wrap, float scale)
        {
            var model = TrainableEncoder.Load(CorePaths.TrainingFixture("bert-4layers"), dropout: 0f);
            var softmax = new SoftmaxLoss(32, 3, seed: 5);
            var loss = wrap(softmax);
            model.ZeroGradients();
            foreach (var p in softmax.Parameters) p.Grad.Span.Clear();
            loss.ComputeAndBackward(model, batch, scale);
            return [.. softmax.Parameters.Concat(model.Parameters).Select(p => p.Grad.ToArray())];
        }
        var plain = Grads(s => s, 1f);
        var half = Grads(s => s, 0.5f);
        var doubled = Grads(s => new AdaptiveLayerLoss(s, lastLayerWeight: 2f, priorLayersWeight: 0f, klTemperature: 0f), 1f);
        for (int k = 0; k < plain.Length; k++)
            for (int i = 0; i < plain[k].Length; i++)
            {
                Assert.Equal(0.5 * plain[k][i], half[k][i], 1e-6);
                Assert.Equal(2 * plain[k][i], doubled[k][i], 1e-5);
            }
    }
}
