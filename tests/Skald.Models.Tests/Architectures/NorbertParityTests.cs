using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// NorBERT3 (LTG-BERT) against the plain-PyTorch reference of fixtures/models/make_norbert.py (ref_norbert.py):
/// last hidden states of right-padded batches longer than position_bucket_size, the sentence-transformers wrapper's
/// mean-pooled embeddings from text, and the gradients of a loss on pooled embeddings; 1e-5 absolute.
/// </summary>
public sealed class NorbertParityTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-5f;
    private readonly string dir = Directory.CreateTempSubdirectory("skald-norbert").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private sealed record Case(TokenBatch Tokens, float[][][] Hidden, float[][] Pooled);

    private static List<Case> ReadCases(string folder) =>
        File.ReadLines(Path.Combine(folder, "expected_norbert.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            var tokens = PooledLossReference.Tokens(r);
            var hidden = r.GetProperty("last_hidden_state").EnumerateArray()
                .Select(seq => seq.EnumerateArray().Select(PooledLossReference.Floats).ToArray()).ToArray();
            return new Case(tokens, hidden, [.. r.GetProperty("pooled").EnumerateArray().Select(PooledLossReference.Floats)]);
        }).ToList();

    private static float CompareRealTokens(Case c, ReadOnlySpan<float> hidden, int width, string what) =>
        PooledLossReference.CompareRealTokens(c.Hidden, c.Tokens, hidden, width, what, Tolerance);

    [Fact]
    public void HiddenStatesMatchPyTorchReference()
    {
        var folder = TestPaths.FixtureModel("norbert3-tiny");
        var model = Assert.IsType<Norbert>(ArchitectureRegistry.Load(folder));
        Assert.Equal("norbert", model.Config.ModelType);
        Assert.Equal(8, model.Config.PositionBucketSize);
        Assert.Equal(1e-7f, model.Config.LayerNormEps);
        var cases = ReadCases(folder);
        Assert.Equal(2, cases.Count);
        Assert.True(cases[0].Tokens.Seq > 2 * model.Config.PositionBucketSize); // log buckets are exercised
        float worst = 0;
        foreach (var c in cases)
        {
            var tape = new Tape(recording: false);
            worst = MathF.Max(worst, CompareRealTokens(c, model.Forward(tape, c.Tokens).Span, model.HiddenSize, "inference"));
            var rec = new Tape();
            worst = MathF.Max(worst, CompareRealTokens(c, model.Forward(rec, c.Tokens).Span, model.HiddenSize, "recording"));
            var ck = new Tape { Checkpointing = true };
            worst = MathF.Max(worst, CompareRealTokens(c, model.Forward(ck, c.Tokens).Span, model.HiddenSize, "checkpointing"));
        }
        output.WriteLine($"norbert3-tiny: max |diff| {worst:E2}");
    }

    [Fact]
    public void SentenceTransformersFolderEmbedsTextsAsTheReference()
    {
        var folder = TestPaths.FixtureModel("norbert3-tiny-st");
        var encoder = SentenceEncoder.Load(folder);
        Assert.IsType<Norbert>(encoder.Transformer);
        float worst = PooledLossReference.CheckTextEmbeddings(encoder, folder, Tolerance);
        // The padded batches of the hub fixture pool to the reference too.
        var hub = ArchitectureRegistry.Load(TestPaths.FixtureModel("norbert3-tiny"));
        foreach (var c in ReadCases(TestPaths.FixtureModel("norbert3-tiny")))
        {
            var tape = new Tape(recording: false);
            var pooled = encoder.Forward(tape, c.Tokens).Span;
            for (int b = 0; b < c.Pooled.Length; b++)
                for (int j = 0; j < c.Pooled[b].Length; j++)
                    Assert.True(MathF.Abs(pooled[b * encoder.Dimension + j] - c.Pooled[b][j]) <= Tolerance, $"pooled row {b} dim {j}");
        }
        Assert.NotNull(hub);
        output.WriteLine($"norbert3-tiny-st: max |diff| {worst:E2}");
    }

    [Fact]
    public void GradientsOfAPooledLossMatchTorchAutograd()
    {
        var folder = TestPaths.FixtureModel("norbert3-tiny-st");
        var encoder = SentenceEncoder.Load(folder); // mean pooling, no Normalize module
        double worst = PooledLossReference.CheckGradients(encoder, folder, Tolerance);
        Assert.Contains(encoder.Parameters, p => p.Name == "embedding.relative_embedding");
        output.WriteLine($"gradients: max |diff| {worst:E2}");
    }

    [Fact]
    public void DropoutTrainingPassIsBitIdenticalWithGradientCheckpointing() =>
        // Upstream's train-mode dropouts (embedding, relative embedding per layer, attention probabilities, attention
        // output, feed-forward output) redraw the same masks when a checkpointed layer is recomputed.
        PooledLossReference.CheckDropoutCheckpointing(SentenceEncoder.Load(TestPaths.FixtureModel("norbert3-tiny-st")), TestPaths.FixtureModel("norbert3-tiny-st"));

    [Theory]
    [InlineData("bucket8_max32", 8, 32)]
    [InlineData("bucket32_max512", 32, 512)] // the published NorBERT3 settings
    public void LogBucketsEqualTorchs(string key, int bucket, int maxPosition)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel("norbert3-tiny"), "expected_buckets.json")));
        int first = doc.RootElement.GetProperty("relative")[0].GetInt32();
        int i = 0;
        foreach (var expected in doc.RootElement.GetProperty(key).EnumerateArray())
        {
            int rel = first + i++;
            Assert.True(expected.GetInt32() == Skald.Tensors.Kernels.RelativeAttention.Bucket(rel, bucket, maxPosition), $"relative {rel}");
        }
        Assert.Equal(1201, i);
    }

    [Fact]
    public void ConfigWithoutPositionBucketSizeIsOneLine()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel("norbert3-tiny"), "config.json")))!.AsObject();
        json.Remove("position_bucket_size");
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<ModelFormatException>(() => TransformerConfig.Load(path));
        Assert.Equal($"{path}: looks like NorBERT3 (auto_map modeling_norbert) but position_bucket_size is missing", e.Message);
    }

    [Fact]
    public void InitializerFollowsUpstream()
    {
        var config = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("norbert3-tiny"), "config.json"));
        var model = ArchitectureRegistry.Initialize(config, 7);
        var p = model.Parameters.ToDictionary(x => x.Name);
        double std = Math.Sqrt(2.0 / (5.0 * config.HiddenSize));
        var word = p["embedding.word_embedding.weight"].Data.ToArray();
        Assert.All(word, v => Assert.InRange(v, -2 * std - 1e-6, 2 * std + 1e-6));
        Assert.InRange(Math.Sqrt(word.Average(v => (double)v * v)), 0.8 * std, std);
        Assert.All(p["transformer.layers.1.attention.in_proj_qk.bias"].Data.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(p["embedding.relative_layer_norm.weight"].Data.ToArray(), v => Assert.Equal(1f, v));
        var up1 = p["transformer.layers.1.mlp.mlp.1.weight"].Data.ToArray();
        Assert.All(up1, v => Assert.InRange(v, -std, std)); // layer 1: std·√(1/4)·2
    }
}
