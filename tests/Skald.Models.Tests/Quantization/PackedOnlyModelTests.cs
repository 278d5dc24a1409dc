using Skald.Models.Architectures;
using Skald.Models.Quantization;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// Packed-only models (<see cref="SentenceEncoder.KeepPackedOnly"/>) on every architecture's fixture: no Linear weight
/// holds float32 values beside its packed form any more (the embedding tables, and an LM head tied to one, untouched),
/// the embeddings equal those of the pre-packed model that keeps its float32 weights bit for bit, switching attention
/// and int8 quantisation work from the packed form, and what needs the float32 values refuses with one line.
/// </summary>
public sealed class PackedOnlyModelTests
{
    /// <summary>The fixtures' first 12 texts.</summary>
    internal static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(12)];

    /// <summary>The fixtures of <see cref="Int8ArchitectureTests"/>, plus the BERT every other test uses.</summary>
    public static TheoryData<string, string> Fixtures
    {
        get
        {
            var data = Int8ArchitectureTests.Fixtures;
            data.Add("bert-cased-mean", "");
            return data;
        }
    }

    private static SentenceEncoder Load(string path, string mode)
    {
        var model = SentenceEncoder.Load(path);
        return mode == "bi" ? model.WithAttention(AttentionMode.Bidirectional) : model;
    }

    private static bool IsLinear(Parameter p) =>
        p.Shape.Length == 2 && p.Precision == Skald.Tensors.WeightPrecision.Float32 && !Int8ArchitectureTests.NotLinear.Any(p.Name.Contains);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void PackedOnlyModelHoldsNoFloat32LinearValuesAndEncodesBitForBitAsPrePacked(string fixture, string mode)
    {
        if (Blas.Backend is not ManagedGemm) return; // no packed operand: KeepPackedOnly releases nothing (returns 0)
        string path = TestPaths.FixtureModel(fixture);
        var retaining = Load(path, mode);
        retaining.PackWeights = true;
        var expected = retaining.Encode(Texts);
        Assert.False(retaining.IsPackedOnly);
        Assert.DoesNotContain(retaining.Parameters, p => p.IsPackedOnly);

        var model = Load(path, mode);
        long released = model.KeepPackedOnly();
        var linear = model.Parameters.Where(IsLinear).ToList();
        if (linear.Count == 0) return; // a 16-bit fixture: nothing float32 to pack
        var stillFloat = linear.Where(p => !p.IsPackedOnly).Select(p => p.Name).ToList();
        Assert.True(stillFloat.Count == 0, $"{fixture}: Linear weights that kept their float32 values: {string.Join(", ", stillFloat)}");
        Assert.All(model.Parameters.Where(p => !IsLinear(p)), p => Assert.False(p.IsPackedOnly)); // embeddings, norms, biases
        Assert.True(model.IsPackedOnly && model.PackWeights);
        Assert.Equal(linear.Sum(p => 4L * p.Length), released);
        Assert.Equal(expected, model.Encode(Texts)); // the same packed panels: the same embeddings bit for bit
        Assert.Equal(0, model.KeepPackedOnly());
        if (model.Transformer is IDecoder { LmHead: { Tied: true } head }) // tied to the embedding table: kept float32
        {
            Assert.True(head.Weight.Tied);
            Assert.False(head.Weight.IsPackedOnly);
        }
    }

    // A bfloat16 checkpoint (as Qwen ships) made packed-only with the AMX product on (through its twins where there is no
    // AMX): every Linear weight held as its first bfloat16 piece alone, 2 bytes a value (ThreeTermTileAmx), and the
    // embeddings those of the FMA kernels' packed-only model to float32 rounding.
    [Fact]
    public void ABfloat16CheckpointPackedOnlyHoldsTwoBytesAWeightOnThreeTerms()
    {
        if (Blas.Backend is not ManagedGemm) return;
        string path = TestPaths.FixtureModel("decoder-llama3-bf16");
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = -1;
            var fma = SentenceEncoder.Load(path);
            fma.KeepPackedOnly();
            var expected = fma.Encode(Texts);
            SixTermGemm.Override = 1;
            var model = SentenceEncoder.Load(path);
            model.KeepPackedOnly();
            var linear = model.Parameters.Where(p => IsLinear(p) && p.IsPackedOnly).ToList();
            Assert.NotEmpty(linear);
            Assert.All(linear, p => Assert.True(2L * p.Length == p.Bytes, $"{p.Name}: {p.Bytes} bytes for {p.Length} values"));
            var actual = model.Encode(Texts);
            for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= 1e-5f * (1 + Math.Abs(expected[i][j])),
                    $"text {i}[{j}]: {actual[i][j]:R} against the FMA kernels' {expected[i][j]:R}");
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    // The rule for spending memory on speed (InferenceWeights.SpendMemoryOnSpeed): a small model holds its weights'
    // three bfloat16 pieces on the AMX product (6 bytes a weight; through the twins where there is no AMX), and with
    // HoldWeightPieces off keeps the float32 panels alone and splits them per product (4 bytes): the same bits.
    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    public void ASmallModelHoldsItsWeightPiecesAndSplittingThemPerProductGivesTheSameBits(string fixture)
    {
        if (Blas.Backend is not ManagedGemm) return;
        string path = TestPaths.FixtureModel(fixture);
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1;
            var held = SentenceEncoder.Load(path);
            Assert.True(held.HoldWeightPieces && held.PackWeights); // a few MB of float32 weights: under the limit
            held.KeepPackedOnly();
            var split = SentenceEncoder.Load(path);
            split.HoldWeightPieces = false;
            split.KeepPackedOnly();
            var heldLinear = held.Parameters.Where(p => p.IsPackedOnly).ToList();
            var splitLinear = split.Parameters.Where(p => p.IsPackedOnly).ToList();
            Assert.NotEmpty(heldLinear);
            Assert.All(heldLinear, p => Assert.True(6L * p.Length == p.Bytes, $"{p.Name}: {p.Bytes} bytes for {p.Length} values"));
            Assert.All(splitLinear, p => Assert.True(4L * p.Length == p.Bytes, $"{p.Name}: {p.Bytes} bytes for {p.Length} values"));
            Assert.Equal(held.Encode(Texts), split.Encode(Texts));
            if (split.Transformer is IDecoder) // a switched model keeps the choice
                Assert.False(split.WithAttention(AttentionMode.Bidirectional).HoldWeightPieces);
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    public void WhatNeedsFloat32RefusesWithOneLineAndTheRestWorksFromThePanels(string fixture)
    {
        if (Blas.Backend is not ManagedGemm) return;
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        var float32 = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        float32.PackWeights = true;
        model.KeepPackedOnly();
        var weight = model.Transformer.Parameters.First(p => p.IsPackedOnly);
        foreach (var e in new[]
        {
            Assert.Throws<InvalidOperationException>(() => weight.Data), // merging adapters, writing to it
            Assert.Throws<InvalidOperationException>(() => weight.RequiresGrad = true), // training it
            Assert.Throws<InvalidOperationException>(() => model.Forward(new Tape(recording: true), model.Prepare(Texts[..2]))), // training through it
        })
        {
            Assert.Contains("holds only its GEMM-packed form", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.StartsWith(weight.Name, Assert.Throws<InvalidOperationException>(() => weight.Data).Message);
        if (model.Transformer is IDecoder decoder) // switching attention needs no float32 values, re-packs nothing
        {
            var tied = decoder.EmbedTokens;
            Assert.True(tied.Tied && !tied.IsPackedOnly); // qwen2 ties its head to the embedding table
            var bi = model.WithAttention(AttentionMode.Bidirectional);
            Assert.True(bi.IsPackedOnly);
            var expected = float32.WithAttention(AttentionMode.Bidirectional).Encode(Texts);
            Assert.Equal(expected, bi.Encode(Texts));
        }
        if (Int8Gemm.Best is not null) // int8 quantisation reads the values out of the panels: the same int8 file
        {
            string a = Path.Combine(TestPaths.NewTempDir(), "a"), b = Path.Combine(TestPaths.NewTempDir(), "b");
            var keys = Int8Checkpoint.Save(float32, a);
            Assert.Equal(keys, Int8Checkpoint.Save(model, b));
            string file = Path.Combine(Path.GetRelativePath(model.Folder.Path, model.Folder.TransformerPath), "model.safetensors");
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, file)), File.ReadAllBytes(Path.Combine(b, file)));
            model.KeepInt8Only(); // packed-only → int8-only: the same int8 weights as quantised from float32
            float32.KeepInt8Only();
            Assert.True(model.IsInt8Only);
            Assert.Equal(float32.Encode(Texts), model.Encode(Texts));
        }
    }
}
