using Skald.Models.Quantization;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// Inference-only int8 models (<see cref="SentenceEncoder.KeepInt8Only"/>, saved int8 folders) on every architecture's
/// fixture: no Linear weight holds float32 values any more (seen in the parameters' storage and byte counts, the
/// embedding tables untouched), the embeddings equal those of the model that keeps its float32 weights beside the int8
/// ones bit for bit, saving gives the same int8 file, a saved folder loads int8-only (never float32) and encodes the
/// same, and what needs float32 refuses with one line.
/// </summary>
public sealed class Int8OnlyModelTests
{
    private static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(12)];

    /// <summary>The fixtures of <see cref="Int8ArchitectureTests"/>.</summary>
    public static TheoryData<string, string> Fixtures => Int8ArchitectureTests.Fixtures;

    private static SentenceEncoder Load(string path, string mode)
    {
        var model = SentenceEncoder.Load(path);
        return mode == "bi" ? model.WithAttention(global::Skald.Models.Architectures.AttentionMode.Bidirectional) : model;
    }

    private static bool IsLinear(Parameter p) => p.Shape.Length == 2 && !Int8ArchitectureTests.NotLinear.Any(p.Name.Contains);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Int8OnlyModelHoldsNoFloat32LinearWeightsAndEncodesBitForBitAsBefore(string fixture, string mode)
    {
        if (Int8Gemm.Best is null) return; // no int8 kernel: KeepInt8Only keeps float32 (returns 0)
        string path = TestPaths.FixtureModel(fixture);
        var retaining = Load(path, mode);
        retaining.QuantizeInt8 = true;
        var expected = retaining.Encode(Texts);
        Assert.False(retaining.IsInt8Only);
        Assert.DoesNotContain(retaining.Parameters, p => p.IsInt8Only);

        var model = Load(path, mode);
        long floatBytes = model.WeightBytes;
        long released = model.KeepInt8Only();
        var linear = model.Transformer.Parameters.Where(IsLinear).ToList();
        Assert.NotEmpty(linear);
        var stillFloat = linear.Where(p => !p.IsInt8Only).Select(p => p.Name).ToList();
        Assert.True(stillFloat.Count == 0, $"{fixture}: float32 Linear weights kept: {string.Join(", ", stillFloat)}");
        Assert.All(model.Transformer.Parameters.Where(p => !IsLinear(p)), p => Assert.False(p.IsInt8Only)); // embeddings, norms, biases
        Assert.True(model.IsInt8Only && model.QuantizeInt8);
        Assert.Equal(model.Parameters.Where(p => p.IsInt8Only).Sum(p => 4L * p.Length), released);
        Assert.Equal(floatBytes - released + model.Parameters.Where(p => p.IsInt8Only).Sum(p => p.Length + 8L * p.Shape[0]), model.WeightBytes);
        Assert.Equal(expected, model.Encode(Texts)); // the same int8 weights: the same embeddings bit for bit

        string fromRetaining = Path.Combine(TestPaths.NewTempDir(), "a"), fromInt8Only = Path.Combine(TestPaths.NewTempDir(), "b");
        var keys = Int8Checkpoint.Save(retaining, fromRetaining);
        Assert.Equal(keys, Int8Checkpoint.Save(model, fromInt8Only));
        Assert.Equal(File.ReadAllBytes(TransformerFile(retaining, fromRetaining)), File.ReadAllBytes(TransformerFile(model, fromInt8Only)));

        var loaded = Load(fromInt8Only, mode); // never float32: the int8 tensors become int8-only parameters as read
        Assert.All(loaded.Transformer.Parameters.Where(p => keys.Contains(p.Name)), p => Assert.True(p.IsInt8Only));
        Assert.True(loaded.IsInt8Only);
        Assert.Equal(expected, loaded.Encode(Texts));
    }

    private static string TransformerFile(SentenceEncoder model, string saved) =>
        Path.Combine(saved, Path.GetRelativePath(model.Folder.Path, model.Folder.TransformerPath), "model.safetensors");

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    public void WhatNeedsFloat32RefusesWithOneLine(string fixture)
    {
        if (Int8Gemm.Best is null) return;
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        model.KeepInt8Only();
        var off = Assert.Throws<InvalidOperationException>(() => model.QuantizeInt8 = false);
        Assert.Contains("holds its Linear weights in int8 only", off.Message);
        var weight = model.Transformer.Parameters.First(p => p.IsInt8Only);
        foreach (var e in new[]
        {
            Assert.Throws<InvalidOperationException>(() => weight.Data), // saving float32, merging adapters
            Assert.Throws<InvalidOperationException>(() => weight.RequiresGrad = true), // training it
            off,
        })
        {
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.Contains("load the model again without int8", Assert.Throws<InvalidOperationException>(() => weight.Data).Message);
        // A recording pass runs through the int8 weights dequantised (LoRA on an int8 base) and leaves them int8-only.
        var recorded = model.Forward(new Tape(recording: true), model.Prepare(Texts[..2]));
        Assert.All(recorded.Span.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.True(weight.IsInt8Only);
        if (model.Transformer is global::Skald.Models.Architectures.IDecoder) // switching attention needs no float32
        {
            var bi = model.WithAttention(global::Skald.Models.Architectures.AttentionMode.Bidirectional);
            Assert.True(bi.QuantizeInt8 && bi.IsInt8Only);
            Assert.Equal(Texts.Length, bi.Encode(Texts).Length);
        }
    }
}
