using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// Decoder last hidden states (and LM-head logits) against the plain-PyTorch reference of
/// fixtures/models/make_decoders.py (ref_decoder.py) and, for GPT-2, make_gpt2.py (ref_gpt2.py): padded batches, right and left padding, causal and
/// bidirectional; 1e-5 absolute per component on every real token.
/// </summary>
public sealed class DecoderParityTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Folders =>
        ["decoder-llama3", "decoder-llama3-bf16", "decoder-mistral", "decoder-qwen2", "decoder-qwen3", "decoder-gemma",
            "decoder-gemma2", "decoder-gemma3", "decoder-gpt2", "decoder-gpt2-sw3"];

    internal sealed record Case(string Attention, string Padding, TokenBatch Tokens, float[][][] Hidden, int[]? LogitRows,
        float[][]? Logits);

    internal static List<Case> ReadCases(string folder) =>
        File.ReadLines(Path.Combine(folder, "expected_decoder.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            var ids = Ints2(r.GetProperty("input_ids"));
            var mask = Ints2(r.GetProperty("attention_mask"));
            int b = ids.Length, t = ids[0].Length;
            var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
            var hidden = r.GetProperty("last_hidden_state").EnumerateArray()
                .Select(seq => seq.EnumerateArray().Select(Floats).ToArray()).ToArray();
            int[]? rows = r.TryGetProperty("logit_rows", out var lr) ? [.. lr.EnumerateArray().Select(x => x.GetInt32())] : null;
            float[][]? logits = r.TryGetProperty("logits", out var lg) ? [.. lg.EnumerateArray().Select(Floats)] : null;
            return new Case(r.GetProperty("attention").GetString()!, r.GetProperty("padding").GetString()!, tokens, hidden,
                rows, logits);
        }).ToList();

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];

    private static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];

    [Theory]
    [MemberData(nameof(Folders))]
    public void HiddenStatesMatchPyTorchReference(string name)
    {
        var folder = TestPaths.FixtureModel(name);
        var model = Assert.IsAssignableFrom<IDecoder>(ArchitectureRegistry.Load(folder));
        Assert.Equal(AttentionMode.Causal, model.AttentionMode);
        var cases = ReadCases(folder);
        Assert.Equal(4, cases.Count);
        float worst = 0;
        foreach (var c in cases)
        {
            model.AttentionMode = c.Attention == "causal" ? AttentionMode.Causal : AttentionMode.Bidirectional;
            var tape = new Tape(recording: false);
            var hidden = model.Forward(tape, c.Tokens);
            worst = MathF.Max(worst, CompareRealTokens(c, hidden, $"{name} {c.Attention}/{c.Padding}"));
            if (c.Logits is not null)
            {
                var head = Assert.IsType<LmHead>(model.LmHead);
                var logits = head.Logits(tape, hidden, c.LogitRows!);
                for (int i = 0; i < c.Logits.Length; i++)
                    worst = MathF.Max(worst, Compare(c.Logits[i], logits.Span.Slice(i * head.VocabSize, head.VocabSize),
                        $"{name} logits row {i}", relative: true));
            }
        }
        output.WriteLine($"{name}: max |diff| {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void RecordingForwardEqualsInference(string name)
    {
        // The training path (a recording tape, no per-layer Keep) computes the same states.
        var folder = TestPaths.FixtureModel(name);
        var model = (IDecoder)ArchitectureRegistry.Load(folder);
        var c = ReadCases(folder).First(x => x.Attention == "bidirectional" && x.Padding == "left");
        model.AttentionMode = AttentionMode.Bidirectional;
        var tape = new Tape(recording: true);
        CompareRealTokens(c, model.Forward(tape, c.Tokens), name);
        Assert.True(tape.Count > 0);
    }

    [Theory]
    [InlineData("decoder-llama3", false, "lm_head.weight")]
    [InlineData("decoder-llama3-bf16", false, "lm_head.weight")]
    [InlineData("decoder-mistral", true, "embed_tokens.weight")]
    [InlineData("decoder-qwen2", true, "embed_tokens.weight")]
    [InlineData("decoder-qwen3", true, "embed_tokens.weight")]
    [InlineData("decoder-gemma", true, "embed_tokens.weight")]
    [InlineData("decoder-gemma2", true, "embed_tokens.weight")]
    [InlineData("decoder-gpt2", true, "wte.weight")]
    [InlineData("decoder-gpt2-sw3", false, "lm_head.weight")]
    public void LmHeadIsTiedOrSeparateAsConfigured(string name, bool tied, string key)
    {
        var model = (IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel(name));
        var head = Assert.IsType<LmHead>(model.LmHead);
        Assert.Equal(tied, head.Tied);
        Assert.Equal(key, head.Weight.Name);
        if (tied) Assert.Same(model.EmbedTokens, head.Weight);
        Assert.Equal(tied ? 0 : 1, model.Parameters.Count(p => p.Name == "lm_head.weight"));
    }

    [Fact]
    public void ConfigsReadTheDecoderKeys()
    {
        var llama = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("decoder-llama3"), "config.json"));
        Assert.Equal((2, 16, 1e-5f), (llama.KeyValueHeads, llama.HeadSize, llama.RmsNormEps));
        Assert.Equal(Skald.Tensors.Kernels.RopeScalingType.Llama3, llama.RopeScaling.Type);
        Assert.Equal(64, llama.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.False(llama.TieWordEmbeddings);
        var mistral = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("decoder-mistral"), "config.json"));
        Assert.Equal(4, mistral.SlidingWindow);
        Assert.True(mistral.IsSliding(0) && mistral.IsSliding(1));
        var qwen2 = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("decoder-qwen2"), "config.json"));
        Assert.False(qwen2.IsSliding(0) || qwen2.IsSliding(1)); // use_sliding_window false
        var qwen3 = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("decoder-qwen3"), "config.json"));
        Assert.Equal(20, qwen3.HeadSize); // head_dim != hidden / heads
        var gemma2 = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("decoder-gemma2"), "config.json"));
        Assert.Equal((1.5f, 3f, 24f), (gemma2.AttnLogitSoftcapping, gemma2.FinalLogitSoftcapping, gemma2.QueryPreAttnScalar));
        Assert.True(gemma2.IsSliding(0) && !gemma2.IsSliding(1));
        Assert.True(gemma2.TieWordEmbeddings); // Gemma's default
        var gemma3 = TransformerConfig.Load(Path.Combine(TestPaths.FixtureModel("decoder-gemma3"), "config.json"));
        Assert.Equal((100.0, 1e6, 0f), (gemma3.RopeLocalTheta, gemma3.RopeTheta, gemma3.AttnLogitSoftcapping));
        Assert.True(gemma3.IsSliding(0) && !gemma3.IsSliding(1));
    }

    [Theory]
    [InlineData("decoder-llama3")]
    [InlineData("decoder-qwen2")]
    public void BundledTokenizerFitsTheVocabulary(string name)
    {
        var folder = TestPaths.FixtureModel(name);
        var tokenizer = Tokenizer.FromFile(Path.Combine(folder, "tokenizer.json"));
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
        Assert.Equal(config.VocabSize, tokenizer.VocabSize);
        var ids = tokenizer.Encode("Hvor ligger legekontoret? Det ligger i sentrum.").Ids;
        Assert.True(ids.Length > 5);
        Assert.All(ids, id => Assert.InRange(id, 0, config.VocabSize - 1));
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

    /// <summary>|diff| ≤ 1e-5, or with <paramref name="relative"/> ≤ 1e-5·max(1, max |expected|) over the row (logits reach
    /// ±10 and are 64-term dot products that cancel, so their error scales with the row, as in the GEMM tests).</summary>
    private static float Compare(float[] expected, ReadOnlySpan<float> actual, string what, bool relative = false)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0, tolerance = Tolerance * (relative ? MathF.Max(1f, expected.Max(MathF.Abs)) : 1f);
        for (int j = 0; j < expected.Length; j++)
        {
            float d = MathF.Abs(expected[j] - actual[j]);
            worst = MathF.Max(worst, d);
            if (!(d <= tolerance)) Assert.Fail($"{what} component {j}: expected {expected[j]:R}, got {actual[j]:R} (|diff| {d:E2})");
        }
        return worst;
    }
}
