using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>MNTP: the loss and its gradient against PyTorch (fixtures/training/make_mntp_reference.py), and a LoRA run of `skald train`.</summary>
public sealed class MaskedNextTokenLossTests
{
    private static string Fixture(string name) => Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", name);

    [Theory]
    [InlineData("decoder-llama3")]
    [InlineData("decoder-gemma2")]
    public void LossAndGradientEqualPyTorch(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", "mntp.json")));
        var r = doc.RootElement.GetProperty(name);
        int[][] Rows(string key) => [.. r.GetProperty(key).EnumerateArray().Select(row => row.EnumerateArray().Select(x => x.GetInt32()).ToArray())];
        var ids = Rows("ids");
        var mask = Rows("mask");
        var labels = Rows("labels");
        int batch = ids.Length, seq = ids[0].Length;
        var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[batch * seq], batch, seq);
        int[] targets = [.. labels.SelectMany(x => x).Select(l => l < 0 ? -1 : l)];

        var model = TrainableEncoder.Load(Fixture(name), dropout: 0f);
        ((IDecoder)model.Model.Transformer).AttentionMode = AttentionMode.Bidirectional;
        var mntp = new MaskedNextTokenLoss(model);
        model.ZeroGradients();
        float loss = mntp.Loss(model, tokens, targets, backward: true);
        float expected = r.GetProperty("loss").GetSingle();
        Assert.True(Math.Abs(loss - expected) <= 1e-5f * expected, $"loss {loss}, PyTorch {expected}");

        var byName = model.Parameters.ToDictionary(p => p.Name);
        int compared = 0;
        foreach (var g in r.GetProperty("grads").EnumerateObject())
        {
            var grad = byName[g.Name].Grad.Span;
            var index = g.Value.GetProperty("index").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var value = g.Value.GetProperty("value").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            for (int k = 0; k < index.Length; k++)
            {
                Assert.True(Math.Abs(grad[index[k]] - value[k]) <= 2e-6f + 1e-3f * Math.Abs(value[k]),
                    $"{g.Name}[{index[k]}]: {grad[index[k]]}, PyTorch {value[k]}");
                compared++;
            }
        }
        Assert.True(compared > 1000);
        Assert.Equal(0f, mntp.Loss(model, tokens, new int[targets.Length].Select(_ => -1).ToArray(), backward: false));
    }

    [Fact]
    public void SkaldTrainRunsMntpWithLoraAndAnEncoderWithoutAHeadIsAClearError()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string corpus = Path.Combine(dir, "corpus.txt");
        File.WriteAllLines(corpus, File.ReadLines(Path.Combine(Skald.Tests.Repository.Root, "samples", "data", "corpus.txt")).Take(64));
        TrainingConfig Config(string model, string outDir) => ConfigLoader.Parse($"""
            model:
              path: {model}
              dropout: 0
              attention: bidirectional
            data:
              train: {corpus}
            training:
              batch_size: 8
              learning_rate: 5.0e-3
              max_steps: 12
              no_duplicates: false
              logging_steps: 1
            loss:
              type: mntp
              mask_collator: all_mask
            lora:
              r: 4
              alpha: 8
            output:
              dir: {outDir}
              save_steps: 6
              tensorboard: false
            """, "mntp.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(Config(Fixture("decoder-qwen3"), Path.Combine(dir, "run")))).Run();
        Assert.Equal(12, result.Steps);
        var losses = MetricsLog.ReadAll(Path.Combine(dir, "run", "metrics.jsonl")).Select(x => x["loss"]!.Value).ToArray();
        Assert.All(losses, l => Assert.True(l > 0 && double.IsFinite(l)));
        Assert.True(losses.TakeLast(4).Average() < losses.Take(4).Average(), $"MNTP loss {losses.Take(4).Average():F3} → {losses.TakeLast(4).Average():F3}");
        using (var st = SafeTensorsFile.Open(Path.Combine(result.ModelPath, "adapter_model.safetensors")))
            Assert.Contains("base_model.model.layers.0.self_attn.q_proj.lora_A.weight", st.Tensors.Keys);

        var bert = Assert.Throws<TrainingException>(() => TrainingRun.Build(
            Config(Fixture("bert-cased-mean"), Path.Combine(dir, "bert")) with { Lora = null, Model = new ModelSection(Fixture("bert-cased-mean")) }));
        Assert.Contains("mntp needs a decoder", bert.Message);
    }
}
