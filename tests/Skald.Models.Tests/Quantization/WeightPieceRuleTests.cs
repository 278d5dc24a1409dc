using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// The AMX weight-piece rule (<c>InferenceWeights.SpendMemoryOnSpeed</c>) on the inference models besides
/// <see cref="SentenceEncoder"/> (<see cref="PackedOnlyModelTests"/> has that one): a cross-encoder and a ColBERT model
/// with a few MB of float32 weights hold each packed Linear weight's three bfloat16 pieces on the six-term product (no
/// float32 panels), as README and docs/architecture.md say "encoders, cross-encoders, ColBERT" do; through the scalar
/// twins where there is no AMX.
/// </summary>
public sealed class WeightPieceRuleTests
{
    private static bool IsLinear(Parameter p) =>
        p.Shape.Length == 2 && p.Precision == Skald.Tensors.WeightPrecision.Float32 && !Int8ArchitectureTests.NotLinear.Any(p.Name.Contains);

    [Fact]
    public void ASmallCrossEncoderHoldsItsWeightPieces()
    {
        if (Blas.Backend is not ManagedGemm) return; // no packed operand
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1;
            var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
            Assert.True(model.PackWeights);
            model.KeepPackedOnly();
            var packed = model.Parameters.Where(p => p.IsPackedOnly).ToList();
            Assert.NotEmpty(packed);
            Assert.All(packed, p => Assert.True(6L * p.Length == p.Bytes, $"{p.Name}: {p.Bytes} bytes for {p.Length} values (4 a value: split per product)"));
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    [Fact]
    public void ASmallColbertModelHoldsItsWeightPieces()
    {
        if (Blas.Backend is not ManagedGemm) return;
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1;
            var model = ColbertEncoder.Load(TestPaths.FixtureModel("colbert-bert-tiny"));
            model.EncodeDocuments(["Fjell og fjord", "Et dokument om norske fjell og daler"]); // packs the weights its passes multiply
            // (a part of a stacked weight, BERT's query, key and value, is multiplied through its stacked whole)
            var linear = model.Transformer.Parameters.Where(p => IsLinear(p) && p.CoversStorage).ToList();
            Assert.NotEmpty(linear);
            // the packed form the passes kept (asking without pieces returns it as it is: packed once, kept)
            Assert.All(linear, p => Assert.False(p.PackedForLinear(holdPieces: false)!.HasPanels,
                $"{p.Name}: float32 panels (split per product), not the pieces held"));
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }
}
