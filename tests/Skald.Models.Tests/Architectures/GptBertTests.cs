using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// NorBERT4 / GPT-BERT against the plain-PyTorch reference (fixtures/models/make_gptbert.py, ref_gptbert.py): a
/// right-padded batch whose longest row is longer than both the local and the global window; last hidden states of
/// the real tokens and their mean within 1e-5; the config reader's one-line errors.
/// </summary>
public sealed class GptBertTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;
    private static readonly string Folder = TestPaths.FixtureModel("norbert4-tiny");

    private sealed record Expected(TokenBatch Tokens, float[][][] Hidden, float[][] Pooled);

    private static Expected Read()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        var r = doc.RootElement;
        int[][] Ints(string key) => [.. r.GetProperty(key).EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];
        float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];
        var ids = Ints("input_ids");
        var mask = Ints("attention_mask");
        int b = ids.Length, t = ids[0].Length;
        var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
        var hidden = r.GetProperty("last_hidden_state").EnumerateArray().Select(s => s.EnumerateArray().Select(Floats).ToArray()).ToArray();
        var pooled = r.GetProperty("mean_pooled").EnumerateArray().Select(Floats).ToArray();
        return new Expected(tokens, hidden, pooled);
    }

    private static float CompareRealTokens(Expected e, Variable hidden)
    {
        int t = e.Tokens.Seq, c = hidden.Cols;
        float worst = 0;
        for (int b = 0; b < e.Tokens.Batch; b++)
        {
            int k = 0;
            for (int s = 0; s < t; s++)
            {
                if (e.Tokens.Mask[b * t + s] == 0) continue;
                worst = MathF.Max(worst, Compare(e.Hidden[b][k++], hidden.Span.Slice((b * t + s) * c, c), $"seq {b} pos {s}"));
            }
            Assert.Equal(e.Hidden[b].Length, k);
        }
        return worst;
    }

    private static float Compare(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int j = 0; j < expected.Length; j++)
        {
            float d = MathF.Abs(expected[j] - actual[j]);
            worst = MathF.Max(worst, d);
            if (!(d <= Tolerance)) Assert.Fail($"{what} component {j}: expected {expected[j]:R}, got {actual[j]:R} (|diff| {d:E2})");
        }
        return worst;
    }

    [Fact]
    public void HiddenStatesAndMeanPoolingMatchPyTorchReference()
    {
        var model = Assert.IsType<GptBert>(ArchitectureRegistry.Load(Folder));
        Assert.Equal("gptbert", model.Config.ModelType);
        var e = Read();
        Assert.True(e.Tokens.Seq > 2 * 8 + 1, "the longest row must exceed the global band");
        float worst = CompareRealTokens(e, model.Forward(new Tape(recording: false), e.Tokens));

        var encoder = SentenceEncoder.Load(Folder);
        var pooled = encoder.Forward(new Tape(recording: false), e.Tokens);
        for (int b = 0; b < e.Tokens.Batch; b++)
            worst = MathF.Max(worst, Compare(e.Pooled[b], pooled.Span.Slice(b * pooled.Cols, pooled.Cols), $"pooled {b}"));
        output.WriteLine($"max |diff| {worst:E2}");
    }

    [Fact]
    public void RecordingAndCheckpointedForwardsEqualInference()
    {
        var model = ArchitectureRegistry.Load(Folder);
        var e = Read();
        var tape = new Tape(recording: true);
        CompareRealTokens(e, model.Forward(tape, e.Tokens));
        Assert.True(tape.Count > 0);
        var checkpointed = new Tape(recording: true) { Checkpointing = true };
        CompareRealTokens(e, model.Forward(checkpointed, e.Tokens));
    }

    [Fact]
    public void ConfigReadsTheGptBertFields()
    {
        var c = TransformerConfig.Load(Path.Combine(Folder, "config.json"));
        Assert.Equal((4, 2, 16, 64, 1e-7f), (c.NumLayers, c.NumHeads, c.HeadSize, c.MaxPositionEmbeddings, c.LayerNormEps));
        var g = Assert.IsType<GptBertSettings>(c.GptBert);
        Assert.Equal((2, 3, 8, false), (g.LocalGlobalRatio, g.LocalWindow, g.GlobalWindow, g.Causal));
        Assert.Equal([false, true, false, true], Enumerable.Range(0, 4).Select(g.IsGlobal));
        Assert.Equal("GptBertForMaskedLM", c.Architecture);
    }

    [Theory]
    [InlineData("num_layers")]
    [InlineData("local_window_length")]
    [InlineData("query_key_head_size")]
    [InlineData("layer_norm_eps")]
    public void AMissingFieldIsOneLineNamingIt(string key)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "config.json")))!.AsObject();
        json.Remove(key);
        if (key == "num_layers") json["num_hidden_layers"] = 4; // a BERT-style name instead of GPT-BERT's
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        var ex = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: looks like NorBERT4 (auto_map modeling_gptbert) but {key} is missing", ex.Message);
    }

    [Fact]
    public void InitializerFollowsUpstream()
    {
        var c = TransformerConfig.Load(Path.Combine(Folder, "config.json"));
        var model = ArchitectureRegistry.Initialize(c, 7);
        var p = model.Parameters.ToDictionary(x => x.Name);
        Assert.Equal([0f, 0f, 1f, 0f, 1f, 0f], p["encoder.layers.1.lambdas"].Data.ToArray());
        Assert.Equal([0.5f], p["encoder.layers.1.attention.lambdas"].Data.ToArray());
        Assert.All(p["encoder.layers.0.attention.v_proj.scale"].Data.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(p["embedding.word_scale"].Data.ToArray(), x => Assert.Equal(0f, x));
        double std = Math.Sqrt(2.0 / (5 * 32));
        var w = p["encoder.layers.0.attention.qk_proj.weights.0"].Data.ToArray();
        Assert.All(w, x => Assert.InRange(x, -2 * std - 1e-6, 2 * std + 1e-6));
        Assert.InRange(Math.Sqrt(w.Average(x => (double)x * x)), 0.6 * std, std);
        Assert.DoesNotContain(p.Keys, k => k.StartsWith("classifier.", StringComparison.Ordinal));
    }
}
