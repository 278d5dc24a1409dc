using Skald.Models.Architectures;
using Skald.Models.Quantization;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using Skald.Tests;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// Int8 inference (<see cref="SentenceEncoder.QuantizeInt8"/>) on every architecture Skald loads, each on its tiny
/// fixture: pooled embeddings within cosine 0.99 of float32; every Linear weight of the forward multiplied in int8
/// (none silently left float32: stacked q/k/v, fused gate/up, relative-position projections, fused GELU included);
/// and a saved int8 folder (<see cref="Int8Checkpoint"/>) encoding exactly as the int8 model it was saved from.
/// </summary>
public sealed class Int8ArchitectureTests(ITestOutputHelper output)
{
    private static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(16)];

    // 2-D parameters that are not Linear weights of an encode: embedding tables (word, position, type, relative),
    // the decoder's lm_head (not run by encode), GPT-2's wte / wpe and GPT-BERT's per-head q/k scales (a [H, D] norm weight).
    internal static readonly string[] NotLinear = ["embed", "lm_head", "wte", "wpe", "q_scale", "k_scale"];

    /// <summary>Every fixture architecture; "bi" runs a plain decoder bidirectionally (LLM2Vec's switch).</summary>
    public static TheoryData<string, string> Fixtures => new()
    {
        { "decoder-llama3", "causal" }, { "decoder-mistral", "causal" }, { "decoder-qwen2", "causal" },
        { "decoder-qwen3", "causal" }, { "decoder-gemma", "causal" }, { "decoder-gemma2", "causal" },
        { "decoder-gemma3", "causal" }, { "decoder-qwen2", "bi" }, { "decoder-gemma3", "bi" },
        { "decoder-gpt2", "causal" }, { "decoder-gpt2-sw3", "bi" },
        { "norbert3-tiny", "" }, { "norbert3-tiny-st", "" }, { "norbert4-tiny", "" }, { "modernbert-tiny", "" },
        { "modernbert-st-mean", "" }, { "xlmr-cls-f16", "" }, { "llm2vec-xlmr", "" }, { "plain-bert", "" },
        { "bert-uncased-max", "" }, { "distilbert-tiny", "" }, { "distiluse-tiny", "" }, { "gte-multilingual-tiny", "" },
    };

    private static SentenceEncoder Load(string fixture, string mode)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        return mode == "bi" ? model.WithAttention(AttentionMode.Bidirectional) : model;
    }

    private static double Cosine(float[] a, float[] b) => global::Skald.Tests.TestVectors.Cosine(a, b);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Int8EmbeddingsAreCloseToFloat32AndEveryLinearIsInt8(string fixture, string mode)
    {
        var model = Load(fixture, mode);
        var f32 = model.Encode(Texts);
        model.QuantizeInt8 = true;
        var i8 = model.Encode(Texts);
        if (Int8Gemm.Best is null)
        {
            Assert.Equal(f32, i8); // no int8 instructions: float32, same result
            return;
        }
        for (int i = 0; i < Texts.Length; i++) Assert.NotEqual(f32[i], i8[i]); // a quantising tape that stayed float32 fails here
        double worst = Enumerable.Range(0, Texts.Length).Min(i => Cosine(f32[i], i8[i]));
        output.WriteLine($"{fixture} {mode}: worst int8/float32 cosine {worst:F5} over {Texts.Length} texts");
        Assert.True(worst >= 0.99, $"{fixture}: worst cosine {worst:F5} to float32");

        // Every Linear weight has its int8 form (held by itself or by the stacked whole it is a part of).
        var int8 = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var p in Int8Weights.Quantized())
        {
            int8.Add(p);
            foreach (var part in p.Parts) int8.Add(part);
        }
        var missed = model.Transformer.Parameters
            .Where(p => p.Shape.Length == 2 && !NotLinear.Any(p.Name.Contains) && !int8.Contains(p))
            .Select(p => p.Name).ToList();
        Assert.True(missed.Count == 0, $"{fixture}: float32 Linear weights on an int8 tape: {string.Join(", ", missed)}");

        model.QuantizeInt8 = false;
        Assert.Equal(f32, model.Encode(Texts)); // off again: float32 bit for bit
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void SavedInt8FolderEncodesAsTheInt8Model(string fixture, string mode)
    {
        if (Int8Gemm.Best is null) return; // Save needs an int8 kernel; the test above covers the fallback
        var model = Load(fixture, mode);
        model.QuantizeInt8 = true;
        var expected = model.Encode(Texts);
        string dir = Path.Combine(TestPaths.NewTempDir(), "int8");
        var keys = Int8Checkpoint.Save(model, dir);
        Assert.NotEmpty(keys);
        Assert.DoesNotContain(keys, k => NotLinear.Any(k.Contains));
        var loaded = Load(dir, mode);
        Assert.True(loaded.QuantizeInt8);
        Assert.Equal(expected, loaded.Encode(Texts)); // the stored int8 values, not re-quantised ones
    }
}
