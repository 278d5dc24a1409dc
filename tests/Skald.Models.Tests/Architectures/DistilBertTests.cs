using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// DistilBERT (model_type distilbert) against the plain-PyTorch reference of fixtures/models/make_distilbert.py
/// (ref_distilbert.py, in float64): last hidden states of right-padded batches from a DistilBertForMaskedLM folder (keys
/// under <c>distilbert.</c>, the MLM head beside them), the same rows when the batch is padded on the left, the
/// sentence-transformers folder shaped like distiluse-base-multilingual-cased-v2 (mean pooling, Dense 32 → 24 tanh)
/// embedding texts, and the gradients of a loss on its embeddings; 1e-5 absolute. Also DistilBertConfig's keys,
/// aliases and defaults, refused values, and the initializer.
/// </summary>
public sealed class DistilBertTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    private sealed record Case(TokenBatch Tokens, float[][][] Hidden);

    private static List<Case> ReadCases(string folder) =>
        File.ReadLines(Path.Combine(folder, "expected_distilbert.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            var hidden = r.GetProperty("last_hidden_state").EnumerateArray()
                .Select(seq => seq.EnumerateArray().Select(Floats).ToArray()).ToArray();
            return new Case(Tokens(r), hidden);
        }).ToList();

    private static TokenBatch Tokens(JsonElement r)
    {
        var ids = Ints2(r.GetProperty("input_ids"));
        var mask = Ints2(r.GetProperty("attention_mask"));
        int b = ids.Length, t = ids[0].Length;
        return new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
    }

    /// <summary>The same rows padded on the left: each row's real tokens moved to its end.</summary>
    private static TokenBatch LeftPadded(TokenBatch right)
    {
        int b = right.Batch, t = right.Seq;
        var ids = new int[b * t];
        var mask = new int[b * t];
        for (int row = 0; row < b; row++)
        {
            int n = right.Mask.AsSpan(row * t, t).Count(1);
            right.Ids.AsSpan(row * t, n).CopyTo(ids.AsSpan(row * t + t - n, n));
            mask.AsSpan(row * t + t - n, n).Fill(1);
        }
        return new TokenBatch(ids, mask, new int[b * t], b, t);
    }

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];

    private static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];

    /// <summary>The largest difference over the real tokens; each must be within the tolerance.</summary>
    private static float CompareRealTokens(Case c, TokenBatch tokens, ReadOnlySpan<float> hidden, int width, string what)
    {
        float worst = 0;
        int t = tokens.Seq;
        for (int b = 0; b < c.Hidden.Length; b++)
        {
            int first = tokens.Mask.AsSpan(b * t, t).IndexOf(1); // 0 right-padded, T − n left-padded
            for (int i = 0; i < c.Hidden[b].Length; i++)
                for (int j = 0; j < width; j++)
                {
                    float got = hidden[(b * t + first + i) * width + j];
                    float d = MathF.Abs(got - c.Hidden[b][i][j]);
                    Assert.True(d <= Tolerance, $"{what}: row {b} token {i} dim {j}: {got} vs {c.Hidden[b][i][j]}");
                    worst = MathF.Max(worst, d);
                }
        }
        return worst;
    }

    [Fact]
    public void HiddenStatesMatchPyTorchReference()
    {
        var folder = TestPaths.FixtureModel("distilbert-tiny");
        var model = Assert.IsType<DistilBert>(ArchitectureRegistry.Load(folder)); // distilbert. stripped, the MLM head left out
        Assert.DoesNotContain(model.Parameters, p => p.Name.StartsWith("distilbert.", StringComparison.Ordinal) || p.Name.StartsWith("vocab_", StringComparison.Ordinal));
        var cases = ReadCases(folder);
        Assert.Equal(2, cases.Count);
        float worst = 0;
        foreach (var c in cases)
        {
            foreach (var tokens in new[] { c.Tokens, LeftPadded(c.Tokens) })
            {
                worst = MathF.Max(worst, CompareRealTokens(c, tokens, model.Forward(new Tape(recording: false), tokens).Span, model.HiddenSize, "inference"));
                worst = MathF.Max(worst, CompareRealTokens(c, tokens, model.Forward(new Tape(), tokens).Span, model.HiddenSize, "recording"));
                var ck = new Tape { Checkpointing = true };
                worst = MathF.Max(worst, CompareRealTokens(c, tokens, model.Forward(ck, tokens).Span, model.HiddenSize, "checkpointing"));
            }
        }
        output.WriteLine($"distilbert-tiny: max |diff| {worst:E2}");
    }

    [Fact]
    public void SentenceTransformersFolderWithDenseTanhEmbedsTextsAsTheReference()
    {
        var folder = TestPaths.FixtureModel("distiluse-tiny");
        var encoder = SentenceEncoder.Load(folder);
        Assert.IsType<DistilBert>(encoder.Transformer);
        Assert.Equal(24, encoder.Dimension); // Dense 32 → 24
        var rows = File.ReadLines(Path.Combine(folder, "expected_st.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var texts = rows.Select(r => r.GetProperty("text").GetString()!).ToList();
        var encodings = encoder.Tokenize(texts);
        for (int i = 0; i < rows.Count; i++)
            Assert.Equal(rows[i].GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()), encodings[i].Ids);
        var embeddings = encoder.Encode(texts); // one padded batch
        float worst = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var expected = Floats(rows[i].GetProperty("embedding"));
            Assert.Equal(expected.Length, embeddings[i].Length);
            for (int j = 0; j < expected.Length; j++)
            {
                float d = MathF.Abs(expected[j] - embeddings[i][j]);
                Assert.True(d <= Tolerance, $"text {i} dim {j}: {embeddings[i][j]} vs {expected[j]}");
                worst = MathF.Max(worst, d);
            }
        }
        output.WriteLine($"distiluse-tiny: max |diff| {worst:E2}");
    }

    [Fact]
    public void GradientsOfALossOnDenseEmbeddingsMatchTorchAutograd()
    {
        var folder = TestPaths.FixtureModel("distiluse-tiny");
        var encoder = SentenceEncoder.Load(folder);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_training.json")));
        var r = doc.RootElement;
        var tokens = Tokens(r);
        var weights = r.GetProperty("weights").EnumerateArray().SelectMany(Floats).ToArray();
        var tape = new Tape();
        foreach (var p in encoder.Parameters) p.Grad.Span.Clear();
        var y = encoder.Forward(tape, tokens); // [B, 24]: mean pooling, Dense tanh, no Normalize module
        double loss = 0;
        for (int i = 0; i < weights.Length; i++) loss += (double)weights[i] * y.Span[i];
        Assert.Equal(r.GetProperty("loss").GetDouble(), loss, 1e-5);
        tape.Seed(y, weights);
        tape.Backward();
        var byName = encoder.Parameters.ToDictionary(p => p.Name);
        var expected = r.GetProperty("gradients").EnumerateObject().ToList();
        Assert.Equal(byName.Keys.Order(StringComparer.Ordinal), expected.Select(g => g.Name).Order(StringComparer.Ordinal)); // every parameter, named as upstream
        double worst = 0;
        foreach (var g in expected)
        {
            var grad = byName[g.Name].Grad.Span;
            var index = g.Value.GetProperty("index").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var value = g.Value.GetProperty("value").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < index.Length; i++)
            {
                double d = Math.Abs(grad[index[i]] - value[i]);
                Assert.True(d <= Tolerance, $"{g.Name}[{index[i]}]: {grad[index[i]]} vs {value[i]}");
                worst = Math.Max(worst, d);
            }
            double norm = Math.Sqrt(grad.ToArray().Sum(x => (double)x * x));
            Assert.Equal(g.Value.GetProperty("norm").GetDouble(), norm, 1e-4);
        }
        output.WriteLine($"gradients: max |diff| {worst:E2}");
    }

    [Fact]
    public void DropoutActsWhereUpstreamsDoesAndIsBitIdenticalWithGradientCheckpointing()
    {
        var folder = TestPaths.FixtureModel("distiluse-tiny");
        var encoder = SentenceEncoder.Load(folder);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_training.json")));
        var tokens = Tokens(doc.RootElement);
        var weights = doc.RootElement.GetProperty("weights").EnumerateArray().SelectMany(Floats).ToArray();
        (float[] Output, float[][] Grads) Run(bool checkpointing, float dropout)
        {
            foreach (var p in encoder.Parameters) p.Grad.Span.Clear();
            var tape = new Tape { Dropout = dropout, Training = true, Random = new Skald.Tensors.SkaldRandom(5), Checkpointing = checkpointing };
            var y = encoder.Forward(tape, tokens);
            var result = y.Span.ToArray();
            tape.Seed(y, weights);
            tape.Backward();
            return (result, [.. encoder.Parameters.Select(p => p.Grad.ToArray())]);
        }
        var plain = Run(false, 0.2f);
        var checkpointed = Run(true, 0.2f);
        Assert.Equal(plain.Output, checkpointed.Output);
        for (int i = 0; i < plain.Grads.Length; i++) Assert.Equal(plain.Grads[i], checkpointed.Grads[i]);
        Assert.NotEqual(Run(false, 0f).Output, plain.Output);
    }

    [Fact]
    public void ConfigReadsDistilBertKeysWithTransformersDefaults()
    {
        var c = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("distilbert-tiny"), "config.json"));
        Assert.Equal(("distilbert", 32, 4, 2, 48, 40, 800), (c.ModelType, c.HiddenSize, c.NumHeads, c.NumLayers, c.IntermediateSize, c.MaxPositionEmbeddings, c.VocabSize));
        Assert.Equal(("gelu", 1e-12f, "DistilBertForMaskedLM"), (c.HiddenAct, c.LayerNormEps, c.Architecture));
        // The attribute_map names stand in for DistilBERT's, and a bare config gets DistilBertConfig's defaults.
        string dir = TestPaths.NewTempDir();
        var bare = TransformerConfig.Load(TestPaths.WriteFile(dir, "config.json", """{"model_type": "distilbert", "hidden_size": 48, "num_attention_heads": 6, "num_hidden_layers": 3}"""));
        Assert.Equal((48, 6, 3, 3072, 512, 30522), (bare.HiddenSize, bare.NumHeads, bare.NumLayers, bare.IntermediateSize, bare.MaxPositionEmbeddings, bare.VocabSize));
        Assert.Equal(("gelu", 0.02f, 0), (bare.HiddenAct, bare.InitializerRange, bare.PadTokenId));
        var defaults = TransformerConfig.Load(TestPaths.WriteFile(dir, "config.json", """{"model_type": "distilbert"}"""));
        Assert.Equal((768, 12, 6), (defaults.HiddenSize, defaults.NumHeads, defaults.NumLayers));
    }

    [Theory]
    [InlineData("""{"model_type": "distilbert", "sinusoidal_pos_embds": true}""", "key \"sinusoidal_pos_embds\" true (a fixed sinusoidal position table) is not supported yet")]
    [InlineData("""{"model_type": "distilbert", "activation": "swish"}""", "activation \"swish\" is not supported")]
    [InlineData("""{"model_type": "distilbert", "dim": 50, "n_heads": 4}""", "dim 50 is not a multiple of n_heads 4")]
    [InlineData("""{"model_type": "distilbert", "n_layers": 0}""", "key \"n_layers\" must be a positive integer")]
    [InlineData("""{"model_type": "distilbert", "hidden_dim": "big"}""", "key \"hidden_dim\" must be an integer")]
    [InlineData("""{"model_type": "distilbert", "sinusoidal_pos_embds": "no"}""", "key \"sinusoidal_pos_embds\" must be true or false")]
    public void UnsupportedConfigValuesAreOneLineNamingFileAndKey(string json, string message)
    {
        string path = TestPaths.WriteFile(TestPaths.NewTempDir(), "config.json", json);
        var error = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void InitializerFollowsUpstream()
    {
        var config = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("distilbert-tiny"), "config.json"));
        var model = Assert.IsType<DistilBert>(ArchitectureRegistry.Initialize(config, 7));
        var p = model.Parameters.ToDictionary(x => x.Name);
        var word = p["embeddings.word_embeddings.weight"].Data.ToArray();
        Assert.All(word.AsSpan(0, config.HiddenSize).ToArray(), v => Assert.Equal(0f, v)); // padding_idx 0
        double std = Math.Sqrt(word.Skip(config.HiddenSize).Average(v => (double)v * v));
        Assert.InRange(std, 0.018, 0.022); // initializer_range 0.02
        Assert.All(p["transformer.layer.1.attention.q_lin.bias"].Data.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(p["transformer.layer.0.sa_layer_norm.weight"].Data.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(p["transformer.layer.1.output_layer_norm.bias"].Data.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(p["embeddings.LayerNorm.weight"].Data.ToArray(), v => Assert.Equal(1f, v));
    }
}
