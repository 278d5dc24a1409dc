namespace Skald.Retrieval.Data;

/// <summary>
/// The rows a task's limit (evaluate --limit, a suite's or training's task_limit) keeps: a seeded random sample of that
/// many rows, in file order, not the file's first rows. Data sets are often sorted by label or score (the shared
/// suite's SIB-200 test files are), and their first rows are one class: a quick run on them scored a probe's accuracy on
/// a single label and a clustering of one cluster (V-measure 1); retrieval queries often come grouped by passage or
/// topic (XQuAD's by paragraph). The same rows and limit give the same sample on every run.
/// </summary>
public static class LimitedSample
{
    /// <summary>Seed of the sample.</summary>
    public const int Seed = 42;

    /// <summary><paramref name="limit"/> rows of <paramref name="rows"/> drawn at random (seed <see cref="Seed"/>), in their order; all of them without a limit or when there are no more.</summary>
    public static List<T> Take<T>(List<T> rows, int? limit)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (limit is not int n || n >= rows.Count) return rows;
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new Random(Seed).Shuffle(order);
        return [.. order.Take(n).Order().Select(i => rows[i])];
    }
}
