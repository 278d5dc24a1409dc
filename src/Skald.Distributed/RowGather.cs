namespace Skald.Distributed;

/// <summary>
/// Data-parallel encoding's last step: every rank embedded its <see cref="Shard"/> of the rows; the blocks are
/// all-gathered in rank order, which is the input order.
/// </summary>
public static class RowGather
{
    /// <summary>
    /// All <paramref name="total"/> rows (each <paramref name="dim"/> floats) in input order, on every rank, from each
    /// rank's block <paramref name="local"/> (<see cref="Shard.Of"/> rows of <paramref name="total"/>).
    /// </summary>
    public static float[][] Gather(ICommunicator comm, IReadOnlyList<float[]> local, int total, int dim)
    {
        ArgumentNullException.ThrowIfNull(comm);
        ArgumentNullException.ThrowIfNull(local);
        var shard = Shard.Of(total, comm.Rank, comm.Size);
        if (local.Count != shard.Count) throw new ArgumentException($"rank {comm.Rank} has {local.Count} rows, its shard {shard.Count}", nameof(local));
        var flat = new float[checked(local.Count * dim)];
        for (int i = 0; i < local.Count; i++) local[i].AsSpan(0, dim).CopyTo(flat.AsSpan(i * dim, dim));
        var all = new float[checked(total * dim)];
        comm.AllGather(flat, all, Shard.Counts(total, comm.Size, dim));
        var rows = new float[total][];
        for (int i = 0; i < total; i++) rows[i] = all.AsSpan(i * dim, dim).ToArray();
        return rows;
    }

    /// <summary>
    /// As <see cref="Gather"/> for rows of any length (a text's token vectors, a packed multi-output row): each row
    /// keeps its own length. The lengths travel as floats, so a row holds fewer than 2^24 values.
    /// </summary>
    public static float[][] GatherRagged(ICommunicator comm, IReadOnlyList<float[]> local, int total)
    {
        ArgumentNullException.ThrowIfNull(comm);
        ArgumentNullException.ThrowIfNull(local);
        var shard = Shard.Of(total, comm.Rank, comm.Size);
        if (local.Count != shard.Count) throw new ArgumentException($"rank {comm.Rank} has {local.Count} rows, its shard {shard.Count}", nameof(local));
        var lengths = new float[local.Count];
        int sum = 0;
        for (int i = 0; i < local.Count; i++)
        {
            if (local[i].Length >= MaxRaggedRow) throw new ArgumentException($"row {shard.Start + i} holds {local[i].Length} values, more than a gathered row can", nameof(local));
            lengths[i] = local[i].Length;
            sum = checked(sum + local[i].Length);
        }
        var allLengths = new float[total];
        comm.AllGather(lengths, allLengths, Shard.Counts(total, comm.Size));
        var sums = new int[comm.Size];
        comm.AllGather(sum, sums);
        var flat = new float[sum];
        for (int i = 0, at = 0; i < local.Count; at += local[i].Length, i++) local[i].CopyTo(flat, at);
        long all = 0;
        foreach (int s in sums) all += s;
        if (all > Array.MaxLength) throw new ArgumentException($"the ranks' rows hold {all} values, more than one array can", nameof(local));
        var values = new float[all];
        comm.AllGather(flat, values, sums);
        var rows = new float[total][];
        for (int i = 0, at = 0; i < total; i++)
        {
            int n = (int)allLengths[i];
            rows[i] = values.AsSpan(at, n).ToArray();
            at += n;
        }
        return rows;
    }

    /// <summary>Longest row <see cref="GatherRagged"/> takes: its length must be exact as a float.</summary>
    public const int MaxRaggedRow = 1 << 24;
}
