namespace Skald.Retrieval.Ivf;

/// <summary>How an index builds its inverted lists (<see cref="InvertedLists"/>).</summary>
public sealed record IvfOptions
{
    /// <summary>Number of lists (0: <see cref="InvertedLists.AutoLists"/> of the rows).</summary>
    public int Lists { get; init; }

    /// <summary>Lists a search probes by default (0: <see cref="InvertedLists.AutoProbes"/> of the lists).</summary>
    public int Probes { get; init; }

    /// <summary>k-means settings for the centroids.</summary>
    public KMeansOptions Training { get; init; } = new();

    /// <summary>The list count for an index of <paramref name="rows"/> rows.</summary>
    public int ListsFor(int rows) => Lists > 0 ? Lists : InvertedLists.AutoLists(rows);

    /// <summary>The default probes for <paramref name="lists"/> lists (at most all of them).</summary>
    public int ProbesFor(int lists) => Math.Min(lists, Probes > 0 ? Probes : InvertedLists.AutoProbes(lists));
}
