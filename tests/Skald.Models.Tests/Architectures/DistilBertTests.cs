using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// DistilBERT (model_type distilbert) against the plain-PyTorch reference of fixtures/models/make_distilbert.py
/// (ref_distilbert.py, in float64): last hidden states of right-padded batches from a DistilBertForMaskedLM folder (keys
/// under <c>distilbert.</c>, the MLM head beside them), the same rows when the batch is padded on the left, the
/// sentence-transformers folder shaped like distiluse-base-multilingual-cased-v2 (mean pooling, Dense 32 → 24 tanh)
/// embedding texts, and the gradients of a loss on its embeddings; 1e-5 absolute; a sinusoidal_pos_embds folder with
/// upstream's fixed table. Also DistilBertConfig's keys, aliases and defaults, refused values, and the initializer
/// (the sinusoidal table computed as upstream's).
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
            return new Case(PooledLossReference.Tokens(r), hidden);
        }).ToList();

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

    private static float[] Floats(JsonElement e) => PooledLossReference.Floats(e);

    private static float CompareRealTokens(Case c, TokenBatch tokens, ReadOnlySpan<float> hidden, int width, string what) =>
        PooledLossReference.CompareRealTokens(c.Hidden, tokens, hidden, width, what, Tolerance);

    [Theory]
    [InlineData("distilbert-tiny")]
    [InlineData("distilbert-sinusoidal-tiny")] // sinusoidal_pos_embds: the stored fixed table, not trained
    public void HiddenStatesMatchPyTorchReference(string fixture)
    {
        var folder = TestPaths.FixtureModel(fixture);
        var model = Assert.IsType<DistilBert>(ArchitectureRegistry.Load(folder)); // distilbert. stripped, the MLM head left out
        Assert.Equal(fixture != "distilbert-tiny", !model.Parameters.Single(p => p.Name == "embeddings.position_embeddings.weight").RequiresGrad);
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
        output.WriteLine($"{fixture}: max |diff| {worst:E2}");
    }

    [Fact]
    public void ASinusoidalCheckpointWithoutThePositionKeyGetsUpstreamsTable()
    {
        // transformers' _init_weights computes a sinusoidal table the checkpoint does not hold; the reference's states
        // were made with the stored one, which is that same table.
        string source = TestPaths.FixtureModel("distilbert-sinusoidal-tiny"), dir = TestPaths.NewTempDir();
        foreach (string f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        using (var w = Checkpoint.OpenFile(Path.Combine(source, "model.safetensors")))
        {
            var kept = w.Keys.Where(k => k != "embeddings.position_embeddings.weight").ToList();
            Assert.Equal(w.Keys.Count() - 1, kept.Count);
            SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), [.. kept.Select(k => new TensorToWrite(k, w.Shape(k), w.Read(k, w.Shape(k))))]);
        }
        var model = Assert.IsType<DistilBert>(ArchitectureRegistry.Load(dir));
        Assert.False(model.Parameters.Single(p => p.Name == "embeddings.position_embeddings.weight").RequiresGrad);
        float worst = 0;
        foreach (var c in ReadCases(source))
            worst = MathF.Max(worst, CompareRealTokens(c, c.Tokens, model.Forward(new Tape(recording: false), c.Tokens).Span, model.HiddenSize, "computed table"));
        output.WriteLine($"max |diff| {worst:E2}");
    }

    [Fact]
    public void SentenceTransformersFolderWithDenseTanhEmbedsTextsAsTheReference()
    {
        var folder = TestPaths.FixtureModel("distiluse-tiny");
        var encoder = SentenceEncoder.Load(folder);
        Assert.IsType<DistilBert>(encoder.Transformer);
        Assert.Equal(24, encoder.Dimension); // Dense 32 → 24
        float worst = PooledLossReference.CheckTextEmbeddings(encoder, folder, Tolerance);
        output.WriteLine($"distiluse-tiny: max |diff| {worst:E2}");
    }

    [Fact]
    public void GradientsOfALossOnDenseEmbeddingsMatchTorchAutograd()
    {
        // L = Σ r ⊙ Dense(meanpool(hidden)), no Normalize module; every parameter, named as upstream (2_Dense/linear.*).
        var folder = TestPaths.FixtureModel("distiluse-tiny");
        double worst = PooledLossReference.CheckGradients(SentenceEncoder.Load(folder), folder, Tolerance, everyParameter: true);
        output.WriteLine($"gradients: max |diff| {worst:E2}");
    }

    [Fact]
    public void DropoutTrainingPassIsBitIdenticalWithGradientCheckpointing() =>
        PooledLossReference.CheckDropoutCheckpointing(SentenceEncoder.Load(TestPaths.FixtureModel("distiluse-tiny")), TestPaths.FixtureModel("distiluse-tiny"));

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
        Assert.False(c.SinusoidalPositions);
        Assert.True(TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("distilbert-sinusoidal-tiny"), "config.json")).SinusoidalPositions);
        var defaults = TransformerConfig.Load(TestPaths.WriteFile(dir, "config.json", """{"model_type": "distilbert"}"""));
        Assert.Equal((768, 12, 6), (defaults.HiddenSize, defaults.NumHeads, defaults.NumLayers));
    }

    [Theory]
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

    [Fact]
    public void NewSinusoidalModelGetsUpstreamsTable()
    {
        // The fixture stores the table numpy computed (create_sinusoidal_embeddings); a new model computes its own.
        string folder = TestPaths.FixtureModel("distilbert-sinusoidal-tiny");
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
        var fresh = ArchitectureRegistry.Initialize(config, 7).Parameters.Single(p => p.Name == "embeddings.position_embeddings.weight");
        Assert.False(fresh.RequiresGrad);
        using var stored = Skald.Models.Checkpoints.Checkpoint.OpenFolder(folder);
        var expected = stored.Read("embeddings.position_embeddings.weight", config.MaxPositionEmbeddings, config.HiddenSize);
        var got = fresh.Data.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(MathF.Abs(got[i] - expected[i]) <= 1e-7f, $"[{i / config.HiddenSize}, {i % config.HiddenSize}]: {got[i]} vs {expected[i]}");
    }
}
