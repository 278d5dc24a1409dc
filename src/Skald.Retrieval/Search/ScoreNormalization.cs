namespace Skald.Retrieval.Search;

/// <summary>How <see cref="Fusion.Convex"/> puts one system's candidate scores on a common scale.</summary>
public enum ScoreNormalization
{
    /// <summary>(s − min) / (max − min) over the system's candidates; all 1 when they are equal.</summary>
    MinMax,
    /// <summary>(s − mean) / standard deviation (population) over the candidates; all 0 when they are equal (and documents missing from the side −1).</summary>
    ZScore,
}
