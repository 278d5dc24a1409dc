using Skald.Models.Architectures;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on NorBERT3 beyond what every architecture shares (<see cref="MaskedLmArchitectureTests"/>, row "norbert3"):
/// the ids below 107, which NorbertForMaskedLM never predicts, are never targets.
/// </summary>
public sealed class NorbertMaskedLmTests
{
    [Fact]
    public void ExcludedIdsAreNeverTargets()
    {
        var encoder = TrainableEncoder.Load(MaskedLmArchitecture.Of("norbert3").Path, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.9f, seed: 5);
        float loss = mlm.Loss(encoder, MaskedLmReference.Texts, backward: false);
        Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        var tokens = new TokenBatch([2, 50, 3], [1, 1, 1], new int[3], 1, 3);
        Assert.Throws<ArgumentException>(() => mlm.Loss(encoder, tokens, [-1, 50, -1], backward: false));
    }
}
