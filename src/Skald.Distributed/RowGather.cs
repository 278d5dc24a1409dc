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
}
