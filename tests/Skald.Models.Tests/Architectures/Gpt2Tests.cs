using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// GPT-2 (model_type gpt2, GPT-SW3) beyond the shared decoder parity and generation tests: GPT2Config's keys and
/// defaults, refused values, the Conv1D weights held transposed and written back as stored, transformers'
/// initialisation, and the gradients of a training pass against torch autograd in float64
/// (fixtures/models/make_gpt2.py, ref_gpt2.py).
/// </summary>
public sealed class Gpt2Tests(ITestOutputHelper output)
{
    private static TransformerConfig Config(string fixture) =>
        TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel(fixture), "config.json"));

    [Fact]
    public void ConfigReadsGpt2KeysWithTransformersDefaults()
    {
        var gpt2 = Config("decoder-gpt2");
        Assert.Equal((32, 4, 2, 64, 288), (gpt2.HiddenSize, gpt2.NumHeads, gpt2.NumLayers, gpt2.MaxPositionEmbeddings, gpt2.VocabSize));
        Assert.Equal(4 * 32, gpt2.IntermediateSize); // n_inner null
        Assert.Equal(("gelu_new", 1e-5f, true), (gpt2.HiddenAct, gpt2.LayerNormEps, gpt2.TieWordEmbeddings));
        Assert.True(gpt2.ScaleAttnWeights && gpt2.ScaleAttnByInverseLayerIdx);
        var sw3 = Config("decoder-gpt2-sw3");
        Assert.Equal(("gelu", 48, false, false), (sw3.HiddenAct, sw3.IntermediateSize, sw3.TieWordEmbeddings, sw3.ScaleAttnWeights));
        // The attribute_map names stand in for the GPT-2 ones, and a bare config gets GPT2Config's defaults.
        string dir = TestPaths.NewTempDir();
        var bare = TransformerConfig.Load(TestPaths.WriteFile(dir, "config.json", """{"model_type": "gpt2", "hidden_size": 48, "num_attention_heads": 6}"""));
        Assert.Equal((48, 6, 12, 1024, 50257, 192), (bare.HiddenSize, bare.NumHeads, bare.NumLayers, bare.MaxPositionEmbeddings, bare.VocabSize, bare.IntermediateSize));
        Assert.Equal(("gelu_new", 0.02f, false), (bare.HiddenAct, bare.InitializerRange, bare.ScaleAttnByInverseLayerIdx));
    }

    [Theory]
    [InlineData("""{"model_type": "gpt2", "activation_function": "swish"}""", "activation_function \"swish\" is not supported")]
    [InlineData("""{"model_type": "gpt2", "n_embd": 50, "n_head": 4}""", "n_embd 50 is not a multiple of n_head 4")]
    [InlineData("""{"model_type": "gpt2", "n_layer": 0}""", "key \"n_layer\" must be a positive integer")]
    [InlineData("""{"model_type": "gpt2", "layer_norm_epsilon": 0}""", "key \"layer_norm_epsilon\" must be a small positive number")]
    [InlineData("""{"model_type": "gpt2", "scale_attn_weights": "yes"}""", "key \"scale_attn_weights\" must be true or false")]
    public void UnsupportedConfigValuesAreOneLineNamingFileAndKey(string json, string message)
    {
        string path = TestPaths.WriteFile(TestPaths.NewTempDir(), "config.json", json);
        var error = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Conv1DWeightsAreHeldTransposedAndWrittenBackAsStored()
    {
        string folder = TestPaths.FixtureModel("decoder-gpt2");
        var model = (IDecoder)ArchitectureRegistry.Load(folder);
        var cAttn = model.Parameters.Single(p => p.Name == "h.1.attn.c_attn.weight");
        Assert.Equal([96, 32], cAttn.Shape);
        Assert.True(cAttn.StoredTransposed);
        Assert.False(model.Parameters.Single(p => p.Name == "h.1.attn.c_attn.bias").StoredTransposed);
        using (var stored = Checkpoint.OpenFolder(folder, "transformer."))
        {
            var raw = stored.Read("h.1.attn.c_attn.weight", 32, 96); // [in, out] as transformers' Conv1D stores it
            for (int o = 0; o < 96; o++)
                for (int i = 0; i < 32; i++) Assert.Equal(raw[i * 96 + o], cAttn.Data.Span[o * 32 + i]);
        }

        // Written through StoredLayout (as the savers do) the folder holds [in, out] again and loads to the same states.
        string copy = TestPaths.NewTempDir();
        File.Copy(Path.Combine(folder, "config.json"), Path.Combine(copy, "config.json"));
        SafeTensorsWriter.Write(Path.Combine(copy, "model.safetensors"), model.Parameters.Select(p => StoredLayout.Tensor(p.Name, p, Values(p))));
        using (var written = Checkpoint.OpenFolder(copy))
        {
            Assert.Equal([32, 96], written.Shape("h.1.attn.c_attn.weight"));
            Assert.Equal([128, 32], written.Shape("h.0.mlp.c_proj.weight"));
            Assert.Equal([288, 32], written.Shape("wte.weight"));
        }
        var reloaded = ArchitectureRegistry.Load(copy);
        var c = DecoderParityTests.ReadCases(folder)[0];
        Assert.Equal(model.Forward(new Tape(recording: false), c.Tokens).Span.ToArray(),
            reloaded.Forward(new Tape(recording: false), c.Tokens).Span.ToArray());
    }

    [Fact]
    public void NewModelFollowsGpt2Initialisation()
    {
        var config = Config("decoder-gpt2");
        var model = ArchitectureRegistry.Initialize(config, seed: 3);
        double Std(string name)
        {
            var v = model.Parameters.Single(p => p.Name == name).Data.Span.ToArray();
            return Math.Sqrt(v.Sum(x => (double)x * x) / v.Length);
        }
        // c_proj (attention and MLP): 0.02 / √(2·n_layer) = 0.01; the other weights 0.02 (thousands of draws each).
        Assert.InRange(Std("h.0.attn.c_proj.weight"), 0.009, 0.011);
        Assert.InRange(Std("h.1.mlp.c_proj.weight"), 0.009, 0.011);
        Assert.InRange(Std("h.0.attn.c_attn.weight"), 0.019, 0.021);
        Assert.InRange(Std("wte.weight"), 0.019, 0.021);
        Assert.All(model.Parameters.Single(p => p.Name == "h.0.ln_1.weight").Data.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(model.Parameters.Single(p => p.Name == "ln_f.bias").Data.ToArray(), x => Assert.Equal(0f, x));
        Assert.True(model.Parameters.Single(p => p.Name == "h.0.mlp.c_fc.weight").StoredTransposed);
    }

    [Fact]
    public void PositionsBeyondWpeAreRefused()
    {
        var model = ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-gpt2"));
        int t = model.MaxSequenceLength + 1;
        var tokens = new TokenBatch(new int[t], Enumerable.Repeat(1, t).ToArray(), new int[t], 1, t);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new Tape(recording: false), tokens));
        Assert.Contains("exceeds the model's 64 positions", error.Message);
    }

    [Fact]
    public void GradientsOfATrainingPassMatchTorchAutograd()
    {
        var folder = TestPaths.FixtureModel("decoder-gpt2");
        var model = ArchitectureRegistry.Load(folder);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_training.json")));
        var r = doc.RootElement;
        var ids = Ints2(r.GetProperty("input_ids"));
        var mask = Ints2(r.GetProperty("attention_mask"));
        int b = ids.Length, t = ids[0].Length;
        var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
        var weights = r.GetProperty("weights").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(x => x.GetSingle())).ToArray();
        foreach (var p in model.Parameters) p.Grad.Span.Clear();
        var tape = new Tape();
        var y = model.Forward(tape, tokens); // [B·T, C]; the weights are 0 on padding
        double loss = 0;
        for (int i = 0; i < weights.Length; i++) loss += (double)weights[i] * y.Span[i];
        Assert.Equal(r.GetProperty("loss").GetDouble(), loss, 1e-3);
        tape.Seed(y, weights);
        tape.Backward();
        var byName = model.Parameters.ToDictionary(p => p.Name);
        Assert.Equal(byName.Count, r.GetProperty("gradients").EnumerateObject().Count());
        double worst = 0;
        foreach (var g in r.GetProperty("gradients").EnumerateObject())
        {
            var grad = byName[g.Name].Grad.Span; // Conv1D: the [out, in] weight's gradient, as the fixture gives it
            var index = g.Value.GetProperty("index").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var value = g.Value.GetProperty("value").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < index.Length; i++)
            {
                double d = Math.Abs(grad[index[i]] - value[i]);
                Assert.True(d <= 1e-4 * Math.Max(1, Math.Abs(value[i])), $"{g.Name}[{index[i]}]: {grad[index[i]]} vs {value[i]}");
                worst = Math.Max(worst, d);
            }
            double norm = Math.Sqrt(grad.ToArray().Sum(x => (double)x * x));
            Assert.True(Math.Abs(g.Value.GetProperty("norm").GetDouble() - norm) <= 1e-4 * Math.Max(1, norm), $"{g.Name}: norm {norm}");
        }
        output.WriteLine($"gradients: max |diff| {worst:E2}");
    }

    private static float[] Values(Parameter p) // wte stays in its file: read it out
    {
        var values = new float[p.Length];
        p.Widen(0, values);
        return values;
    }

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];
}
