using Skald.Models.CrossEncoders;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// Inference-only bfloat16 models (<see cref="SentenceEncoder.KeepBf16Only"/>, what <c>--quantize bf16</c> makes) on
/// every architecture's fixture: every Linear weight holds its bfloat16 panels alone (no float32 or 16-bit values, and
/// no second copy of the panels beside the parameter), the bytes released are those values', the embeddings equal
/// those of <see cref="SentenceEncoder.ComputeBf16"/> on a model that keeps its weights bit for bit, and what needs the
/// values refuses with one line. A cross-encoder likewise. On a CPU without AVX512-BF16 nothing changes (0 released).
/// </summary>
public sealed class Bf16OnlyModelTests
{
    private static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(12)];

    /// <summary>The fixtures of <see cref="Int8ArchitectureTests"/>, plus 16-bit checkpoints.</summary>
    public static TheoryData<string, string> Fixtures
    {
        get
        {
            var data = Int8ArchitectureTests.Fixtures;
            data.Add("bert-bf16", "");
            data.Add("decoder-llama3-bf16", "causal");
            return data;
        }
    }

    private static SentenceEncoder Load(string fixture, string mode)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        return mode == "bi" ? model.WithAttention(global::Skald.Models.Architectures.AttentionMode.Bidirectional) : model;
    }

    private static bool IsLinear(Parameter p) => p.Shape.Length == 2 && !Int8ArchitectureTests.NotLinear.Any(p.Name.Contains);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Bf16OnlyModelHoldsThePanelsAloneAndEncodesBitForBitAsComputeBf16(string fixture, string mode)
    {
        var retaining = Load(fixture, mode);
        retaining.ComputeBf16 = true;
        var expected = retaining.Encode(Texts);
        Assert.False(retaining.IsBf16Only);

        var model = Load(fixture, mode);
        var before = new Dictionary<Parameter, long>(ReferenceEqualityComparer.Instance);
        foreach (var p in model.Parameters) before[p] = p.Bytes;
        long released = model.KeepBf16Only();
        if (!Bf16Gemm.IsSupported)
        {
            Assert.Equal(0, released);
            Assert.DoesNotContain(model.Parameters, p => p.IsBf16Only);
            return;
        }
        var linear = model.Transformer.Parameters.Where(IsLinear).ToList();
        Assert.NotEmpty(linear);
        var kept = linear.Where(p => !p.IsBf16Only).Select(p => p.Name).ToList();
        Assert.True(kept.Count == 0, $"{fixture}: Linear weights that kept their values: {string.Join(", ", kept)}");
        Assert.All(model.Transformer.Parameters.Where(p => !IsLinear(p)), p => Assert.False(p.IsBf16Only)); // embeddings, norms, biases
        var own = new HashSet<Parameter>(model.Parameters, ReferenceEqualityComparer.Instance);
        var copies = Bf16Weights.Held().Where(own.Contains).Select(p => p.Name).ToList();
        Assert.True(copies.Count == 0, $"{fixture}: panels held beside the parameter: {string.Join(", ", copies)}");
        var bf16Only = model.Parameters.Where(p => p.IsBf16Only).ToList();
        Assert.Equal(bf16Only.Sum(p => before[p]), released);
        Assert.Equal(before.Values.Sum() - released + bf16Only.Sum(p => 2L * p.Length), model.WeightBytes);
        Assert.True(model.IsBf16Only && model.ComputeBf16);
        Assert.Equal(expected, model.Encode(Texts)); // the same panels and kernels: the same embeddings bit for bit
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    public void WhatNeedsTheValuesRefusesWithOneLine(string fixture)
    {
        if (!Bf16Gemm.IsSupported) return; // (KeepBf16Only keeps the values: nothing to refuse)
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        model.KeepBf16Only();
        var weight = model.Transformer.Parameters.First(p => p.IsBf16Only);
        var errors = new[]
        {
            Assert.Throws<InvalidOperationException>(() => model.ComputeBf16 = false), // float32 inference
            Assert.Throws<InvalidOperationException>(() => weight.Data), // saving, merging adapters
            Assert.Throws<InvalidOperationException>(() => model.Forward(new Tape(recording: true), model.Prepare(Texts[..2]))), // training
        };
        Assert.Contains(model.Folder.Path, errors[0].Message);
        Assert.Contains("bfloat16 panels only", errors[0].Message);
        foreach (var e in errors[1..])
        {
            Assert.Contains("holds bfloat16 GEMM panels only", e.Message);
            Assert.Contains("load the model again", e.Message);
        }
        Assert.All(errors, e => Assert.DoesNotContain('\n', e.Message));
        Assert.True(model.ComputeBf16);
        Assert.Equal(Texts.Length, model.Encode(Texts).Length); // still encodes after the refusals
    }

    [Fact]
    public void Bf16OnlyCrossEncoderScoresBitForBitAsComputeBf16()
    {
        var pairs = Texts.Zip(Texts.Skip(1)).ToArray();
        var identity = new CrossEncoderOptions { Activation = ScoreActivation.Identity };
        var retaining = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        retaining.ComputeBf16 = true;
        var expected = retaining.Predict(pairs, identity);
        var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        long released = model.KeepBf16Only();
        if (!Bf16Gemm.IsSupported)
        {
            Assert.Equal(0, released);
            return;
        }
        Assert.True(released > 0);
        var kept = model.Parameters.Where(p => IsLinear(p) && !p.IsBf16Only).Select(p => p.Name).ToList();
        Assert.True(kept.Count == 0, $"Linear weights that kept their values: {string.Join(", ", kept)}");
        Assert.Equal(expected, model.Predict(pairs, identity));
        Assert.Throws<InvalidOperationException>(() => model.ComputeBf16 = false);
    }
}
