namespace Skald.Distributed;

/// <summary>
/// How <c>n</c> rows are split across ranks: contiguous blocks in rank order, the first <c>n mod size</c> ranks one
/// row more, so concatenating the blocks in rank order gives the rows in their original order.
/// </summary>
public readonly record struct Shard(int Start, int Count)
{
    /// <summary>The block of <paramref name="rank"/> out of <paramref name="size"/> for <paramref name="rows"/> rows.</summary>
    public static Shard Of(int rows, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (size < 1 || rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {size}");
        int q = rows / size, r = rows % size;
        return new Shard(rank * q + Math.Min(rank, r), q + (rank < r ? 1 : 0));
    }

    /// <summary>Every rank's count (rows of the block × <paramref name="width"/> values per row).</summary>
    public static int[] Counts(int rows, int size, int width = 1)
    {
        var counts = new int[size];
        for (int r = 0; r < size; r++) counts[r] = checked(Of(rows, r, size).Count * width);
        return counts;
    }
}
