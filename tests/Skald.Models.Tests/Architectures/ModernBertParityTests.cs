using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// ModernBERT's last hidden states and mean-pooled embeddings against the plain-PyTorch reference of
/// fixtures/models/make_modernbert.py (ref_modernbert.py): 4 layers (global, local, local, global), sequences longer
/// than the local window, right and left padding; 1e-5 absolute per component on every real token.
/// </summary>
public sealed class ModernBertParityTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Folders => ["modernbert-tiny", "modernbert-st-mean"];

    internal sealed record Case(string Padding, TokenBatch Tokens, float[][][] Hidden, float[][] Pooled, int[]? LogitRows,
        float[][]? Logits);

    internal static List<Case> ReadCases(string folder) =>
        File.ReadLines(Path.Combine(folder, "expected_modernbert.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            var ids = Ints2(r.GetProperty("input_ids"));
            var mask = Ints2(r.GetProperty("attention_mask"));
            int b = ids.Length, t = ids[0].Length;
            var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
            var hidden = r.GetProperty("last_hidden_state").EnumerateArray()
                .Select(seq => seq.EnumerateArray().Select(Floats).ToArray()).ToArray();
            var pooled = r.GetProperty("pooled").EnumerateArray().Select(Floats).ToArray();
            int[]? rows = r.TryGetProperty("logit_rows", out var lr) ? [.. lr.EnumerateArray().Select(x => x.GetInt32())] : null;
            float[][]? logits = r.TryGetProperty("logits", out var lg) ? [.. lg.EnumerateArray().Select(Floats)] : null;
            return new Case(r.GetProperty("padding").GetString()!, tokens, hidden, pooled, rows, logits);
        }).ToList();

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];

    private static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];

    [Theory]
    [MemberData(nameof(Folders))]
    public void HiddenStatesMatchPyTorchReference(string name)
    {
        var folder = TestPaths.FixtureModel(name);
        var model = Assert.IsType<ModernBert>(ArchitectureRegistry.Load(folder));
        var cases = ReadCases(folder);
        Assert.Equal(["right", "left"], cases.Select(c => c.Padding));
        float worst = 0;
        foreach (var c in cases)
        {
            var tape = new Tape(recording: false);
            worst = MathF.Max(worst, CompareRealTokens(c, model.Forward(tape, c.Tokens), $"{name} {c.Padding}"));
        }
        output.WriteLine($"{name}: max |diff| {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void RecordingForwardEqualsInference(string name)
    {
        // The training path (a recording tape, no per-layer Keep) computes the same states.
        var folder = TestPaths.FixtureModel(name);
        var model = ArchitectureRegistry.Load(folder);
        var c = ReadCases(folder)[0];
        var tape = new Tape(recording: true);
        CompareRealTokens(c, model.Forward(tape, c.Tokens), name);
        Assert.True(tape.Count > 0);
    }

    [Fact]
    public void SentenceTransformersFolderPoolsAsTheReference()
    {
        var folder = TestPaths.FixtureModel("modernbert-st-mean");
        var model = SentenceEncoder.Load(folder);
        Assert.Equal(1, model.PadId);
        Assert.Equal(PaddingSide.Right, model.PaddingSide);
        float worst = 0;
        foreach (var c in ReadCases(folder))
        {
            var pooled = model.Forward(new Tape(recording: false), c.Tokens);
            Assert.Equal((c.Tokens.Batch, 32), (pooled.Rows, pooled.Cols));
            for (int b = 0; b < c.Tokens.Batch; b++)
                worst = MathF.Max(worst, Compare(c.Pooled[b], pooled.Span.Slice(b * 32, 32), $"{c.Padding} pooled {b}"));
        }
        output.WriteLine($"pooled: max |diff| {worst:E2}");
    }

    [Fact]
    public void TextsEncodeAndBatchingChangesNothing()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("modernbert-st-mean"));
        Assert.Equal(model.Transformer.Config.VocabSize, model.Tokenizer.VocabSize);
        string[] texts = ["Hvor ligger legekontoret? Det ligger i sentrum, like ved jernbanestasjonen.", "Kort.",
            "Båten går klokka tre fra kaia i Bergen, og den kommer fram til Stavanger om kvelden."];
        Assert.True(model.Tokenize(texts)[0].Ids.Length > 12); // longer than the local window
        var single = model.Encode(texts, new EncodeOptions { BatchSize = 1 });
        var batched = model.Encode(texts, new EncodeOptions { BatchSize = 3 });
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.All(single[i], v => Assert.True(float.IsFinite(v)));
            for (int j = 0; j < single[i].Length; j++) Assert.True(MathF.Abs(single[i][j] - batched[i][j]) <= 2e-6f, $"text {i} [{j}]");
        }
    }

    [Fact]
    public void ConfigsReadModernBertKeys()
    {
        var tiny = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("modernbert-tiny"), "config.json"));
        Assert.Equal((3, 160000.0, 10000.0, 1e-5f, false), (tiny.SlidingWindow, tiny.RopeTheta, tiny.RopeLocalTheta, tiny.LayerNormEps, tiny.NormBias));
        Assert.Equal([false, true, true, false], Enumerable.Range(0, 4).Select(tiny.IsSliding));
        Assert.Equal((1, "gelu", true, false), (tiny.PadTokenId, tiny.HiddenAct, tiny.DecoderBias, tiny.ClassifierBias));
        var st = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("modernbert-st-mean"), "config.json"));
        Assert.Equal((1000.0, true, true, true), (st.RopeLocalTheta, st.NormBias, st.AttentionBias, st.MlpBias));
        Assert.Equal([false, true, true, false], Enumerable.Range(0, 4).Select(st.IsSliding));
    }

    [Fact]
    public void ParametersHaveTheCheckpointKeys()
    {
        var model = ArchitectureRegistry.Load(TestPaths.FixtureModel("modernbert-tiny"));
        var names = model.Parameters.Select(p => p.Name).ToHashSet();
        Assert.Contains("embeddings.tok_embeddings.weight", names);
        Assert.Contains("layers.1.attn_norm.weight", names);
        Assert.DoesNotContain("layers.0.attn_norm.weight", names); // Identity on layer 0
        Assert.Contains("layers.3.mlp.Wi.weight", names);
        Assert.Contains("final_norm.weight", names);
        Assert.DoesNotContain(names, n => n.EndsWith(".bias", StringComparison.Ordinal)); // norm/attention/mlp bias false
        Assert.Equal(1 + 1 + 4 * 6 - 1 + 1, names.Count);
    }

    [Fact]
    public void BFloat16WeightsRunForInference()
    {
        // --weights bf16: the 2-D weights (tok_embeddings, Wqkv, Wo, Wi) held in bfloat16, norms in float32.
        var folder = TestPaths.FixtureModel("modernbert-st-mean");
        var bf16 = ArchitectureRegistry.Load(folder, Skald.Tensors.WeightPrecision.BFloat16);
        Assert.Contains(bf16.Parameters, p => p.Name == "layers.1.attn.Wqkv.weight" && p.Precision == Skald.Tensors.WeightPrecision.BFloat16);
        Assert.Contains(bf16.Parameters, p => p.Name == "layers.1.attn_norm.weight" && p.Precision == Skald.Tensors.WeightPrecision.Float32);
        var c = ReadCases(folder)[0];
        var a = ArchitectureRegistry.Load(folder).Forward(new Tape(recording: false), c.Tokens).Span.ToArray();
        var b = bf16.Forward(new Tape(recording: false), c.Tokens).Span.ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            if (c.Tokens.Mask[i / 32] == 0) continue;
            Assert.True(MathF.Abs(a[i] - b[i]) <= 0.1f, $"[{i}]: {a[i]} vs {b[i]}");
        }
    }

    internal static float CompareRealTokens(Case c, Variable hidden, string what)
    {
        int t = c.Tokens.Seq, width = hidden.Cols;
        float worst = 0;
        for (int b = 0; b < c.Tokens.Batch; b++)
        {
            int k = 0;
            for (int s = 0; s < t; s++)
            {
                if (c.Tokens.Mask[b * t + s] == 0) continue;
                worst = MathF.Max(worst, Compare(c.Hidden[b][k++], hidden.Span.Slice((b * t + s) * width, width), $"{what} seq {b} pos {s}"));
            }
            Assert.Equal(c.Hidden[b].Length, k);
        }
        return worst;
    }

    internal static float Compare(float[] expected, ReadOnlySpan<float> actual, string what, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int j = 0; j < expected.Length; j++)
        {
            float d = MathF.Abs(expected[j] - actual[j]);
            worst = MathF.Max(worst, d);
            if (!(d <= tolerance)) Assert.Fail($"{what} component {j}: expected {expected[j]:R}, got {actual[j]:R} (|diff| {d:E2})");
        }
        return worst;
    }
}
