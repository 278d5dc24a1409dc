using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// <c>model.weights</c> in <c>skald train</c> configs: LoRA on a base held in bfloat16 writes the adapter the float32
/// base writes, and <c>lora.save: merged</c> writes float32 W + (alpha/r)·B·A computed from the widened base (checked
/// here with peft's formula from the saved tensors, and by reloading); a full fine-tune with 16-bit weights is one line.
/// </summary>
public sealed class Bf16BaseTrainTests
{
    // Stored in BF16, so the float32 load is the exact upcast of what model.weights: bf16 holds.
    private static readonly string Base = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-llama3-bf16");
    private static readonly string Qwen = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-qwen2");

    private static string NewDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static TrainingConfig Config(string dir, string outName, string weights, string save, string model = "")
    {
        string data = Path.Combine(dir, "pairs.jsonl");
        if (!File.Exists(data))
            File.WriteAllLines(data, Enumerable.Range(0, 32).Select(i => $"{{\"anchor\": \"spørsmål {i} om toget\", \"positive\": \"svar {i}: toget går klokka {i % 12}\"}}"));
        return ConfigLoader.Parse($"""
            model:
              path: {(model.Length > 0 ? model : Base)}
              dropout: 0
              attention: bidirectional
              weights: {weights}
            data:
              train: {data}
            training:
              batch_size: 8
              learning_rate: 1.0e-2
              max_steps: 3
            lora:
              r: 4
              alpha: 8
              dropout: 0
              target_modules: [q_proj, v_proj, o_proj, gate_proj, down_proj]
              save: {save}
            output:
              dir: {Path.Combine(dir, outName)}
              save_steps: 0
              tensorboard: false
            """, "bf16.yaml");
    }

    private static Dictionary<string, (int[] Shape, float[] Values)> Read(string file)
    {
        using var st = SafeTensorsFile.Open(file);
        return st.Tensors.ToDictionary(t => t.Key, t => (t.Value.Shape, st.ReadFloat32(t.Key)));
    }

    private static SafeTensorsDType DType(string file, string key)
    {
        using var st = SafeTensorsFile.Open(file);
        return st.Tensors[key].DType;
    }

    [Fact]
    public void LoraOnABf16BaseSavesTheAdapterOfTheFloat32BaseAndAMergedFloat32Model()
    {
        string dir = NewDir();
        var setup = TrainingRun.Build(Config(dir, "bf16", "bf16", "adapter"));
        Assert.Equal(WeightPrecision.BFloat16, ((Skald.Training.Modeling.TrainableEncoder)setup.Model).Model.WeightPrecision);
        string bf16 = new SentenceTrainer(setup).Run().ModelPath;
        string f32 = new SentenceTrainer(TrainingRun.Build(Config(dir, "f32", "f32", "adapter"))).Run().ModelPath;

        // lora.save: adapter — the same adapter (keys, shapes, values up to float32 summation order) as on the float32 base.
        var a16 = Read(Path.Combine(bf16, "adapter_model.safetensors"));
        var a32 = Read(Path.Combine(f32, "adapter_model.safetensors"));
        Assert.Equal(a32.Keys.Order(), a16.Keys.Order());
        Assert.Equal(File.ReadAllText(Path.Combine(f32, "adapter_config.json")), File.ReadAllText(Path.Combine(bf16, "adapter_config.json")));
        bool moved = false;
        foreach (var (key, (shape, values)) in a32)
        {
            Assert.Equal(shape, a16[key].Shape);
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - a16[key].Values[i]) <= 1e-5f, $"{key}[{i}]: f32 base {values[i]:R}, bf16 base {a16[key].Values[i]:R}");
            moved |= key.Contains("lora_B", StringComparison.Ordinal) && values.Any(v => v != 0f);
        }
        Assert.True(moved, "the adapter did not train");

        // lora.save: merged — float32 tensors equal to peft's merge W + (alpha/r)·B·A of the widened bf16 base and the
        // adapter above (the same seeded run), computed here in double.
        string merged = new SentenceTrainer(TrainingRun.Build(Config(dir, "merged", "bf16", "merged"))).Run().ModelPath;
        string mergedFile = Path.Combine(merged, "model.safetensors");
        var m = Read(mergedFile);
        // The merged decoder is saved as LLM2Vec saves one: the base model's keys without the ForCausalLM "model." prefix.
        var w = Read(Path.Combine(Base, "model.safetensors")).ToDictionary(
            kv => kv.Key.StartsWith("model.", StringComparison.Ordinal) ? kv.Key["model.".Length..] : kv.Key, kv => kv.Value);
        Assert.Equal(w.Keys.Order(), m.Keys.Order());
        const double scale = 8.0 / 4;
        int adapted = 0;
        foreach (var (key, (shape, values)) in w)
        {
            Assert.Equal(SafeTensorsDType.F32, DType(mergedFile, key));
            Assert.Equal(shape, m[key].Shape);
            var expected = values.Select(v => (double)v).ToArray();
            string module = key.EndsWith(".weight", StringComparison.Ordinal) ? key[..^".weight".Length] : key;
            if (a16.TryGetValue($"base_model.model.{module}.lora_A.weight", out var a))
            {
                var b = a16[$"base_model.model.{module}.lora_B.weight"];
                int outF = shape[0], inF = shape[1], r = a.Shape[0];
                for (int o = 0; o < outF; o++)
                {
                    for (int i = 0; i < inF; i++)
                    {
                        double sum = 0;
                        for (int k = 0; k < r; k++) sum += (double)b.Values[o * r + k] * a.Values[k * inF + i];
                        expected[o * inF + i] += scale * sum;
                    }
                }
                adapted++;
            }
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - m[key].Values[i]) <= 1e-6 + 1e-6 * Math.Abs(expected[i]), $"{key}[{i}]: expected {expected[i]:R}, saved {m[key].Values[i]:R}");
        }
        Assert.Equal(2 * 5, adapted); // 2 layers × 5 target modules

        // Reloaded, the merged folder embeds as the float32 base with the adapter merged at load.
        string[] texts = ["spørsmål 3 om toget", "svar 7: toget går"];
        var viaMerged = SentenceEncoder.Load(merged).Encode(texts);
        var viaAdapter = SentenceEncoder.Load(Base, [bf16]).Encode(texts);
        for (int t = 0; t < texts.Length; t++)
        {
            for (int i = 0; i < viaAdapter[t].Length; i++)
                Assert.True(Math.Abs(viaAdapter[t][i] - viaMerged[t][i]) <= 1e-5f, $"text {t}[{i}]: {viaAdapter[t][i]:R} vs {viaMerged[t][i]:R}");
        }
    }

    [Fact]
    public void MntpLoraStepThroughA16BitLmHeadEqualsTheStepOnItsFloat32Upcast()
    {
        // MNTP's vocabulary projection runs outside the tape on the LM head (untied here; tied heads are the embedding table).
        var texts = new TrainingBatch([["spørsmål om toget i dag", "hej hallo", "en litt lengre setning om været", "kva tid går bussen?"]]);
        (float Loss, float[][] Grads) Step(WeightPrecision p)
        {
            var model = Skald.Training.Modeling.TrainableEncoder.For(SentenceEncoder.Load(Base, precision: p).WithAttention(Skald.Models.Architectures.AttentionMode.Bidirectional), dropout: 0f, seed: 5);
            model.EnableLora(new Skald.Models.Adapters.LoraConfig { R = 4, Alpha = 8, Dropout = 0f, TargetModules = ["q_proj", "v_proj", "down_proj"] }, seed: 3);
            var rng = new Random(17);
            foreach (var b in model.Parameters.Where(q => q.Name.Contains("lora_B", StringComparison.Ordinal)))
            {
                var v = b.Data.Span;
                for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
            }
            model.ZeroGradients();
            float loss = new Skald.Training.Losses.MaskedNextTokenLoss(model, 0.4f, allMask: false).ComputeAndBackward(model, texts);
            return (loss, [.. model.Parameters.Select(q => q.Grad.ToArray())]);
        }

        var half = Step(WeightPrecision.BFloat16);
        var full = Step(WeightPrecision.Float32);
        Assert.True(full.Loss > 0f);
        Assert.Equal(full.Loss, half.Loss, 1e-5f);
        Assert.Contains(half.Grads, g => g.Any(v => v != 0f));
        for (int k = 0; k < full.Grads.Length; k++)
        {
            float scale = Math.Max(1e-6f, full.Grads[k].Max(MathF.Abs));
            for (int i = 0; i < full.Grads[k].Length; i++)
                Assert.True(Math.Abs(full.Grads[k][i] - half.Grads[k][i]) <= 1e-5 * scale, $"grad {k}[{i}]: {full.Grads[k][i]:R} vs {half.Grads[k][i]:R}");
        }
    }

    [Fact]
    public void AutoKeepsA16BitCheckpointIn16BitsOnlyUnderLora()
    {
        string dir = NewDir();
        Assert.Equal(WeightPrecision.BFloat16, BaseWeights.Resolve(Config(dir, "a", "auto", "adapter"), Base));
        Assert.Equal(WeightPrecision.Float32, BaseWeights.Resolve(Config(dir, "b", "auto", "adapter", Qwen), Qwen)); // stored in F32
        Assert.Equal(WeightPrecision.Float16, BaseWeights.Resolve(Config(dir, "c", "f16", "adapter"), Base));
        var full = ConfigLoader.Parse($"model: {{path: {Base}, weights: auto}}\ndata: {{train: x.jsonl}}\noutput: {{dir: {dir}}}", "full.yaml");
        Assert.Equal(WeightPrecision.Float32, BaseWeights.Resolve(full, Base)); // a full fine-tune trains float32 weights
    }

    [Theory]
    [InlineData("bf16")]
    [InlineData("f16")]
    public void AFullFineTuneWith16BitWeightsIsOneLineNamingTheKey(string weights)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            $"model:\n  path: {Base}\n  weights: {weights}\ndata: {{train: x.jsonl}}\noutput: {{dir: out}}", "full.yaml"));
        Assert.Equal($"full.yaml:3: model.weights {weights} keeps the base frozen in 16 bits, so it needs a lora section (LoRA adapters " +
            "train on the frozen base); use model.weights: f32 to train the weights themselves", e.Message);

        var set = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            $"model: {{path: {Base}}}\ndata: {{train: x.jsonl}}\noutput: {{dir: out}}", "full.yaml", [$"model.weights={weights}"]));
        Assert.StartsWith($"--set: model.weights {weights} keeps the base frozen", set.Message);

        var bad = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            $"model: {{path: {Base}, weights: f8}}\ndata: {{train: x.jsonl}}\nlora: {{r: 4}}\noutput: {{dir: out}}", "bad.yaml"));
        Assert.Contains("model.weights", bad.Message);
        Assert.Contains("f8", bad.Message);
    }
}
