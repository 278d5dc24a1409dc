namespace Skald.Data.Generation;

/// <summary>Limits a generated (query, passage) pair must meet.</summary>
public sealed record FilterOptions
{
    /// <summary>Fewest words in a query (headings: <see cref="MinHeadingWords"/>).</summary>
    public int MinQueryWords { get; init; } = 4;

    /// <summary>Most words in a query.</summary>
    public int MaxQueryWords { get; init; } = 64;

    /// <summary>Fewest words in a heading used as a query.</summary>
    public int MinHeadingWords { get; init; } = 2;

    /// <summary>Fewest words in a positive passage.</summary>
    public int MinPassageWords { get; init; } = 8;
}
