using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests;

/// <summary>
/// Per-layer outputs (<see cref="HiddenStates"/>, what AdaptiveLayerLoss pools) and <see cref="LayerTruncation"/>: a
/// model cut to its first n layers gives, at its last layer, exactly layer n's output of the whole model (with the
/// final norm of ModernBERT and the decoders applied on top, computed here from the checkpoint's own norm weights),
/// so each reported layer is what a shorter model of the same weights computes — NorBERT3 and NorBERT4 included, whose
/// upstream code reports other per-layer outputs.
/// </summary>
public sealed class LayerTruncationTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string[] Texts = ["Hei", "Dette er en lengre setning enn den første.", "Hej verden, här är en mening på svenska."];

    [Theory]
    [InlineData("bert-cased-mean", 1, null)]
    [InlineData("xlmr-cls-f16", 1, null)]
    [InlineData("modernbert-tiny", 2, "model.final_norm.weight")]
    [InlineData("modernbert-tiny", 3, "model.final_norm.weight")]
    [InlineData("norbert3-tiny", 1, null)]
    [InlineData("distilbert-tiny", 1, null)]
    [InlineData("norbert4-tiny", 1, null)]
    [InlineData("norbert4-tiny", 3, null)]
    [InlineData("gte-multilingual-tiny", 1, null)]
    [InlineData("decoder-llama3", 1, "model.norm.weight")]
    [InlineData("decoder-gemma2", 1, "model.norm.weight")]
    [InlineData("decoder-gpt2", 1, "transformer.ln_f.weight")]
    public void ACutModelEndsWhereTheWholeModelsLayerDid(string name, int keep, string? finalNorm)
    {
        string source = TestPaths.FixtureModel(name);
        var whole = SentenceEncoder.Load(source);
        int total = whole.Transformer.Config.NumLayers;
        string cut = Path.Combine(dir, $"{name}-{keep}");
        Assert.Equal(total, LayerTruncation.Write(source, keep, cut));

        var tokens = TokenBatch.Pad(whole.Tokenize(Texts), whole.PadId, whole.PaddingSide);
        var states = new HiddenStates();
        var last = whole.Transformer.Forward(new Tape(recording: false) { DirectAttention = true }, tokens, states).Span.ToArray();
        Assert.Equal(total, states.Layers.Count);
        int c = whole.Transformer.HiddenSize;
        var expected = states.Layers[keep - 1].Span.ToArray();
        if (finalNorm is not null)
        {
            using var weights = Checkpoint.OpenFolder(source);
            var w = weights.Read(finalNorm, c);
            string biasKey = finalNorm.Replace(".weight", ".bias", StringComparison.Ordinal);
            var b = weights.Keys.Contains(biasKey) ? weights.Read(biasKey, c) : null;
            for (int i = 0; i < tokens.Count; i++) Norm(expected.AsSpan(i * c, c), w, b, whole.Transformer.Config);
        }
        else Assert.Equal(last, states.Layers[^1].Span.ToArray()); // BERT's last layer output is last_hidden_state

        var small = SentenceEncoder.Load(cut);
        Assert.Equal(keep, small.Transformer.Config.NumLayers);
        var got = new float[tokens.Count * c];
        small.TokenStates(tokens, got);
        float worst = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens.Mask[i] == 0) continue;
            for (int j = 0; j < c; j++) worst = MathF.Max(worst, MathF.Abs(got[i * c + j] - expected[i * c + j]));
        }
        Assert.True(worst <= 2e-5f, $"{name}, {keep} layers: {worst:E2}");
        using (var written = Checkpoint.OpenFolder(cut))
        using (var original = Checkpoint.OpenFolder(source))
        {
            Assert.DoesNotContain(written.Keys, k => k.Contains($"layers.{keep}.", StringComparison.Ordinal) || k.Contains($"layer.{keep}.", StringComparison.Ordinal)
                || k.Contains($"h.{keep}.", StringComparison.Ordinal));
            foreach (var k in written.Keys) Assert.Equal(original.DType(k), written.DType(k)); // stored precision kept (xlmr-cls-f16: F16)
        }
    }

    /// <summary>
    /// The final norm as each architecture applies it: LayerNorm without bias (ModernBERT, norm_bias false) or with one
    /// (GPT-2's ln_f), RMSNorm (Llama), RMSNorm scaling by 1 + w (Gemma).
    /// </summary>
    private static void Norm(Span<float> x, float[] w, float[]? b, TransformerConfig config)
    {
        double mean = 0, sq = 0;
        foreach (float v in x) mean += v;
        mean /= x.Length;
        if (config.ModelType is "modernbert" or "gpt2")
        {
            foreach (float v in x) sq += (v - mean) * (v - mean);
            double inv = 1 / Math.Sqrt(sq / x.Length + config.LayerNormEps);
            for (int j = 0; j < x.Length; j++) x[j] = (float)((x[j] - mean) * inv * w[j] + (b?[j] ?? 0));
            return;
        }
        foreach (float v in x) sq += v * (double)v;
        double r = 1 / Math.Sqrt(sq / x.Length + config.RmsNormEps);
        bool gemma = config.ModelType.StartsWith("gemma", StringComparison.Ordinal);
        for (int j = 0; j < x.Length; j++) x[j] = (float)(x[j] * r * (gemma ? 1 + w[j] : w[j]));
    }

    [Fact]
    public void BadRequestsGetOneLineNamingTheModel()
    {
        string source = TestPaths.FixtureModel("bert-cased-mean");
        var e = Assert.Throws<ModelFormatException>(() => LayerTruncation.Write(source, 2, Path.Combine(dir, "a")));
        Assert.Contains("has 2 layers; keep between 1 and 1 of them, not 2", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "a")));

        // A GPT-BERT config that also carries num_hidden_layers: num_layers (what GPT-BERT reads) is cut, and both agree.
        string both = Path.Combine(dir, "norbert4-both");
        TestPaths.CopyFolder(TestPaths.FixtureModel("norbert4-tiny"), both);
        var configPath = Path.Combine(both, "config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["num_hidden_layers"] = config["num_layers"]!.GetValue<int>();
        File.WriteAllText(configPath, config.ToJsonString());
        string cutBoth = Path.Combine(dir, "norbert4-both-2");
        LayerTruncation.Write(both, 2, cutBoth);
        var written = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(cutBoth, "config.json")))!.AsObject();
        Assert.Equal((2, 2), (written["num_layers"]!.GetValue<int>(), written["num_hidden_layers"]!.GetValue<int>()));
        Assert.Equal(2, SentenceEncoder.Load(cutBoth).Transformer.Config.NumLayers);
    }

    [Theory]
    [InlineData(null)] // a LoRA on a cross-encoder
    [InlineData("SEQ_CLS")] // a sequence classifier over an embedding model
    public void ACrossEncoderAdapterIsOneLineNamingWhatCutsIt(string? taskType)
    {
        // Its head and config.json are the cross-encoder saver's, which skald truncate-layers calls for one.
        string adapter = taskType is null
            ? Skald.Tests.BertLoraFolder.Write(Path.Combine(dir, "adapter"), TestPaths.FixtureModel("ce-bert"), "bert.")
            : Skald.Tests.BertLoraFolder.Write(Path.Combine(dir, "adapter"), TestPaths.FixtureModel("bert-cased-mean"), taskType: taskType);
        var e = Assert.Throws<ModelFormatException>(() => LayerTruncation.Write(adapter, 1, Path.Combine(dir, "cut")));
        Assert.Contains("CrossEncoderSaver.Save(CrossEncoder.Load(path), folder, layers)", e.Message, StringComparison.Ordinal);
        Assert.StartsWith(adapter + ":", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "cut")));
    }
}
