using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// <see cref="SentenceEncoder.Float32MatmulPrecision"/> at <see cref="Float32MatmulPrecision.High"/> (the AMX product from
/// two bfloat16 pieces a side; through the twins where there is no AMX): a BERT's and a decoder's embeddings within
/// cosine 0.99999 of Highest's and not its bits (the setting reaches every fused op), packed-only too; Highest stays the
/// default; a switched decoder keeps the setting.
/// </summary>
public sealed class HighPrecisionEncodeTests
{
    private static readonly string[] Texts = PackedOnlyModelTests.Texts;

    [Theory]
    [InlineData("bert-cased-mean", false)]
    [InlineData("bert-cased-mean", true)]
    [InlineData("decoder-qwen2", true)]
    public void HighIsWithinCosine0Point99999OfHighestAndNotItsBits(string fixture, bool packedOnly)
    {
        if (Blas.Backend is not ManagedGemm) return;
        string path = TestPaths.FixtureModel(fixture);
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1;
            var highest = SentenceEncoder.Load(path);
            var high = SentenceEncoder.Load(path);
            Assert.Equal(Float32MatmulPrecision.Highest, highest.Float32MatmulPrecision);
            high.Float32MatmulPrecision = Float32MatmulPrecision.High;
            if (packedOnly)
            {
                highest.KeepPackedOnly();
                high.KeepPackedOnly();
            }
            var a = highest.Encode(Texts);
            var b = high.Encode(Texts);
            bool anyDiffers = false;
            for (int i = 0; i < Texts.Length; i++)
            {
                double cosine = TestVectors.Cosine(a[i], b[i]);
                Assert.True(cosine >= 0.99999, $"{fixture}, text {i}: cosine {cosine:F7}");
                anyDiffers |= !a[i].AsSpan().SequenceEqual(b[i]);
            }
            Assert.True(anyDiffers, $"{fixture}: High gave Highest's bits on every text (the setting did not reach the product)");
            Assert.Equal(a, SentenceEncoder.Load(path).Encode(Texts)); // Highest stays the default's bits
            if (high.Transformer is IDecoder)
                Assert.Equal(Float32MatmulPrecision.High, high.WithAttention(AttentionMode.Bidirectional).Float32MatmulPrecision);
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }
}
