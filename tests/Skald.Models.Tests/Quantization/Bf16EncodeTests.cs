using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using Skald.Tests;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// bfloat16 inference of whole encoders (<see cref="SentenceEncoder.ComputeBf16"/>): BERT (float32, bfloat16 and
/// float16 checkpoints), ModernBERT and decoders (causal and bidirectional): embeddings within cosine 0.999 of
/// float32, every Linear weight multiplied in bfloat16, and float32 bit for bit again when switched off; on a CPU without
/// AVX512-BF16 the switch changes nothing.
/// </summary>
public sealed class Bf16EncodeTests(ITestOutputHelper output)
{
    private static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(16)];

    /// <summary>Encoder and decoder fixtures; "bi" runs a plain decoder bidirectionally (LLM2Vec's switch).</summary>
    public static TheoryData<string, string> Fixtures => new()
    {
        { "bert-cased-mean", "" }, { "bert-uncased-max", "" }, { "bert-bf16", "" }, { "xlmr-cls-f16", "" },
        { "modernbert-tiny", "" }, { "decoder-llama3", "causal" }, { "decoder-qwen2", "bi" }, { "decoder-gemma3", "causal" },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Bf16EmbeddingsAreWithinCosine0999OfFloat32AndEveryLinearIsBf16(string fixture, string mode)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        if (mode == "bi") model = model.WithAttention(AttentionMode.Bidirectional);
        var f32 = model.Encode(Texts);
        model.ComputeBf16 = true;
        var bf16 = model.Encode(Texts);
        if (!Bf16Gemm.IsSupported)
        {
            Assert.Equal(f32, bf16); // no AVX512-BF16: float32, same result
            return;
        }
        for (int i = 0; i < Texts.Length; i++) Assert.NotEqual(f32[i], bf16[i]); // a tape that stayed float32 fails here
        double worst = Enumerable.Range(0, Texts.Length).Min(i => TestVectors.Cosine(f32[i], bf16[i]));
        output.WriteLine($"{fixture} {mode}: worst bf16/float32 cosine {worst:F6} over {Texts.Length} texts");
        Assert.True(worst >= 0.999, $"{fixture}: worst cosine {worst:F6} to float32");

        var held = new HashSet<Parameter>(Bf16Weights.Held(), ReferenceEqualityComparer.Instance);
        foreach (var p in held.ToList()) held.UnionWith(p.Parts);
        var missed = model.Transformer.Parameters
            .Where(p => p.Shape.Length == 2 && !Int8ArchitectureTests.NotLinear.Any(p.Name.Contains) && !held.Contains(p))
            .Select(p => p.Name).ToList();
        Assert.True(missed.Count == 0, $"{fixture}: Linear weights not multiplied in bfloat16: {string.Join(", ", missed)}");

        model.ComputeBf16 = false;
        Assert.Equal(f32, model.Encode(Texts)); // off again: float32 bit for bit
    }
}
