using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Supervised fine-tuning's causal-LM loss: against PyTorch (fixtures/training/make_sft_reference.py), against central
/// differences, how rows become ids and labels, and a LoRA run of `skald train` on an Alpaca fixture.
/// </summary>
public sealed class CausalLmLossTests
{
    private static string Fixture(string name) => Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", name);

    private static string Training(string name) => Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", name);

    private static (TokenBatch Tokens, int[] Labels, JsonElement Case, JsonDocument Doc) Reference(string name)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Training("sft.json")));
        var r = doc.RootElement.GetProperty(name);
        int[][] Rows(string key) => [.. r.GetProperty(key).EnumerateArray().Select(row => row.EnumerateArray().Select(x => x.GetInt32()).ToArray())];
        var ids = Rows("ids");
        int batch = ids.Length, seq = ids[0].Length;
        var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. Rows("mask").SelectMany(x => x)], new int[batch * seq], batch, seq);
        return (tokens, [.. Rows("labels").SelectMany(x => x)], r, doc);
    }

    [Theory]
    [InlineData("decoder-llama3")]
    [InlineData("decoder-qwen2")]
    public void LossAndGradientEqualPyTorch(string name)
    {
        var (tokens, labels, r, doc) = Reference(name);
        using var _ = doc;
        var model = TrainableEncoder.Load(Fixture(name), dropout: 0f);
        var sft = new CausalLmLoss(model, maxLength: 64);
        model.ZeroGradients();
        float loss = sft.Loss(model, tokens, labels, backward: true);
        double expected = r.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Max(1, expected), $"loss {loss}, PyTorch {expected}");

        var byName = model.Parameters.ToDictionary(p => p.Name);
        int compared = 0, nonzero = 0;
        foreach (var g in r.GetProperty("grads").EnumerateObject())
        {
            var grad = byName[g.Name].Grad.Span;
            var index = g.Value.GetProperty("index").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var value = g.Value.GetProperty("value").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int k = 0; k < index.Length; k++)
            {
                Assert.True(Math.Abs(grad[index[k]] - value[k]) <= 1e-5 * Math.Max(1, Math.Abs(value[k])),
                    $"{g.Name}[{index[k]}]: {grad[index[k]]}, PyTorch {value[k]}");
                compared++;
                if (Math.Abs(value[k]) > 1e-4) nonzero++;
            }
        }
        Assert.True(compared > 1000 && nonzero > 300, $"{compared} coordinates, {nonzero} substantial");

        // Masking matters: the same batch with every token labelled gives another loss; nothing labelled gives 0.
        var all = tokens.Ids.Select((id, i) => tokens.Mask[i] == 1 ? id : CausalLmLoss.Ignore).ToArray();
        Assert.NotEqual(loss, sft.Loss(model, tokens, all, backward: false), 3);
        Assert.Equal(0f, sft.Loss(model, tokens, [.. labels.Select(_ => CausalLmLoss.Ignore)], backward: false));
    }

    [Fact]
    public void GradientMatchesCentralDifferences()
    {
        var (tokens, labels, _, doc) = Reference("decoder-qwen2");
        using var _ = doc;
        var model = TrainableEncoder.Load(Fixture("decoder-qwen2"), dropout: 0f);
        var sft = new CausalLmLoss(model, maxLength: 64);
        model.ZeroGradients();
        sft.Loss(model, tokens, labels, backward: true);
        var byName = model.Parameters.ToDictionary(p => p.Name);
        (string Name, int Index)[] checks =
        [
            ("norm.weight", 5), ("layers.1.mlp.down_proj.weight", 100), ("layers.0.self_attn.q_proj.weight", 777),
            ("layers.0.self_attn.v_proj.bias", 3), ("embed_tokens.weight", 286 * 64 + 9), ("layers.1.input_layernorm.weight", 40),
        ];
        int substantial = 0;
        foreach (var (name, index) in checks)
        {
            var p = byName[name];
            float saved = p.Data.Span[index], step = 1e-2f;
            p.Data.Span[index] = saved + step;
            double up = sft.Loss(model, tokens, labels, backward: false);
            p.Data.Span[index] = saved - step;
            double down = sft.Loss(model, tokens, labels, backward: false);
            p.Data.Span[index] = saved;
            double numeric = (up - down) / (2 * step), analytic = p.Grad.Span[index];
            if (Math.Abs(numeric) > 1e-3) substantial++;
            Assert.True(Math.Abs(numeric - analytic) <= 0.05 * Math.Abs(numeric) + 2e-4, $"{name}[{index}]: analytic {analytic:E3}, numeric {numeric:E3}");
        }
        Assert.True(substantial >= checks.Length / 2, "the checked gradients are too small to tell anything");
    }

    [Fact]
    public void RowsBecomeBosPromptResponseEosWithThePromptMaskedAndLongRowsKeepTheirStart()
    {
        var model = TrainableEncoder.Load(Fixture("decoder-llama3"), dropout: 0f);
        var sft = new CausalLmLoss(model, maxLength: 12);
        Assert.Equal(286, sft.EosId); // config.json eos_token_id
        var prompt = model.Tokenizer.Encode("Fråga:", addSpecialTokens: false).Ids;
        var response = model.Tokenizer.Encode("ja", addSpecialTokens: false).Ids;
        var (ids, labels) = sft.Sequence("Fråga:", "ja", out bool cut);
        Assert.False(cut);
        int[] expectedIds = [285, .. prompt, .. response, 286]; // Llama 3's post-processor puts <|begin_of_text|> (285) first
        Assert.Equal(expectedIds, ids);
        Assert.Equal([.. Enumerable.Repeat(CausalLmLoss.Ignore, 1 + prompt.Length), .. response, 286], labels);

        var (longIds, longLabels) = sft.Sequence("Fråga:", "ett mycket längre svar", out cut);
        Assert.True(cut);
        Assert.Equal(12, longIds.Length);
        Assert.Equal(expectedIds[..(1 + prompt.Length)], longIds[..(1 + prompt.Length)]);
        Assert.DoesNotContain(286, longLabels); // the end was cut, EOS with it

        var qwen = new CausalLmLoss(TrainableEncoder.Load(Fixture("decoder-qwen2"), dropout: 0f), maxLength: 32);
        Assert.NotEqual(285, qwen.Sequence("Fråga:", "ja", out _).Ids[0]); // Qwen2 adds no BOS

        var (tokens, batchLabels) = sft.Batch(["Fråga:", "Ja?"], ["ja", "nej"]);
        Assert.Equal(2, tokens.Batch);
        Assert.Equal(tokens.Mask.Sum(), ids.Length + sft.Sequence("Ja?", "nej", out _).Ids.Length);
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens.Mask[i] == 0) Assert.Equal(CausalLmLoss.Ignore, batchLabels[i]);
        }
    }

    [Fact]
    public void BidirectionalModelsAndEncodersAreRefused()
    {
        var encoder = TrainableEncoder.Load(Fixture("bert-cased-mean"), dropout: 0f);
        Assert.Contains("causal_lm needs a decoder", Assert.Throws<ArgumentException>(() => new CausalLmLoss(encoder, 32)).Message);
        var model = TrainableEncoder.Load(Fixture("decoder-llama3"), dropout: 0f);
        ((IDecoder)model.Model.Transformer).AttentionMode = AttentionMode.Bidirectional;
        Assert.Contains("causal attention", Assert.Throws<ArgumentException>(() => new CausalLmLoss(model, 32)).Message);
    }

    [Fact]
    public void SkaldTrainFineTunesWithLoraOnAlpacaRowsAndTheAdapterLoadsBack()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var notes = new List<string>();
        var config = ConfigLoader.Parse($"""
            model:
              path: {Fixture("decoder-llama3")}
              dropout: 0
            data:
              train: {Training("sft-alpaca.jsonl")}
              eval: {Training("sft-alpaca.jsonl")}
            training:
              batch_size: 4
              learning_rate: 1.0e-2
              max_steps: 12
              logging_steps: 1
              group_by_length: true
              warmup_steps: 0
            loss:
              type: causal_lm
              max_seq_length: 320
            lora:
              r: 4
              alpha: 8
              dropout: 0
            evaluation:
              steps: 6
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 6
              tensorboard: false
            """, "sft.yaml");
        Assert.False(config.Training.NoDuplicates); // off by default for causal_lm
        // This tiny byte-level vocabulary (29 merges) spends ~200 tokens on an Alpaca prompt: at 120 most rows are cut, and the log says so.
        TrainingRun.Build(config with { Loss = config.Loss with { MaxSeqLength = 120 } }, log: notes.Add);
        Assert.Contains(notes, n => n.Contains("were cut at the end") && n.Contains("120 tokens") && n.Contains("lost their whole response"));
        notes.Clear();
        var setup = TrainingRun.Build(config, log: notes.Add);
        Assert.False(notes.Any(n => n.Contains("were cut") && n.Contains("lost")), string.Join(" / ", notes));
        Assert.NotNull(setup.Train[0].Lengths);
        var result = new SentenceTrainer(setup).Run();
        Assert.Equal(12, result.Steps);
        var rows = MetricsLog.ReadAll(Path.Combine(dir, "run", "metrics.jsonl")).ToList();
        var losses = rows.Select(x => x["loss"]!.Value).ToArray();
        Assert.All(losses, l => Assert.True(l > 0 && double.IsFinite(l)));
        Assert.True(losses.TakeLast(3).Average() < losses.Take(3).Average() - 0.5,
            $"SFT loss {losses.Take(3).Average():F3} → {losses.TakeLast(3).Average():F3}");
        var evalLoss = rows.Where(x => x.ContainsKey("eval_loss")).Select(x => x["eval_loss"]!.Value).ToArray();
        Assert.Equal(2, evalLoss.Length);
        Assert.True(Directory.Exists(Path.Combine(dir, "run", "checkpoints", "step-12")));
        using (var st = SafeTensorsFile.Open(Path.Combine(result.ModelPath, "adapter_model.safetensors")))
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", st.Tensors.Keys); // peft's keys on LlamaForCausalLM
        Assert.Contains("\"CAUSAL_LM\"", File.ReadAllText(Path.Combine(result.ModelPath, "adapter_config.json")));

        // The adapter merged into the base at load gives the trained model's loss; the base alone does not.
        var trained = (TrainableEncoder)setup.Model;
        var sft = (CausalLmLoss)setup.Loss;
        var (tokens, labels) = sft.Batch(setup.Train[0].Rows.Take(6).Select(x => x[0]).ToArray(), setup.Train[0].Rows.Take(6).Select(x => x[1]).ToArray());
        float after = sft.Loss(trained, tokens, labels, backward: false);
        var loaded = TrainableEncoder.Load(Fixture("decoder-llama3"), dropout: 0f, adapters: [result.ModelPath]);
        var baseModel = TrainableEncoder.Load(Fixture("decoder-llama3"), dropout: 0f);
        float reloaded = new CausalLmLoss(loaded, 320).Loss(loaded, tokens, labels, backward: false);
        float before = new CausalLmLoss(baseModel, 320).Loss(baseModel, tokens, labels, backward: false);
        Assert.True(Math.Abs(after - reloaded) <= 1e-3f * after, $"trained {after}, reloaded {reloaded}");
        Assert.True(reloaded < before - 0.5f, $"base {before}, reloaded {reloaded}");
    }
}
