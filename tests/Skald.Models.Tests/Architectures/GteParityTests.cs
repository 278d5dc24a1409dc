using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// GTE's "NewModel" (new-impl modeling.py) against the plain-PyTorch reference of fixtures/models/make_gte.py
/// (ref_gte.py): last hidden states of six tiny folders (gte-multilingual-base-like, arctic-embed-m-v2.0-like, mixed
/// NTK + RMSNorm + unpacked q/k/v + token types, absolute positions, logn_attention_scale, a NewForMaskedLM checkpoint)
/// on a right-padded batch whose longest sequence (27 tokens) runs past max_position_embeddings 16, logn_attention_clip1
/// too, and the CLS-pooled, normalised sentence embedding through the sentence-transformers folder; 1e-5 absolute per
/// component on every real token.
/// </summary>
public sealed class GteParityTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Folders =>
        ["gte-multilingual-tiny", "gte-arctic-tiny", "gte-variants-tiny", "gte-absolute-tiny", "gte-logn-tiny", "gte-mlm-tiny"];

    private sealed record Case(TokenBatch Tokens, float[][][] Hidden, float[][] Pooled);

    private static Case Read(string folder, string states = "last_hidden_state")
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_gte.json")));
        var r = doc.RootElement;
        int[][] ids = Ints2(r.GetProperty("input_ids")), mask = Ints2(r.GetProperty("attention_mask"));
        int b = ids.Length, t = ids[0].Length;
        var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
        var hidden = r.GetProperty(states).EnumerateArray().Select(s => s.EnumerateArray().Select(Floats).ToArray()).ToArray();
        return new Case(tokens, hidden, [.. r.GetProperty("cls_normalized").EnumerateArray().Select(Floats)]);
    }

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];

    private static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];

    [Theory]
    [MemberData(nameof(Folders))]
    public void HiddenStatesMatchPyTorchReference(string name)
    {
        var folder = TestPaths.FixtureModel(name);
        var model = Assert.IsType<Gte>(ArchitectureRegistry.Load(folder));
        var c = Read(folder);
        Assert.True(c.Tokens.Seq > model.Config.MaxPositionEmbeddings || model.Config.Gte!.Rope is false);
        // inference (unpadded rows, q/k rotated in place) and a recording tape (padded rows with the key mask)
        float a = Compare(c, model.Forward(new Tape(recording: false), c.Tokens), name + " inference");
        float b = Compare(c, model.Forward(new Tape(recording: true), c.Tokens), name + " recording");
        output.WriteLine($"{name}: max |diff| {a:E2} inference, {b:E2} recording");
    }

    [Fact]
    public void LognScaleWithClip1MatchesPyTorchReference()
    {
        // The same weights with logn_attention_clip1 true: the 27-token sequence keeps ln 27 / ln 16 = 1.19, the others 1.
        string source = TestPaths.FixtureModel("gte-logn-tiny");
        string folder = Directory.CreateTempSubdirectory("skald-gte-logn").FullName;
        try
        {
            File.Copy(Path.Combine(source, "model.safetensors"), Path.Combine(folder, "model.safetensors"));
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!;
            json["logn_attention_clip1"] = true;
            File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString());
            var model = Assert.IsType<Gte>(ArchitectureRegistry.Load(folder));
            Assert.Equal(new GteSettings(true, false, true, LognScale: true, LognClip1: true), model.Config.Gte);
            var c = Read(source, "clip1_last_hidden_state");
            Compare(c, model.Forward(new Tape(recording: false), c.Tokens), "clip1 inference");
            Compare(c, model.Forward(new Tape(recording: true), c.Tokens), "clip1 recording");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void LognFactorIsTheLogOfTheLengthInBaseMaxPositions()
    {
        Assert.Equal(0.5f, Gte.LognFactor(4, 16, clip1: false), 6);
        Assert.Equal(1f, Gte.LognFactor(4, 16, clip1: true));
        Assert.Equal(1.25f, Gte.LognFactor(32, 16, clip1: true), 6);
        Assert.Equal(1f, Gte.LognFactor(0, 16, clip1: false)); // a row without real tokens
    }

    [Fact]
    public void SentenceTransformersFolderPoolsClsAsTheReference()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("gte-multilingual-tiny"));
        Assert.IsType<Gte>(model.Transformer);
        var c = Read(TestPaths.FixtureModel("gte-multilingual-tiny"));
        var pooled = model.Forward(new Tape(recording: false), c.Tokens);
        float worst = 0;
        for (int b = 0; b < c.Tokens.Batch; b++)
            worst = MathF.Max(worst, ModernBertParityTests.Compare(c.Pooled[b], pooled.Span.Slice(b * 32, 32), $"pooled {b}"));
        output.WriteLine($"pooled: max |diff| {worst:E2}");
    }

    [Fact]
    public void TextsPastMaxPositionEmbeddingsEncodeAndBatchingChangesNothing()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("gte-multilingual-tiny"));
        Assert.Equal(128, model.Transformer.MaxSequenceLength); // max_position_embeddings 16 × ntk factor 8
        string[] texts = ["Hvor ligger legekontoret? Det ligger i sentrum, like ved jernbanestasjonen, rett over gata for kaia.",
            "Kort.", "Båten går klokka tre fra kaia i Bergen."];
        Assert.True(model.Tokenize(texts)[0].Ids.Length > 16);
        var single = model.Encode(texts, new EncodeOptions { BatchSize = 1 });
        var batched = model.Encode(texts, new EncodeOptions { BatchSize = 3 });
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < single[i].Length; j++)
                Assert.True(float.IsFinite(single[i][j]) && MathF.Abs(single[i][j] - batched[i][j]) <= 2e-6f, $"text {i} [{j}]");
    }

    [Fact]
    public void ConfigsReadNewConfigKeys()
    {
        TransformerConfig Load(string name) => TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel(name), "config.json"));
        var mgte = Load("gte-multilingual-tiny");
        Assert.Equal(("gte", 20000.0, new GteSettings(true, false, true), 1), (mgte.ModelType, mgte.RopeTheta, mgte.Gte, mgte.TypeVocabSize));
        Assert.Equal((Skald.Tensors.Kernels.RopeScalingType.Ntk, 8f, (float?)null), (mgte.RopeScaling.Type, mgte.RopeScaling.Factor, mgte.RopeScaling.MixedB));
        var arctic = Load("gte-arctic-tiny"); // model_type "gte", unpad_inputs "true" (a string: not read)
        Assert.Equal(("gte", 160000.0), (arctic.ModelType, arctic.RopeTheta));
        var variants = Load("gte-variants-tiny");
        Assert.Equal((new GteSettings(true, true, false), 2, 0.8f, "silu"), (variants.Gte, variants.TypeVocabSize, variants.RopeScaling.MixedB, variants.HiddenAct));
        var absolute = Load("gte-absolute-tiny");
        Assert.Equal((new GteSettings(false, false, true), 0), (absolute.Gte, absolute.TypeVocabSize));
        Assert.Equal(new GteSettings(true, false, true, LognScale: true), Load("gte-logn-tiny").Gte);
        Assert.True(mgte.TieWordEmbeddings); // tie_word_embeddings absent: NewConfig's default
    }

    [Fact]
    public void ParametersHaveTheCheckpointKeys()
    {
        var names = ArchitectureRegistry.Load(TestPaths.FixtureModel("gte-variants-tiny")).Parameters.Select(p => p.Name).ToHashSet();
        Assert.Contains("embeddings.token_type_embeddings.weight", names);
        Assert.Contains("encoder.layer.1.attention.k_proj.weight", names); // pack_qkv false; "new." stripped
        Assert.Contains("encoder.layer.0.mlp.up_gate_proj.weight", names);
        Assert.DoesNotContain("encoder.layer.0.attn_ln.bias", names);     // RMSNorm
        Assert.DoesNotContain(names, n => n.Contains("position_embeddings", StringComparison.Ordinal));
        var absolute = ArchitectureRegistry.Load(TestPaths.FixtureModel("gte-absolute-tiny")).Parameters.Select(p => p.Name).ToHashSet();
        Assert.Contains("embeddings.position_embeddings.weight", absolute);
        Assert.DoesNotContain("embeddings.token_type_embeddings.weight", absolute); // type_vocab_size 0
    }

    [Fact]
    public void ANewModelInitialisesAsUpstream()
    {
        var config = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("gte-multilingual-tiny"), "config.json"));
        var model = ArchitectureRegistry.Initialize(config, seed: 3);
        var byName = model.Parameters.ToDictionary(p => p.Name);
        Assert.All(byName["encoder.layer.0.attn_ln.weight"].Data.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(byName["encoder.layer.0.mlp.down_proj.bias"].Data.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(byName["embeddings.word_embeddings.weight"].Data.Slice(config.PadTokenId * 32, 32).ToArray(), v => Assert.Equal(0f, v));
        var w = byName["encoder.layer.1.attention.qkv_proj.weight"].Data.ToArray();
        double std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.017, 0.023); // N(0, 0.02²)
    }

    [Fact]
    public void BFloat16WeightsRunForInference()
    {
        // --weights bf16: the 2-D weights held in bfloat16, norms and biases in float32.
        var folder = TestPaths.FixtureModel("gte-multilingual-tiny");
        var bf16 = ArchitectureRegistry.Load(folder, Skald.Tensors.WeightPrecision.BFloat16);
        Assert.Contains(bf16.Parameters, p => p.Name == "encoder.layer.1.mlp.up_gate_proj.weight" && p.Precision == Skald.Tensors.WeightPrecision.BFloat16);
        Assert.Contains(bf16.Parameters, p => p.Name == "encoder.layer.1.attn_ln.weight" && p.Precision == Skald.Tensors.WeightPrecision.Float32);
        var c = Read(folder);
        var a = ArchitectureRegistry.Load(folder).Forward(new Tape(recording: false), c.Tokens).Span.ToArray();
        var b = bf16.Forward(new Tape(recording: false), c.Tokens).Span.ToArray();
        Assert.NotEqual(a, b);
        for (int i = 0; i < a.Length; i++)
            Assert.True(MathF.Abs(a[i] - b[i]) <= 0.1f, $"[{i}]: {a[i]} vs {b[i]}");
    }

    private static float Compare(Case c, Variable hidden, string what)
    {
        int t = c.Tokens.Seq, width = hidden.Cols;
        float worst = 0;
        for (int b = 0; b < c.Tokens.Batch; b++)
        {
            int k = 0;
            for (int s = 0; s < t; s++)
            {
                if (c.Tokens.Mask[b * t + s] == 0) continue;
                worst = MathF.Max(worst, ModernBertParityTests.Compare(c.Hidden[b][k++], hidden.Span.Slice((b * t + s) * width, width),
                    $"{what} seq {b} pos {s}", Tolerance));
            }
            Assert.Equal(c.Hidden[b].Length, k);
        }
        return worst;
    }
}
