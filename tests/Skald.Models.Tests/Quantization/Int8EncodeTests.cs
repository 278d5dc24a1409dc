using Skald.Models.Quantization;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// Int8 inference of a whole encoder: embeddings within cosine 0.999 of float32 on the fixture texts (issue 16 asks 0.99),
/// a saved int8 folder (<see cref="Int8Checkpoint"/>) that loads back with the very same int8 weights (no
/// re-quantisation), and a folder saved with 8-bit weights (before AVX2 used 7-bit ones) that still loads and runs.
/// </summary>
public sealed class Int8EncodeTests
{
    private static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(24)];

    private static double Cosine(float[] a, float[] b) => global::Skald.Tests.TestVectors.Cosine(a, b);

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("bert-uncased-max")]
    public void Int8EmbeddingsAreWithinCosine0999OfFloat32(string fixture)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        var f32 = model.Encode(Texts);
        model.QuantizeInt8 = true;
        var i8 = model.Encode(Texts);
        if (Int8Gemm.Best is null)
        {
            Assert.Equal(f32, i8); // no int8 instructions: float32, same result
            return;
        }
        Assert.NotEqual(f32[0], i8[0]);
        double worst = Enumerable.Range(0, Texts.Length).Min(i => Cosine(f32[i], i8[i]));
        Assert.True(worst >= 0.999, $"worst cosine {worst:F5} to float32");
        model.QuantizeInt8 = false;
        Assert.Equal(f32, model.Encode(Texts)); // off again: float32 bit for bit
    }

    [Fact]
    public void SavedInt8FolderLoadsBackWithTheSameWeightsAndEmbeddings()
    {
        if (Int8Gemm.Best is null) return; // Save needs an int8 kernel; covered by the cosine test's fallback branch
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        model.QuantizeInt8 = true;
        var expected = model.Encode(Texts);
        string dir = Path.Combine(TestPaths.NewTempDir(), "int8");
        var keys = Int8Checkpoint.Save(model, dir);
        Assert.Contains("encoder.layer.0.attention.self.query.weight", keys);
        Assert.Contains("encoder.layer.1.output.dense.weight", keys);
        Assert.DoesNotContain(keys, k => k.Contains("embeddings") || k.Contains("LayerNorm"));
        Assert.True(File.Exists(Path.Combine(dir, Int8Checkpoint.ConfigFile)));
        Assert.True(File.Exists(Path.Combine(dir, "1_Pooling", "config.json")));
        Assert.True(new FileInfo(Path.Combine(dir, "model.safetensors")).Length
            < new FileInfo(Path.Combine(TestPaths.FixtureModel("bert-cased-mean"), "model.safetensors")).Length);

        var loaded = SentenceEncoder.Load(dir);
        Assert.True(loaded.QuantizeInt8);
        Assert.Equal(expected, loaded.Encode(Texts)); // the stored int8 values, not re-quantised ones
        Assert.True(loaded.IsInt8Only); // loaded without float32 Linear weights: no going back to float32
        Assert.Throws<InvalidOperationException>(() => loaded.QuantizeInt8 = false);
        var dequantised = global::Skald.Models.Architectures.ArchitectureRegistry.Load(dir); // float32 readers get scale · q
        var stored = loaded.Transformer.Parameters.First(p => p.Name == "encoder.layer.0.attention.self.query.weight");
        var read = dequantised.Parameters.First(p => p.Name == stored.Name);
        Assert.False(read.IsInt8Only);
        Assert.Equal(Int8Weights.For(stored)!.Dequantize(), read.Data.ToArray());
        Assert.Throws<IOException>(() => Int8Checkpoint.Save(model, dir));
    }

    [Fact]
    public void AFolderSavedWith8BitWeightsLoadsAndEncodesWithThem()
    {
        if (Int8Gemm.Best is null) return; // Save needs an int8 kernel
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        foreach (var p in model.Transformer.Parameters.Where(p => p.Shape.Length == 2 && p.Name.EndsWith(".weight") && !p.Name.Contains("embeddings")))
            Int8Weights.Attach(p, Int8Matrix.Quantize(p.Data.Span, p.Shape[0], p.Shape[1], 127)); // as older versions quantised
        model.QuantizeInt8 = true;
        var expected = model.Encode(Texts);
        string dir = Path.Combine(TestPaths.NewTempDir(), "int8-w8");
        Int8Checkpoint.Save(model, dir);

        var loaded = SentenceEncoder.Load(dir);
        var weight = loaded.Transformer.Parameters.First(p => p.Name == "encoder.layer.0.intermediate.dense.weight");
        Assert.True(loaded.QuantizeInt8);
        Assert.Equal(expected, loaded.Encode(Texts)); // the 8-bit values as stored, multiplied exactly
        Assert.True(Int8Weights.Kept(weight)!.MaxMagnitude > Int8Gemm.WeightLevels(Int8Kernel.Avx2));
    }
}
