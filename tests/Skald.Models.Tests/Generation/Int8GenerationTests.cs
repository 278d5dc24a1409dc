using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="Generator.KeepInt8Only"/> (<c>skald generate --quantize int8</c>): every Linear weight and an untied LM head
/// become int8-only (a tied head keeps its float32 rows for the embedding lookup), the next-token logits stay within
/// the quantisation error of float32's, and the cached int8 steps choose the tokens a full int8 recomputation does.
/// </summary>
public sealed class Int8GenerationTests
{
    internal static readonly int[] Prompt = [5, 9, 13, 200, 7, 1, 44, 3];

    // The last row's logits of a full forward over ids, on a plain inference tape (an int8-only or bf16-only weight is
    // multiplied in int8 or bfloat16 there).
    internal static float[] LastLogits(IDecoder decoder, int[] ids)
    {
        var tape = new Tape(recording: false);
        var hidden = decoder.Forward(tape, new TokenBatch(ids, [.. ids.Select(_ => 1)], new int[ids.Length], 1, ids.Length));
        return decoder.LmHead!.Logits(tape, hidden, [ids.Length - 1]).Span.ToArray();
    }

    [Theory]
    [InlineData("decoder-llama3")] // lm_head.weight of its own
    [InlineData("decoder-qwen2")] // the head tied to embed_tokens
    public void LinearWeightsBecomeInt8AndTheLogitsStayClose(string name)
    {
        var generator = GenerationParityTests.Load(name, out var decoder);
        var float32 = LastLogits(decoder, Prompt);
        long released = generator.KeepInt8Only();
        if (Int8Gemm.Best is null)
        {
            Assert.Equal(0, released); // no int8 kernel on this CPU: float32 kept, nothing to compare
            return;
        }
        Assert.True(released > 0);
        var head = decoder.LmHead!.Weight;
        Assert.Equal(head.Tied, !head.IsInt8Only);
        var linear = decoder.Parameters.Where(p => p.Shape.Length == 2 && p != head && p.Name.EndsWith("proj.weight", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(linear);
        Assert.All(linear, p => Assert.True(p.IsInt8Only, p.Name));

        var int8 = LastLogits(decoder, Prompt);
        double dot = 0, na = 0, nb = 0, diff = 0;
        for (int i = 0; i < float32.Length; i++)
        {
            dot += float32[i] * int8[i];
            na += float32[i] * float32[i];
            nb += int8[i] * int8[i];
            diff += (float32[i] - int8[i]) * (float32[i] - int8[i]);
        }
        // 8-bit codes (vpdpbusd tiles) or 7-bit ones (AVX2 / AVX-512BW vpmaddubsw: about twice the error)
        bool eightBit = Int8Gemm.WeightLevels(Int8Gemm.Best!.Value) == 127;
        Assert.True(dot / Math.Sqrt(na * nb) > (eightBit ? 0.999 : 0.997), $"cosine {dot / Math.Sqrt(na * nb)}");
        Assert.True(Math.Sqrt(diff / na) < (eightBit ? 0.03 : 0.06), $"relative error {Math.Sqrt(diff / na)}");
        Assert.NotEqual(float32, int8); // the int8 product, not the float32 one
    }

    [Fact]
    public void CachedInt8StepsChooseTheTokensOfAFullInt8Recomputation()
    {
        var generator = GenerationParityTests.Load("decoder-llama3", out var decoder);
        if (generator.KeepInt8Only() == 0) return; // no int8 kernel on this CPU
        var cached = generator.Generate([Prompt], new GenerationOptions { MaxNewTokens = 6 })[0].Ids;
        var full = generator.Generate([Prompt], new GenerationOptions { MaxNewTokens = 6, UseCache = false })[0].Ids;
        Assert.Equal(full, cached);
        // and each is the argmax of the int8 logits of the whole sequence so far
        int[] sequence = [.. Prompt];
        foreach (int id in cached)
        {
            var logits = LastLogits(decoder, sequence);
            Assert.Equal(Array.IndexOf(logits, logits.Max()), id);
            sequence = [.. sequence, id];
        }
    }
}
