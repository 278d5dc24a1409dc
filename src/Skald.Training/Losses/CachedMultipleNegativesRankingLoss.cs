using Skald.Tokenizers;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' CachedMultipleNegativesRankingLoss: <see cref="MultipleNegativesRankingLoss"/> through
/// GradCache (<see cref="CachedLoss"/>), for large batches in the memory of <paramref name="miniBatchSize"/> rows.
/// </summary>
public sealed class CachedMultipleNegativesRankingLoss(float scale = 20f, int miniBatchSize = 32)
    : CachedLoss(new MultipleNegativesRankingLoss(scale), miniBatchSize)
{
    /// <inheritdoc />
    public override string Name => "cached_mnrl";
}
