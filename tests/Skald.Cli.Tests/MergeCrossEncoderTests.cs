using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald merge</c> of cross-encoder adapters: a SEQ_CLS adapter (peft's sequence classifier, its head whole in
/// modules_to_save) over a base without a head, on an encoder and on a decoder, and a plain LoRA on a cross-encoder,
/// are saved as cross-encoder folders whose scores equal the base with the adapter loaded (within 1e-5), whose
/// weights are the base's merged by hand (W + alpha/r·B·A) with the adapter's head, and whose config.json says what
/// transformers needs (architectures, id2label/label2id, a decoder's pad_token_id). An int8 base is refused in one line.
/// </summary>
public sealed class MergeCrossEncoderTests
{
    internal static readonly (string, string)[] Pairs =
        [("Hvor ligger Bergen?", "Bergen ligger på Vestlandet."), ("Kva tid går ferja?", "Katten søv på trappa."), ("Når stenger butikken?", "Butikken stenger klokka åtte.")];

    internal static float[] Values(int n, int seed, float scale) => [.. Enumerable.Range(0, n).Select(i => scale * MathF.Sin(seed * 11 + i * 0.37f))];

    // One adapter case: the base, the targeted module's key (base_model.model.{Module}), its weight's shape, and the head
    // tensors modules_to_save brings (none for a plain LoRA on a cross-encoder).
    internal sealed record Case(string Fixture, string Module, string Target, int Out, int In, string? TaskType, (string Key, int[] Shape)[] Head, string[] Saved);

    internal static Case Encoder => new("plain-bert", "bert.encoder.layer.0.attention.self.query", "query", 32, 32, "SEQ_CLS",
        [("classifier.weight", [1, 32]), ("classifier.bias", [1]), ("bert.pooler.dense.weight", [32, 32]), ("bert.pooler.dense.bias", [32])],
        ["classifier", "pooler"]);

    internal static Case Decoder => new("decoder-qwen3", "model.layers.0.self_attn.q_proj", "q_proj", 80, 64, "SEQ_CLS",
        [("score.weight", [1, 64])], ["score"]);

    private static Case OnACrossEncoder => new("ce-bert", "bert.encoder.layer.0.attention.self.query", "query", 32, 32, null, [], []);

    private static Case Named(string name) => name switch { "encoder" => Encoder, "decoder" => Decoder, _ => OnACrossEncoder };

    /// <summary>Writes case <paramref name="c"/>'s adapter (a non-zero LoRA, its head tensors) to <paramref name="folder"/>.</summary>
    internal static string WriteAdapter(string folder, Case c)
    {
        Directory.CreateDirectory(folder);
        var config = new Dictionary<string, object?>
        {
            ["peft_type"] = "LORA", ["r"] = 2, ["lora_alpha"] = 4, ["target_modules"] = new[] { c.Target },
            ["base_model_name_or_path"] = TestPaths.FixtureModel(c.Fixture),
        };
        if (c.TaskType is not null) config["task_type"] = c.TaskType;
        if (c.Saved.Length > 0) config["modules_to_save"] = c.Saved;
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), JsonSerializer.Serialize(config));
        var tensors = new List<TensorToWrite>
        {
            new($"base_model.model.{c.Module}.lora_A.weight", [2, c.In], Values(2 * c.In, 1, 0.2f)),
            new($"base_model.model.{c.Module}.lora_B.weight", [c.Out, 2], Values(c.Out * 2, 2, 0.2f)),
        };
        int seed = 3;
        foreach (var (key, shape) in c.Head) tensors.Add(new($"base_model.model.{key}", shape, Values(shape.Aggregate(1, (a, b) => a * b), seed++, 0.3f)));
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        return folder;
    }

    internal static float[] Tensor(string file, string key)
    {
        using var st = SafeTensorsFile.Open(file);
        var info = st.Tensors[key];
        var values = new float[info.ElementCount];
        st.ReadFloat32(info, values);
        return values;
    }

    // The key in the base's own checkpoint: a bare encoder's or decoder's has no class prefix.
    private static string BaseKey(string fixture, string module) => fixture switch
    {
        "plain-bert" => module["bert.".Length..],
        "decoder-qwen3" => module["model.".Length..],
        _ => module,
    };

    [Theory]
    [InlineData("encoder")]
    [InlineData("decoder")]
    [InlineData("on-a-cross-encoder")]
    public void TheMergedFolderIsACrossEncoderThatScoresAsTheAdapterLoaded(string name)
    {
        var c = Named(name);
        string dir = TestPaths.NewTempDir(), model = TestPaths.FixtureModel(c.Fixture);
        string adapter = WriteAdapter(Path.Combine(dir, "adapter"), c), merged = Path.Combine(dir, "merged");
        var r = InProcessSkald.Capture("merge", "--model", model, "--adapters", adapter, "--output", merged);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("a cross-encoder", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"wrote {merged}: ", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(merged, "modules.json")));
        Assert.False(File.Exists(Path.Combine(merged, "adapter_config.json")));
        Assert.True(CrossEncoder.IsCrossEncoder(merged));

        // What transformers reads: the class, the labels (num_labels follows id2label), a decoder's pad id.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "config.json")));
        var root = config.RootElement;
        string expectedClass = c.Fixture == "decoder-qwen3" ? "Qwen3ForSequenceClassification" : "BertForSequenceClassification";
        Assert.Equal([expectedClass], root.GetProperty("architectures").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("LABEL_0", root.GetProperty("id2label").GetProperty("0").GetString());
        Assert.Single(root.GetProperty("id2label").EnumerateObject());
        Assert.Equal(0, root.GetProperty("label2id").GetProperty("LABEL_0").GetInt32());
        Assert.Equal("torch.nn.modules.activation.Sigmoid", root.GetProperty("sentence_transformers").GetProperty("activation_fn").GetString());
        if (c.Fixture == "decoder-qwen3") // no pad token anywhere: the eos id stands in (the tokenizer does not end inputs with it)
        {
            using var baseConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "config.json")));
            Assert.Equal(baseConfig.RootElement.GetProperty("eos_token_id").GetInt32(), root.GetProperty("pad_token_id").GetInt32());
        }

        // The weights: the targeted one is the base's plus 2·B·A (alpha 4 / r 2), computed here; the head is the adapter's
        // (modules_to_save), or the cross-encoder's own.
        string weights = Path.Combine(merged, "model.safetensors");
        float[] a = Values(2 * c.In, 1, 0.2f), b = Values(c.Out * 2, 2, 0.2f);
        float[] w = Tensor(Path.Combine(model, "model.safetensors"), BaseKey(c.Fixture, c.Module) + ".weight");
        float[] got = Tensor(weights, c.Module + ".weight");
        for (int o = 0; o < c.Out; o++)
        {
            for (int i = 0; i < c.In; i++)
            {
                float expected = w[o * c.In + i] + 2f * (b[o * 2] * a[i] + b[o * 2 + 1] * a[c.In + i]);
                Assert.True(MathF.Abs(expected - got[o * c.In + i]) <= 1e-6f, $"{c.Module}[{o},{i}]: {got[o * c.In + i]} vs {expected}");
            }
        }
        int seed = 3;
        foreach (var (key, shape) in c.Head) Assert.Equal(Values(shape.Aggregate(1, (x, y) => x * y), seed++, 0.3f), Tensor(weights, key));
        if (c.Head.Length == 0) Assert.Equal(Tensor(Path.Combine(model, "model.safetensors"), "classifier.weight"), Tensor(weights, "classifier.weight"));

        using var loaded = CrossEncoder.Load(model, [adapter]);
        using var saved = CrossEncoder.Load(merged);
        float[] expectedScores = loaded.Score(Pairs), scores = saved.Score(Pairs);
        for (int i = 0; i < Pairs.Length; i++)
            Assert.True(MathF.Abs(expectedScores[i] - scores[i]) <= 1e-5f, $"pair {i}: {scores[i]} vs {expectedScores[i]}");
        if (c.Head.Length == 0)
        {
            using var plain = CrossEncoder.Load(model);
            Assert.NotEqual(plain.Score(Pairs), scores); // the adapter is in the saved weights
        }
    }

    [Fact]
    public void AMergedSequenceClassificationAdapterCanBeQuantized()
    {
        // skald quantize refuses a SEQ_CLS adapter over a base without a head (QuantizeAdapterFolderTests); merged first it
        // is a cross-encoder folder, which it saves in int8 with the adapter's head, scoring as the merged folder in int8 does.
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) return;
        string dir = TestPaths.NewTempDir(), merged = Path.Combine(dir, "merged"), int8 = Path.Combine(dir, "int8");
        string adapter = WriteAdapter(Path.Combine(dir, "adapter"), Encoder);
        var r = InProcessSkald.Capture("merge", "--model", TestPaths.FixtureModel("plain-bert"), "--adapters", adapter, "--output", merged);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("quantize", "--model", merged, "--output", int8);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var live = CrossEncoder.Load(merged);
        live.KeepInt8Only();
        using var saved = CrossEncoder.Load(int8);
        Assert.Equal(live.Score(Pairs), saved.Score(Pairs));
    }

    [Theory]
    [InlineData("ce-bert")]
    [InlineData("plain-bert")]
    public void AnInt8BaseIsRefusedInOneLine(string fixture)
    {
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) return; // skald quantize cannot make one here
        string dir = TestPaths.NewTempDir(), int8 = Path.Combine(dir, "int8"), merged = Path.Combine(dir, "merged");
        var q = InProcessSkald.Capture("quantize", "--model", TestPaths.FixtureModel(fixture), "--output", int8);
        Assert.True(q.ExitCode == 0, q.Stderr);
        string adapter = fixture == "ce-bert" ? WriteAdapter(Path.Combine(dir, "adapter"), OnACrossEncoder)
            : WriteAdapter(Path.Combine(dir, "adapter"), new Case(fixture, "encoder.layer.0.attention.self.query", "query", 32, 32, null, [], []));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("merge", "--model", int8, "--adapters", adapter, "--output", merged), 1,
            int8 + ": an int8 model", "float32 base");
        Assert.False(Directory.Exists(merged) && Directory.EnumerateFileSystemEntries(merged).Any());
    }
}
