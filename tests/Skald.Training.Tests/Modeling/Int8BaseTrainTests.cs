using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Tensors.Quantization;
using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// <c>model.weights: int8</c>: LoRA on a base whose Linear weights are held in int8 only writes the adapter that LoRA on
/// a float32 base holding those weights dequantised writes (that base built here from the checkpoint with
/// <see cref="Int8Matrix"/>'s own quantise and dequantise, the independent reference); the base really is int8; and a
/// full fine-tune or a merged save on an int8 base is one line naming the key.
/// </summary>
public sealed class Int8BaseTrainTests
{
    private static readonly string Qwen = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-qwen2");

    private static string NewDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static TrainingConfig Config(string dir, string model, string outName, string weights) =>
        ConfigLoader.Parse($"""
            model:
              path: {model}
              dropout: 0
              attention: bidirectional
              weights: {weights}
            data:
              train: {Data(dir)}
            training:
              batch_size: 8
              learning_rate: 1.0e-2
              max_steps: 3
            lora:
              r: 4
              alpha: 8
              dropout: 0
              target_modules: [q_proj, v_proj, o_proj, gate_proj, down_proj]
            output:
              dir: {Path.Combine(dir, outName)}
              save_steps: 0
              tensorboard: false
            """, "int8.yaml");

    private static string Data(string dir)
    {
        string data = Path.Combine(dir, "pairs.jsonl");
        if (!File.Exists(data))
            File.WriteAllLines(data, Enumerable.Range(0, 32).Select(i => $"{{\"anchor\": \"spørsmål {i} om toget\", \"positive\": \"svar {i}: toget går klokka {i % 12}\"}}"));
        return data;
    }

    /// <summary>The fixture with every Linear weight (2-D, not the embedding table) replaced by its int8 round trip.</summary>
    private static string DequantisedBase(string dir)
    {
        string folder = Path.Combine(dir, "dequantised");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.EnumerateFiles(Qwen).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        using var st = SafeTensorsFile.Open(Path.Combine(Qwen, "model.safetensors"));
        var tensors = st.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t =>
        {
            var values = st.ReadFloat32(t.Key);
            if (t.Value.Shape.Length == 2 && !t.Key.Contains("embed_tokens", StringComparison.Ordinal))
                values = Int8Matrix.Quantize(values, t.Value.Shape[0], t.Value.Shape[1]).Dequantize();
            return new TensorToWrite(t.Key, t.Value.Shape, values);
        }).ToList();
        SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        return folder;
    }

    private static Dictionary<string, float[]> Read(string file)
    {
        using var st = SafeTensorsFile.Open(file);
        return st.Tensors.ToDictionary(t => t.Key, t => st.ReadFloat32(t.Key));
    }

    [Fact]
    public void LoraOnAnInt8BaseSavesTheAdapterOfItsDequantisedFloat32Base()
    {
        if (Int8Gemm.Best is null)
        {
            Assert.Fail("this CPU has no int8 kernel: model.weights int8 keeps the base float32 here, so this test cannot check it");
        }
        string dir = NewDir();
        var setup = TrainingRun.Build(Config(dir, Qwen, "int8", "int8"));
        var model = ((TrainableEncoder)setup.Model).Model;
        Assert.True(model.IsInt8Only);
        Assert.All(model.Parameters.Where(p => p.Name.EndsWith("proj.weight", StringComparison.Ordinal)), p => Assert.True(p.IsInt8Only, p.Name));
        Assert.Contains("held in int8", BaseWeights.Describe(setup.Model));
        string int8 = new SentenceTrainer(setup).Run().ModelPath;
        string f32 = new SentenceTrainer(TrainingRun.Build(Config(dir, DequantisedBase(dir), "f32", "f32"))).Run().ModelPath;

        var a8 = Read(Path.Combine(int8, "adapter_model.safetensors"));
        var a32 = Read(Path.Combine(f32, "adapter_model.safetensors"));
        Assert.Equal(a32.Keys.Order(), a8.Keys.Order());
        bool moved = false;
        foreach (var (key, values) in a32)
        {
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - a8[key][i]) <= 1e-5f, $"{key}[{i}]: dequantised f32 base {values[i]:R}, int8 base {a8[key][i]:R}");
            moved |= key.Contains("lora_B", StringComparison.Ordinal) && values.Any(v => v != 0f);
        }
        Assert.True(moved, "the adapter did not train");
    }

    [Fact]
    public void AFullFineTuneOrAMergedSaveOnAnInt8BaseIsOneLineNamingTheKey()
    {
        var full = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            $"model:\n  path: {Qwen}\n  weights: int8\ndata: {{train: x.jsonl}}\noutput: {{dir: out}}", "full.yaml"));
        Assert.Equal("full.yaml:3: model.weights int8 keeps the base frozen in int8, so it needs a lora section (LoRA adapters " +
            "train on the frozen base); use model.weights: f32 to train the weights themselves", full.Message);
        var merged = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            $"model: {{path: {Qwen}, weights: int8}}\ndata: {{train: x.jsonl}}\nlora: {{r: 4, save: merged}}\noutput: {{dir: out}}", "merged.yaml"));
        Assert.StartsWith("merged.yaml:3: lora.save merged writes float32 weights, which an int8 base", merged.Message);
    }
}
