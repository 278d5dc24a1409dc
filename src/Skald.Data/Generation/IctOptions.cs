namespace Skald.Data.Generation;

/// <summary>Options of the inverse-cloze generator.</summary>
public sealed record IctOptions
{
    /// <summary>Sentences taken out of each chunk as queries.</summary>
    public int QueriesPerChunk { get; init; } = 1;

    /// <summary>
    /// Also make a heading the query of its passage, where no other passage has that heading (the heading is then
    /// taken out of the passage's title; <see cref="IctGenerator"/>).
    /// </summary>
    public bool HeadingPairs { get; init; } = true;

    /// <summary>Seed of the sentence choice (the same seed and documents give the same data).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The pair filters.</summary>
    public FilterOptions Filter { get; init; } = new();
}
