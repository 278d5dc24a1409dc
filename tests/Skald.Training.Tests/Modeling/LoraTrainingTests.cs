using System.Text.Json;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>LoRA on a decoder against PyTorch (fixtures/training/make_lora_reference.py), and through `skald train`.</summary>
public sealed partial class LoraTrainingTests
{
    private static readonly string Decoder = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-qwen2");

    private static TokenBatch Pad(IReadOnlyList<int[]> rows)
    {
        int seq = rows.Max(r => r.Length);
        var ids = new int[rows.Count * seq];
        var mask = new int[rows.Count * seq];
        for (int b = 0; b < rows.Count; b++)
        {
            rows[b].CopyTo(ids, b * seq);
            for (int t = 0; t < rows[b].Length; t++) mask[b * seq + t] = 1;
        }
        return new TokenBatch(ids, mask, new int[ids.Length], rows.Count, seq);
    }

    private static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];

    private static void Near(float[] expected, ReadOnlySpan<float> actual, float atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + 1e-4f * Math.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // DoRA: make_lora_reference.py --dora
    public void ThreeStepsAndTheMergedModelEqualPyTorch(bool dora)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", dora ? "dora.json" : "lora.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(Decoder, dropout: 0f);
        var decoder = Assert.IsAssignableFrom<IDecoder>(model.Model.Transformer);
        decoder.AttentionMode = AttentionMode.Bidirectional;
        var before = model.Model.Forward(new Tensors.Autograd.Tape(recording: false), Pad([[5, 6, 7, 8]]), normalize: true).Span.ToArray();
        model.EnableLora(new LoraConfig
        {
            R = r.GetProperty("rank").GetInt32(), Alpha = r.GetProperty("alpha").GetSingle(), Dropout = 0f, UseDora = dora,
            TargetModules = [.. r.GetProperty("targets").EnumerateArray().Select(t => t.GetString()!)],
        }, seed: 1);
        var byName = model.Parameters.ToDictionary(p => p.Name);
        Assert.Equal(2 * 7 * (dora ? 3 : 2), byName.Count); // 2 layers × 7 projections × (A, B[, magnitude])
        foreach (var a in r.GetProperty("initial_a").EnumerateObject()) Floats(a.Value).CopyTo(byName[a.Name + ".lora_A.weight"].Data.Span);
        Assert.All(model.Model.Parameters, p => Assert.False(p.RequiresGrad));
        // Attached adapters leave the model unchanged (B = 0; DoRA's magnitude = the row norms).
        Near(before, model.Model.Forward(new Tensors.Autograd.Tape(recording: false), Pad([[5, 6, 7, 8]]), normalize: true).Span, 1e-6f, "unchanged");

        var adam = new AdamW(model.Parameters, weightDecay: r.GetProperty("weight_decay").GetSingle());
        var loss = new MultipleNegativesRankingLoss(20f);
        var tape = new Tensors.Autograd.Tape();
        var expectedLosses = Floats(r.GetProperty("losses"));
        int step = 0;
        foreach (var batch in r.GetProperty("batches").EnumerateArray())
        {
            var rows = batch.EnumerateArray().Select(row => row.EnumerateArray().Select(s => s.EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray()).ToArray();
            model.ZeroGradients();
            tape.Reset();
            var anchors = model.Model.Forward(tape, Pad([.. rows.Select(x => x[0])]), normalize: true);
            var positives = model.Model.Forward(tape, Pad([.. rows.Select(x => x[1])]), normalize: true);
            var columns = new[] { new EmbeddingBatch(anchors.Span.ToArray(), rows.Length, anchors.Cols), new EmbeddingBatch(positives.Span.ToArray(), rows.Length, positives.Cols) };
            var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
            float value = loss.Compute(columns, null, grads);
            Assert.True(Math.Abs(value - expectedLosses[step]) <= 1e-5f * Math.Max(1f, expectedLosses[step]), $"step {step}: loss {value}, PyTorch {expectedLosses[step]}");
            tape.Seed(anchors, grads[0].Data);
            tape.Seed(positives, grads[1].Data);
            tape.Backward();
            GradientClipping.ClipGlobalNorm(model.Parameters, r.GetProperty("clip").GetSingle());
            adam.Step(r.GetProperty("lr").GetSingle());
            step++;
        }
        tape.Reset();
        Assert.Equal(3, step);
        foreach (var a in r.GetProperty("final_a").EnumerateObject()) Near(Floats(a.Value), byName[a.Name + ".lora_A.weight"].Data.Span, 2e-5f, a.Name + " A");
        foreach (var b in r.GetProperty("final_b").EnumerateObject()) Near(Floats(b.Value), byName[b.Name + ".lora_B.weight"].Data.Span, 2e-5f, b.Name + " B");
        if (dora)
        {
            foreach (var m in r.GetProperty("final_m").EnumerateObject())
                Near(Floats(m.Value), byName[m.Name + ".lora_magnitude_vector"].Data.Span, 2e-5f, m.Name + " magnitude");
        }
        Assert.All(model.Model.Parameters, p => Assert.Equal(0f, p.Grad.Span.ToArray().Select(Math.Abs).Sum())); // frozen: untouched

        // The adapter saved in peft's layout, merged into a freshly loaded base, gives PyTorch's merged-model embeddings.
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"), "adapter");
        model.Save(dir);
        using (var st = SafeTensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors")))
        {
            Assert.Contains("base_model.model.layers.1.mlp.up_proj.lora_A.weight", st.Tensors.Keys);
            Assert.Equal([72, 4], st.Tensors["base_model.model.layers.1.mlp.up_proj.lora_B.weight"].Shape);
            Assert.Equal(dora, st.Tensors.TryGetValue("base_model.model.layers.1.mlp.up_proj.lora_magnitude_vector", out var magnitude));
            if (dora) Assert.Equal([72], magnitude!.Shape);
        }
        var config = LoraConfig.Read(Path.Combine(dir, "adapter_config.json"));
        Assert.Equal(2f, config.Scale);
        Assert.Equal(dora, config.UseDora);
        var merged = SentenceEncoder.Load(Decoder, [dir]);
        ((IDecoder)merged.Transformer).AttentionMode = AttentionMode.Bidirectional;
        var anchorRows = r.GetProperty("batches")[0].EnumerateArray().Select(row => row[0].EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray();
        var mtape = new Tensors.Autograd.Tape(recording: false);
        var embeddings = merged.Forward(mtape, Pad(anchorRows), normalize: true).Span.ToArray();
        var expected = r.GetProperty("merged_anchor_embeddings").EnumerateArray().SelectMany(Floats).ToArray();
        Near(expected, embeddings, 1e-5f, "merged embedding");
    }

    /// <summary>A run of <paramref name="cut"/> killed at step 3 resumes from its step-2 checkpoint and saves the adapter
    /// <paramref name="full"/> saved, byte for byte.</summary>
    private static void AssertKilledRunResumesExactly(TrainingConfig cut, TrainingResult full)
    {
        Assert.Throws<OperationCanceledException>(() => new SentenceTrainer(TrainingRun.Build(cut,
            p => { if (p.Step == 3) throw new OperationCanceledException(); })).Run());
        var resumed = new SentenceTrainer(TrainingRun.Build(cut)).Run();
        Assert.EndsWith("step-2", resumed.ResumedFrom);
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.ModelPath, "adapter_model.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed.ModelPath, "adapter_model.safetensors")));
    }

    [Fact]
    public void SkaldTrainWithLoraSavesAnAdapterOrAMergedModelAndResumes()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 40).Select(i => $"{{\"anchor\": \"spørsmål {i} om toget\", \"positive\": \"svar {i}: toget går klokka {i % 12}\"}}"));
        TrainingConfig Config(string outDir, string save) => ConfigLoader.Parse($"""
            model:
              path: {Decoder}
              dropout: 0
              attention: bidirectional
            data:
              train: {data}
            training:
              batch_size: 8
              learning_rate: 1.0e-3
              max_steps: 6
            lora:
              r: 4
              alpha: 8
              save: {save}
            output:
              dir: {outDir}
              save_steps: 2
              tensorboard: false
            """, "lora.yaml");

        var full = new SentenceTrainer(TrainingRun.Build(Config(Path.Combine(dir, "full"), "adapter"))).Run();
        Assert.True(File.Exists(Path.Combine(full.ModelPath, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(full.ModelPath, "README.md")));
        using (var ckpt = SafeTensorsFile.Open(Path.Combine(dir, "full", "checkpoints", "step-6", "model.safetensors")))
            Assert.All(ckpt.Tensors.Keys, k => Assert.Contains(".lora_", k)); // checkpoints hold the adapters only

        AssertKilledRunResumesExactly(Config(Path.Combine(dir, "cut"), "adapter"), full);

        // lora.save: merged writes the whole model with the adapter merged in: it embeds as base + adapter does.
        var mergedRun = new SentenceTrainer(TrainingRun.Build(Config(Path.Combine(dir, "merged"), "merged"))).Run();
        string[] texts = ["spørsmål 3 om toget", "svar 7"];
        // model.attention: bidirectional made the plain decoder an LLM2Vec model: the adapter carries llm2vec_config.json
        // and the merged model is saved as LLM2Vec saves one; both load bidirectionally, with LLM2Vec's inputs.
        Assert.True(File.Exists(Path.Combine(full.ModelPath, "llm2vec_config.json")));
        Assert.True(File.Exists(Path.Combine(mergedRun.ModelPath, "llm2vec_config.json")));
        Assert.False(File.Exists(Path.Combine(mergedRun.ModelPath, "modules.json")));
        var viaAdapter = SentenceEncoder.Load(Decoder, [full.ModelPath]);
        var viaMerged = SentenceEncoder.Load(mergedRun.ModelPath);
        foreach (var e in new[] { viaAdapter, viaMerged })
        {
            Assert.NotNull(e.Folder.Llm2Vec);
            Assert.Equal(AttentionMode.Bidirectional, ((IDecoder)e.Transformer).AttentionMode);
        }
        var a = viaAdapter.Encode(texts);
        var m = viaMerged.Encode(texts);
        for (int i = 0; i < texts.Length; i++) Near(a[i], m[i], 1e-5f, "merged vs adapter");
        var untrained = SentenceEncoder.Load(Decoder).WithAttention(AttentionMode.Bidirectional);
        Assert.NotEqual(untrained.Encode(texts)[0], a[0]);
    }

    /// <summary>
    /// A `skald train` config: LoRA (r 4, alpha 8, no dropout, and <paramref name="lora"/>) on the bidirectional decoder,
    /// <paramref name="steps"/> steps over 16 pairs, in a new folder.
    /// </summary>
    private static TrainingConfig SmallRun(int steps, string lora)
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 16).Select(i => $"{{\"anchor\": \"spørsmål {i}\", \"positive\": \"svar {i}\"}}"));
        return ConfigLoader.Parse($$"""
            model: {path: {{Decoder}}, dropout: 0, attention: bidirectional}
            data: {train: {{data}}}
            training: {batch_size: 8, learning_rate: 1.0e-2, max_steps: {{steps}}}
            lora: {r: 4, alpha: 8, dropout: 0, {{lora}}}
            output: {dir: {{Path.Combine(dir, "out")}}, save_steps: 0, tensorboard: false}
            """, "lora.yaml");
    }
}
