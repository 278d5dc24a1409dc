using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// TSDAE over GPT-2: a GPT-2 encoder tied to its GPT2LMHeadModel decoder (one parameter per shared weight, gradients
/// summed over the encoder's and the decoder's uses) against fixtures/training/make_tsdae_gpt2_reference.py, and a
/// decoder saved with add_cross_attention (fixtures/models/decoder-gpt2-cross/saved) read back with its blocks.
/// </summary>
public sealed class Gpt2TsdaeTests(ITestOutputHelper output)
{
    /// <summary>
    /// Five AdamW steps: each step's loss and grad norm, every encoder weight and every cross-attention weight within
    /// 1e-4 of PyTorch's, the loss adding no parameter of the encoder's (the decoder's shared weights are the encoder's).
    /// </summary>
    [Fact]
    public void FiveStepsOfATiedGpt2MatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("tsdae_gpt2.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("decoder-gpt2"), dropout: 0f);
        var loss = new DenoisingAutoEncoderLoss(model, r.GetProperty("deletion_ratio").GetDouble());
        Assert.Null(loss.Head);
        Assert.DoesNotContain(loss.Parameters, p => model.Parameters.Contains(p));
        using (var initial = Checkpoint.OpenFile(CorePaths.TrainingFixture("tsdae_gpt2_cross_initial.safetensors")))
        {
            Assert.Equal(initial.Keys.Order(), loss.Parameters.Select(p => p.Name).Order()); // only the cross-attention is the decoder's own
            foreach (var p in loss.Parameters) initial.Read(p.Name, p.Shape).CopyTo(p.Data.Span);
        }
        float lr = r.GetProperty("lr").GetSingle();
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture("tsdae_gpt2_final.safetensors"), output);
        SpladeTrainingTests.AssertFinalWeights(loss.Parameters, CorePaths.TrainingFixture("tsdae_gpt2_cross_final.safetensors"), lr, output);
    }

    /// <summary>
    /// The tied gradient of weights used by both passes (a word-embedding row read by the encoder, the decoder's input and
    /// its LM head; an MLP weight of either pass) against central differences of the loss.
    /// </summary>
    [Fact]
    public void TheTiedGradientMatchesCentralDifferences()
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("decoder-gpt2"), dropout: 0f);
        var loss = new DenoisingAutoEncoderLoss(model);
        var batch = new TrainingBatch([["Bussen sju torget.", "Ferja kaia morgon."], ["Bussen går klokka sju fra torget.", "Ferja legger til ved kaia i morgon."]]);
        model.ZeroGradients();
        loss.ComputeAndBackward(model, batch);
        var byName = model.Parameters.ToDictionary(p => p.Name);
        var grads = model.Parameters.ToDictionary(p => p.Name, p => p.Grad.ToArray()); // before the probes add to them
        foreach (string name in new[] { "wte.weight", "h.0.mlp.c_fc.weight", "h.1.attn.c_proj.weight", "ln_f.weight" })
        {
            var p = byName[name];
            var grad = grads[name];
            int at = Enumerable.Range(0, grad.Length).MaxBy(i => Math.Abs(grad[i]));
            float keep = p.Data.Span[at];
            const float h = 1e-2f;
            double At(float value) // through Update, which drops the GEMM's packed copy of the weight
            {
                p.Update((at, value), static (values, s) => values[s.at] = s.value);
                return loss.ComputeAndBackward(model, batch);
            }
            double up = At(keep + h), down = At(keep - h);
            At(keep);
            double numeric = (up - down) / (2 * h);
            output.WriteLine($"{name}[{at}]: analytic {grad[at]:E4}, numeric {numeric:E4}");
            Assert.True(Math.Abs(numeric - grad[at]) <= 0.02 * Math.Abs(grad[at]) + 1e-3, $"{name}[{at}]: {grad[at]} vs {numeric}");
        }
    }

    /// <summary>
    /// An untied GPT-2 decoder saved with add_cross_attention decodes through its saved blocks, not new ones; so does one
    /// whose config lacks the flag but whose checkpoint holds the keys (upstream sets add_cross_attention before
    /// transformers loads it, which then reads them).
    /// </summary>
    [Fact]
    public void ASavedGpt2DecoderKeepsItsCrossAttention()
    {
        string saved = Path.Combine(CorePaths.FixtureModel("decoder-gpt2-cross"), "saved");
        string flagless = InfraPaths.NewTempDir();
        foreach (string file in Directory.GetFiles(saved)) File.Copy(file, Path.Combine(flagless, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(flagless, "config.json"), File.ReadAllText(Path.Combine(saved, "config.json")).Replace("\"add_cross_attention\": true,", "", StringComparison.Ordinal));
        Assert.DoesNotContain("add_cross_attention", File.ReadAllText(Path.Combine(flagless, "config.json")));
        using var stored = Checkpoint.OpenFile(Path.Combine(CorePaths.FixtureModel("decoder-gpt2-cross"), "cross.safetensors"));
        foreach (string folder in new[] { saved, flagless })
        {
            var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
            var loss = new DenoisingAutoEncoderLoss(model, 0.6, 42, tied: false, decoderPath: folder);
            var byName = loss.Parameters.ToDictionary(p => p.Name);
            Assert.Equal(loss.Parameters.Count, byName.Count);
            foreach (string key in stored.Keys)
            {
                var p = byName[DenoisingAutoEncoderLoss.DecoderPrefix + key];
                var shape = stored.Shape(key);
                var values = stored.Read(key, shape);
                Assert.Equal(p.StoredTransposed ? Transpose(values, shape[0], shape[1]) : values, p.Data.ToArray());
            }
            float value = loss.ComputeAndBackward(model, new TrainingBatch([["Bussen sju torget."], ["Bussen går klokka sju fra torget."]]));
            Assert.True(float.IsFinite(value), folder);
        }
    }

    private static float[] Transpose(float[] values, int rows, int cols)
    {
        var t = new float[values.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = values[i * cols + j];
        return t;
    }
}
