using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="Generator.KeepBf16Only"/> (<c>skald generate --quantize bf16</c>): every Linear weight and an untied LM
/// head keep only their bfloat16 panels (a tied head keeps its rows for the embedding lookup), the logits stay within
/// bfloat16's rounding of float32's, and the cached steps (the <c>vdpbf16ps</c> tile, or AMX <c>tdpbf16ps</c> where the CPU has it) choose the tokens that the
/// argmax of a full recomputation through the scalar twin gives, whose logits are the tile's bit for bit. On a CPU
/// without AVX512-BF16 nothing changes.
/// </summary>
public sealed class Bf16GenerationTests
{
    private static readonly int[] Prompt = Int8GenerationTests.Prompt;

    private static float[] LastLogits(IDecoder decoder, int[] ids) => Int8GenerationTests.LastLogits(decoder, ids);

    [Theory]
    [InlineData("decoder-llama3")] // lm_head.weight of its own
    [InlineData("decoder-qwen2")] // the head tied to embed_tokens
    public void LinearWeightsBecomeBf16OnlyAndTheLogitsStayClose(string name)
    {
        var generator = GenerationParityTests.Load(name, out var decoder);
        var float32 = LastLogits(decoder, Prompt);
        long released = generator.KeepBf16Only();
        if (!Bf16Gemm.IsSupported)
        {
            Assert.Equal(0, released); // no AVX512-BF16: float32 kept
            Assert.Equal(float32, LastLogits(decoder, Prompt));
            return;
        }
        var head = decoder.LmHead!.Weight;
        Assert.Equal(head.Tied, !head.IsBf16Only);
        var linear = decoder.Parameters.Where(p => p.Shape.Length == 2 && p != head && p.Name.EndsWith("proj.weight", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(linear);
        Assert.All(linear, p => Assert.True(p.IsBf16Only, p.Name)); // gate/up: parts of a stacked whole, released with it
        var held = decoder.Parameters.Where(p => p.IsBf16Only).ToList();
        Assert.Equal(held.Sum(p => 4L * p.Length), released); // their float32 values dropped (parts: their rows of the whole)
        Assert.All(held, p => Assert.Throws<InvalidOperationException>(() => p.Data));

        var bf16 = LastLogits(decoder, Prompt);
        Assert.NotEqual(float32, bf16); // the bfloat16 product, not the float32 one
        Assert.True(TestVectors.Cosine(float32, bf16) > 0.999, $"cosine {TestVectors.Cosine(float32, bf16)}");
    }

    [Theory]
    [InlineData("decoder-llama3")]
    [InlineData("decoder-gemma2")]
    public void CachedBf16StepsChooseTheArgmaxOfTheScalarTwinsFullRecomputation(string name)
    {
        var generator = GenerationParityTests.Load(name, out var decoder);
        if (generator.KeepBf16Only() == 0) return; // no AVX512-BF16 on this CPU
        var cached = generator.Generate([Prompt], new GenerationOptions { MaxNewTokens = 6, EosTokenIds = [] })[0].Ids;
        Assert.Equal(6, cached.Length);
        int[] sequence = [.. Prompt];
        foreach (int id in cached)
        {
            var tile = LastLogits(decoder, sequence);
            float[] twin;
            Bf16Gemm.ScalarTwin = true; // every product from the same rounded weights and activations, in scalar code
            try
            {
                twin = LastLogits(decoder, sequence);
            }
            finally
            {
                Bf16Gemm.ScalarTwin = false;
            }
            Assert.Equal(twin, tile);
            Assert.Equal(Array.IndexOf(twin, twin.Max()), id);
            sequence = [.. sequence, id];
        }
    }
}
