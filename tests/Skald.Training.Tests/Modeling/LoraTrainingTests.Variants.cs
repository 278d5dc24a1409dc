using System.Text.Json;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>LoRA's variants through training: rsLoRA, DoRA, the embedding table, all-linear targets, alpha / rank patterns, modules_to_save, and bad adapters and targets.</summary>
public sealed partial class LoraTrainingTests
{
    /// <summary>
    /// <c>lora.use_rslora</c>: the adapters scale their update by alpha / √r (peft's rsLoRA), the saved
    /// adapter_config.json says so, and loading it back applies the same scale (the reloaded model embeds as the trained
    /// one; with alpha / r it would not).
    /// </summary>
    [Fact]
    public void RsLoraScalesByTheRootOfTheRankAndRoundTrips()
    {
        var config = SmallRun(2, "use_rslora: true");
        Assert.True(config.Lora!.UseRsLora);
        var setup = TrainingRun.Build(config);
        var model = (Skald.Training.Modeling.TrainableEncoder)setup.Model;
        var adapters = model.Model.Parameters.Where(p => p.Lora is not null).Select(p => p.Lora!).ToList();
        Assert.NotEmpty(adapters);
        Assert.All(adapters, a => Assert.Equal(8f / MathF.Sqrt(4f), a.Scale)); // alpha / √r = 4, not alpha / r = 2
        var run = new SentenceTrainer(setup).Run();
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.ModelPath, "adapter_config.json"))))
            Assert.True(doc.RootElement.GetProperty("use_rslora").GetBoolean());
        string[] texts = ["spørsmål 3", "svar 7"];
        var trained = model.Model.Encode(texts);
        var reloaded = SentenceEncoder.Load(Decoder, [run.ModelPath]).Encode(texts);
        for (int i = 0; i < texts.Length; i++) Near(trained[i], reloaded[i], 1e-5f, "reloaded rsLoRA adapter");
    }

    /// <summary>
    /// <c>lora.use_dora</c> through <c>skald train</c>: the magnitudes train (with lora dropout), are checkpointed and
    /// resumed exactly, are saved as peft saves them, and the reloaded adapter and the merged model embed as the trained
    /// model does.
    /// </summary>
    [Fact]
    public void DoraTrainsResumesAndRoundTripsAsAnAdapterOrMerged()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 32).Select(i => $"{{\"anchor\": \"spørsmål {i}\", \"positive\": \"svar {i}\"}}"));
        TrainingConfig Config(string name, string save) => ConfigLoader.Parse($$"""
            model: {path: {{Decoder}}, dropout: 0, attention: bidirectional}
            data: {train: {{data}}}
            training: {batch_size: 8, learning_rate: 1.0e-2, max_steps: 4}
            lora: {r: 4, alpha: 8, dropout: 0.1, use_dora: true, save: {{save}}}
            output: {dir: {{Path.Combine(dir, name)}}, save_steps: 2, tensorboard: false}
            """, "dora.yaml");
        var setup = TrainingRun.Build(Config("full", "adapter"));
        Assert.True(setup.Config.Lora!.UseDora);
        var model = (TrainableEncoder)setup.Model;
        var magnitudes = model.Parameters.Where(p => p.Name.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * 7, magnitudes.Count);
        var initial = magnitudes.Select(m => m.Data.ToArray()).ToList();
        var full = new SentenceTrainer(setup).Run();
        Assert.Contains(magnitudes.Zip(initial), pair => !pair.First.Data.Span.SequenceEqual(pair.Second)); // they trained
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(full.ModelPath, "adapter_config.json"))))
            Assert.True(doc.RootElement.GetProperty("use_dora").GetBoolean());
        using (var st = SafeTensorsFile.Open(Path.Combine(full.ModelPath, "adapter_model.safetensors")))
            Assert.Equal([64], st.Tensors["base_model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"].Shape);

        AssertKilledRunResumesExactly(Config("cut", "adapter"), full);

        string[] texts = ["spørsmål 3", "svar 7"];
        var trained = model.Model.Encode(texts);
        var viaAdapter = SentenceEncoder.Load(Decoder, [full.ModelPath]).Encode(texts);
        var viaMerged = SentenceEncoder.Load(new SentenceTrainer(TrainingRun.Build(Config("merged", "merged"))).Run().ModelPath).Encode(texts);
        var untrained = SentenceEncoder.Load(Decoder).WithAttention(AttentionMode.Bidirectional).Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Near(trained[i], viaAdapter[i], 1e-5f, "reloaded DoRA adapter");
            Near(trained[i], viaMerged[i], 1e-5f, "merged DoRA model");
        }
        Assert.NotEqual(untrained[0], trained[0]);
    }

    /// <summary>
    /// <c>target_modules: [embed_tokens, ...]</c>: the vocabulary table gets peft's Embedding LoRA (lora_embedding_A
    /// [r, V] from zero, lora_embedding_B [C, r]), it trains, is saved under peft's keys, and the reloaded adapter embeds
    /// as the trained model does. With <c>use_dora</c> the table gets peft's DoRA embedding too: a magnitude per column,
    /// starting at the table's column norms, trained and saved as <c>lora_magnitude_vector</c>.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoraOnTheEmbeddingTableTrainsAndRoundTrips(bool dora)
    {
        var config = SmallRun(3, "target_modules: [embed_tokens, q_proj]" + (dora ? ", use_dora: true" : ""));
        var setup = TrainingRun.Build(config);
        var model = (TrainableEncoder)setup.Model;
        var table = model.Model.Parameters.Single(p => p.Name == "embed_tokens.weight");
        var adapter = Assert.IsType<Tensors.Autograd.LoraAdapter>(table.Lora);
        Assert.True(adapter.Embedding);
        int vocab = table.Shape[0];
        Assert.Equal([4, vocab], adapter.A.Shape);
        Assert.All(adapter.A.Data.ToArray(), x => Assert.Equal(0f, x)); // peft: A from zero, B ~ N(0, 1)
        var initial = adapter.Magnitude?.Data.ToArray();
        if (dora)
        {
            var w = table.Data.ToArray();
            for (int c = 0; c < 64; c++) // peft's DoraEmbeddingVariant.init: the column norms of the table
                Assert.Equal(Math.Sqrt(Enumerable.Range(0, vocab).Sum(v => (double)w[v * 64 + c] * w[v * 64 + c])), initial![c], 1e-4);
        }
        else Assert.Null(initial);
        var run = new SentenceTrainer(setup).Run();
        Assert.Contains(adapter.A.Data.ToArray(), x => x != 0f); // it trained
        if (dora) Assert.NotEqual(initial, adapter.Magnitude!.Data.ToArray());
        using (var st = SafeTensorsFile.Open(Path.Combine(run.ModelPath, "adapter_model.safetensors")))
        {
            Assert.Equal([4, vocab], st.Tensors["base_model.model.embed_tokens.lora_embedding_A"].Shape);
            Assert.Equal([64, 4], st.Tensors["base_model.model.embed_tokens.lora_embedding_B"].Shape);
            Assert.Contains("base_model.model.layers.0.self_attn.q_proj.lora_A.weight", st.Tensors.Keys);
            Assert.Equal(dora, st.Tensors.ContainsKey("base_model.model.embed_tokens.lora_magnitude_vector"));
            if (dora) Assert.Equal([64], st.Tensors["base_model.model.embed_tokens.lora_magnitude_vector"].Shape);
        }
        string[] texts = ["spørsmål 3", "svar 7"];
        var trained = model.Model.Encode(texts);
        var reloaded = SentenceEncoder.Load(Decoder, [run.ModelPath]).Encode(texts);
        for (int i = 0; i < texts.Length; i++) Near(trained[i], reloaded[i], 1e-5f, "reloaded embedding adapter");
        Assert.NotEqual(SentenceEncoder.Load(Decoder).WithAttention(AttentionMode.Bidirectional).Encode(texts)[0], trained[0]);
    }

    /// <summary>
    /// peft's <c>target_modules: all-linear</c>: every linear layer (not the lookup tables, not lm_head), written to
    /// adapter_config.json spelt out as peft does; on a BERT the position and type tables are left out too.
    /// </summary>
    [Fact]
    public void AllLinearTargetsEveryLinearLayerAndIsSavedSpeltOut()
    {
        var config = SmallRun(1, "target_modules: all-linear");
        var setup = TrainingRun.Build(config);
        var model = (TrainableEncoder)setup.Model;
        Assert.Equal(LoraConfig.DecoderProjections.Order(), model.Lora!.TargetModules.Order());
        Assert.Equal(2 * 7, model.Model.Parameters.Count(p => p.Lora is not null));
        Assert.Null(model.Model.Parameters.Single(p => p.Name == "embed_tokens.weight").Lora);
        var run = new SentenceTrainer(setup).Run();
        Assert.Equal(LoraConfig.DecoderProjections.Order(), LoraConfig.Read(Path.Combine(run.ModelPath, "adapter_config.json")).TargetModules.Order());

        var bert = SentenceEncoder.Load(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "bert-cased-mean"));
        var resolved = PeftAdapters.ResolveTargets(new LoraConfig { TargetPattern = "all-linear", TargetModules = [] }, bert.Transformer.Parameters);
        Assert.Null(resolved.TargetPattern);
        Assert.Equal(["dense", "key", "query", "value"], resolved.TargetModules.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// <c>target_modules</c> given as one string is peft's regular expression over whole module names: only the modules it
    /// matches train (here q_proj and v_proj of both layers, not k_proj), adapter_config.json keeps the string as peft
    /// writes it, and the folder loads back to the trained embeddings. A string that is no regular expression is one line
    /// naming the key. (It was read as one module name, so a peft user's pattern matched nothing.)
    /// </summary>
    [Fact]
    public void TargetModulesAsOneStringIsPeftsRegularExpression()
    {
        const string pattern = @"layers\.[0-9]+\.self_attn\.(q_proj|v_proj)";
        var config = SmallRun(1, $"target_modules: '{pattern}'");
        Assert.Equal(pattern, config.Lora!.TargetPattern);
        var setup = TrainingRun.Build(config);
        var model = (TrainableEncoder)setup.Model;
        var adapted = model.Model.Parameters.Where(p => p.Lora is not null).Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["layers.0.self_attn.q_proj.weight", "layers.0.self_attn.v_proj.weight", "layers.1.self_attn.q_proj.weight",
            "layers.1.self_attn.v_proj.weight"], adapted);
        var run = new SentenceTrainer(setup).Run();
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.ModelPath, "adapter_config.json"))))
            Assert.Equal(pattern, doc.RootElement.GetProperty("target_modules").GetString());
        string[] texts = ["spørsmål 3", "svar 7"];
        var trained = model.Model.Encode(texts);
        var reloaded = SentenceEncoder.Load(Decoder, [run.ModelPath]).Encode(texts);
        for (int i = 0; i < texts.Length; i++) Near(trained[i], reloaded[i], 1e-5f, "reloaded pattern adapter");

        var bad = Assert.Throws<TrainingException>(() => SmallRun(1, "target_modules: '(q_proj'"));
        Assert.StartsWith("lora.yaml", bad.Message, StringComparison.Ordinal);
        Assert.Contains("lora.target_modules '(q_proj'", bad.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A <c>lora</c> section without <c>target_modules</c> on a BERT: the default (LLM2Vec's decoder projections) matches
    /// none of its layers, and the line says the key was left out and what to set (peft would have picked query and
    /// value); a list given on purpose that matches nothing gets the plain line.
    /// </summary>
    [Fact]
    public void DefaultTargetsOnAnEncoderNameTheKeyToSet()
    {
        string bert = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "bert-cased-mean");
        var decoderRun = SmallRun(1, "use_rslora: false");
        var config = decoderRun with { Model = decoderRun.Model with { Path = bert, Attention = null } };
        var defaulted = Assert.Throws<TrainingException>(() => TrainingRun.Build(config));
        Assert.Contains("match no linear layer", defaulted.Message, StringComparison.Ordinal);
        Assert.Contains("lora.target_modules was left out", defaulted.Message, StringComparison.Ordinal);
        Assert.Contains("target_modules: [query, value]", defaulted.Message, StringComparison.Ordinal);

        var given = config with { Lora = config.Lora! with { TargetModules = ["q_proj"] } };
        var plain = Assert.Throws<TrainingException>(() => TrainingRun.Build(given));
        Assert.DoesNotContain("left out", plain.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A saved adapter with peft's per-module settings: alpha_pattern gives q_proj its own alpha (scale 16/2, k_proj the
    /// default 8/2), rank_pattern and layers_to_transform (layer 0 of a ForCausalLM's <c>model.layers</c>: peft finds the
    /// index after a dotted part preceded by another) are read; the merged weights are computed here.
    /// </summary>
    [Fact]
    public void AlphaPatternScalesItsModulesAndRankPatternAndLayersAreAccepted()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """
            {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "k_proj"], "layers_to_transform": [0],
             "rank_pattern": {"q_proj": 2, "k_proj": 2}, "alpha_pattern": {"q_proj": 16}}
            """);
        var rng = new Random(3);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5))];
        var base_ = SentenceEncoder.Load(Decoder).Transformer.Parameters.ToDictionary(p => p.Name);
        var adapters = new Dictionary<string, (float[] A, float[] B, int Out, float Scale)>
        {
            ["q_proj"] = (Values(2 * 64), Values(64 * 2), 64, 16f / 2), ["k_proj"] = (Values(2 * 64), Values(32 * 2), 32, 8f / 2),
        };
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), [.. adapters.SelectMany(kv => new[]
        {
            new TensorToWrite($"base_model.model.model.layers.0.self_attn.{kv.Key}.lora_A.weight", [2, 64], kv.Value.A),
            new TensorToWrite($"base_model.model.model.layers.0.self_attn.{kv.Key}.lora_B.weight", [kv.Value.Out, 2], kv.Value.B),
        })]);
        var merged = SentenceEncoder.Load(Decoder, [dir]).Transformer.Parameters.ToDictionary(p => p.Name);
        foreach (var (module, (a, b, outF, scale)) in adapters)
        {
            string key = $"layers.0.self_attn.{module}.weight";
            var w = base_[key].Data.ToArray();
            var m = merged[key].Data.ToArray();
            for (int o = 0; o < outF; o++)
            {
                for (int k = 0; k < 64; k++)
                {
                    double expected = w[o * 64 + k] + scale * (b[o * 2] * a[k] + b[o * 2 + 1] * a[64 + k]);
                    Assert.True(Math.Abs(expected - m[o * 64 + k]) <= 1e-5, $"{module}[{o}, {k}]: expected {expected}, got {m[o * 64 + k]}");
                }
            }
        }
        Assert.Equal(base_["layers.1.self_attn.q_proj.weight"].Data.ToArray(), merged["layers.1.self_attn.q_proj.weight"].Data.ToArray());
    }

    /// <summary>peft's modules_to_save: the adapter file's whole copy of a module replaces the model's tensor.</summary>
    [Fact]
    public void ModulesToSaveReplaceTheirTensors()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"),
            """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "modules_to_save": ["embed_tokens"]}""");
        int vocab = SentenceEncoder.Load(Decoder).Transformer.Parameters.Single(p => p.Name == "embed_tokens.weight").Shape[0];
        var table = Enumerable.Range(0, vocab * 64).Select(i => (float)Math.Sin(i)).ToArray();
        TensorToWrite[] tensors =
        [
            new("base_model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 64], new float[128]),
            new("base_model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], new float[128]),
            new("base_model.model.embed_tokens.weight", [vocab, 64], table),
        ];
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), tensors);
        var loaded = SentenceEncoder.Load(Decoder, [dir]).Transformer.Parameters.Single(p => p.Name == "embed_tokens.weight");
        Assert.Equal(table, loaded.Data.ToArray());

        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), [.. tensors, new("base_model.model.score.weight", [2, 64], new float[128])]);
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Decoder, [dir]));
        Assert.Contains("score.weight is neither an adapter tensor nor in modules_to_save", e.Message);
    }

    [Fact]
    public void BadAdaptersAndTargetsAreOneClearLine()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "fan_in_fan_out": true, "target_modules": ["q_proj"]}""");
        var conv = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Decoder, [dir]));
        Assert.Contains("fan_in_fan_out", conv.Message);
        Assert.Contains("adapter_config.json", conv.Message);

        // DoRA: use_dora without the magnitudes, or magnitudes without use_dora, name the tensor and the setting.
        TensorToWrite[] fitting =
        [
            new("base_model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 64], new float[128]),
            new("base_model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], new float[128]),
        ];
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), fitting);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "use_dora": true, "target_modules": ["q_proj"]}""");
        var dora = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Decoder, [dir]));
        Assert.Contains("q_proj.lora_magnitude_vector", dora.Message);
        Assert.Contains("use_dora", dora.Message);
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"),
            [.. fitting, new("base_model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", [64], new float[64])]);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");
        var plain = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Decoder, [dir]));
        Assert.Contains("q_proj.lora_magnitude_vector", plain.Message);
        Assert.Contains("use_dora", plain.Message);

        // An adapter for another base: shapes that do not fit name the tensor.
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"),
        [
            new TensorToWrite("base_model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 32], new float[64]),
            new TensorToWrite("base_model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], new float[128]),
        ]);
        var shape = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Decoder, [dir]));
        Assert.Contains("q_proj.lora_A.weight", shape.Message);
        Assert.Contains("different base", shape.Message);

        var model = TrainableEncoder.Load(Decoder);
        var none = Assert.Throws<ModelFormatException>(() => model.EnableLora(new LoraConfig { TargetModules = ["query"] }, 1));
        Assert.Contains("match no linear layer", none.Message);
    }
}
