using Skald.Models.Modules;
using Skald.Tensors.Autograd;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Models.Tests.Modules;

/// <summary>Finite-difference checks of the Pooling module's backward (beside its forward in Pooling.cs).</summary>
public sealed class PoolingGradientTests
{
    [Theory]
    [InlineData(PoolingMode.Cls)]
    [InlineData(PoolingMode.Max)]
    [InlineData(PoolingMode.Mean)]
    [InlineData(PoolingMode.MeanSqrtLen)]
    [InlineData(PoolingMode.WeightedMean)]
    [InlineData(PoolingMode.LastToken)]
    [InlineData(PoolingMode.WeightedMeanOverPooled)]
    [InlineData(PoolingMode.Cls | PoolingMode.Max | PoolingMode.Mean | PoolingMode.MeanSqrtLen | PoolingMode.WeightedMean | PoolingMode.LastToken | PoolingMode.WeightedMeanOverPooled)]
    public void Pooling_(PoolingMode modes)
    {
        int batch = 3, seq = 4, c = 5;
        int[] mask = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0];
        var config = new PoolingConfig(c, modes);
        Check((t, v) => Pooling.Forward(t, v[0], mask, batch, seq, config), [new Input(Random(batch * seq * c, 3), batch * seq, c)],
            [], eps: 1e-3);
    }

    [Theory]
    [InlineData(PoolingMode.Cls)]
    [InlineData(PoolingMode.Max)]
    [InlineData(PoolingMode.Mean)]
    [InlineData(PoolingMode.WeightedMean)]
    [InlineData(PoolingMode.LastToken)]
    [InlineData(PoolingMode.WeightedMeanOverPooled)]
    public void Pooling_LeftPaddedWithEmbedMask(PoolingMode modes)
    {
        // Left padding; the embed mask leaves instruction tokens out (row 2 pools nothing: its gradient must be zero).
        int batch = 3, seq = 5, c = 4;
        int[] mask = [0, 1, 1, 1, 1, /**/ 0, 0, 0, 1, 1, /**/ 0, 0, 1, 1, 1];
        int[] embed = [0, 0, 0, 1, 1, /**/ 0, 0, 0, 1, 1, /**/ 0, 0, 0, 0, 0];
        var config = new PoolingConfig(c, modes);
        Check((t, v) => Pooling.Forward(t, v[0], mask, batch, seq, config, embedMask: embed),
            [new Input(Random(batch * seq * c, 5), batch * seq, c)], [], eps: 1e-3);
    }

    [Fact]
    public void Pooling_ExcludedPrompt()
    {
        int[] mask = [1, 1, 1, 1, 1, 1, 1, 0];
        var config = new PoolingConfig(3, PoolingMode.Mean | PoolingMode.Max | PoolingMode.WeightedMean | PoolingMode.LastToken, IncludePrompt: false);
        Check((t, v) => Pooling.Forward(t, v[0], mask, 2, 4, config, promptLength: 2), [new Input(Random(24, 4), 8, 3)], [], eps: 1e-3);
    }
}
