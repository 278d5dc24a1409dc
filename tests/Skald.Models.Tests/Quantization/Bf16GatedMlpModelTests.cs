using Skald.Tensors.Quantization;
using Skald.Tests;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// A decoder whose gated MLP splits into whole bfloat16 panels (intermediate size a multiple of 16, as every released
/// Llama or Qwen model's; the fixtures' 72 is not) runs it under <c>--quantize bf16</c> (<see cref="SentenceEncoder.KeepBf16Only"/>)
/// as one fused product per layer (<see cref="Bf16Gemm"/>'s gated store, counted by <c>Bf16Gemm.GatedProducts</c>), and its
/// embeddings stay within cosine 0.999 of float32's. The model is decoder-qwen2's config with intermediate size 96 and
/// weights initialised as transformers does, written as a float32 checkpoint.
/// </summary>
public sealed class Bf16GatedMlpModelTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(12)];
    private readonly string dir = Path.Combine(Path.GetTempPath(), "skald-gated-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string Write(int intermediate) =>
        InitializedModelFolder.Write("decoder-qwen2", dir, config => config["intermediate_size"] = intermediate, seed: 7);

    [Fact]
    public void AGatedMlpOfWholePanelsRunsFusedInBfloat16WithinCosine0999OfFloat32()
    {
        if (!Bf16Gemm.IsSupported) return; // (no AVX512-BF16: --quantize bf16 runs float32, nothing fused)
        string folder = Write(intermediate: 96);
        using var reference = SentenceEncoder.Load(folder);
        var f32 = reference.Encode(Texts);
        using var model = SentenceEncoder.Load(folder);
        model.KeepBf16Only();
        long before = Bf16Gemm.GatedProducts;
        var bf16 = model.Encode(Texts);
        long fused = Bf16Gemm.GatedProducts - before; // (other tests' products may add to it, never take away)
        Assert.True(fused >= model.Transformer.Config.NumLayers, $"{fused} fused gated products for {model.Transformer.Config.NumLayers} layers");
        double worst = Enumerable.Range(0, Texts.Length).Min(i => TestVectors.Cosine(f32[i], bf16[i]));
        output.WriteLine($"worst bf16/float32 cosine {worst:F6} over {Texts.Length} texts, {fused} fused products");
        Assert.True(worst >= 0.999, $"worst cosine {worst:F6} to float32");
        Assert.NotEqual(f32[0], bf16[0]);
    }
}
