using Skald.Distributed;

namespace Skald.Training.Losses;

/// <summary>
/// A <see cref="ColbertLoss"/> over the global batch when each data-parallel rank encoded only its shard, as
/// <see cref="AcrossRanks"/> does for one vector a text (PyLate's <c>gather_across_devices</c>: the other ranks'
/// documents are in-batch negatives): every column's token vectors (a text has as many rows as it keeps, so the row
/// counts are gathered first) and the labels are all-gathered in rank order, which is the one-process row order
/// (<see cref="Shard"/>); every rank computes the same loss over the whole batch and keeps the gradients of its own
/// texts. Summing the ranks' parameter gradients gives the one-process gradient, whatever the number of ranks.
/// </summary>
internal static class ColbertAcrossRanks
{
    /// <summary>
    /// <paramref name="loss"/> over all ranks' texts: <paramref name="columns"/>[c][i] this rank's texts' vectors
    /// (column 0 the queries); <paramref name="gradients"/> (the same shapes, zeroed) receive d(loss)/d(this rank's vectors).
    /// </summary>
    public static float Compute(ColbertLoss loss, ICommunicator comm, IReadOnlyList<float[][]> columns, int dim, IReadOnlyList<float>? labels,
        IReadOnlyList<float[][]> gradients)
    {
        int rows = columns[0].Length;
        var perRank = new int[comm.Size];
        comm.AllGather(rows, perRank);
        int total = perRank.Sum(), start = perRank.Take(comm.Rank).Sum();
        var all = columns.Select(c => Gather(comm, c, perRank, total)).ToArray();
        float[]? allLabels = null;
        if (labels is not null)
        {
            int width = labels.Count / rows; // the same on every rank
            allLabels = new float[total * width];
            comm.AllGather(labels.ToArray(), allLabels, perRank.Select(n => n * width).ToArray());
        }
        var allGradients = all.Select(c => c.Select(v => new float[v.Length]).ToArray()).ToArray();
        float value = loss.Compute(all[0], [.. all.Skip(1)], dim, allLabels, allGradients[0], [.. allGradients.Skip(1)]);
        for (int c = 0; c < columns.Count; c++)
        {
            for (int i = 0; i < rows; i++) allGradients[c][start + i].CopyTo(gradients[c][i], 0);
        }
        return value;
    }

    // Every rank's texts of one column in rank order: each text's value count first, then the values.
    private static float[][] Gather(ICommunicator comm, float[][] local, int[] perRank, int total)
    {
        var lengths = new float[total];
        comm.AllGather(local.Select(v => (float)v.Length).ToArray(), lengths, perRank); // exact: a text holds far fewer than 2²⁴ values
        var counts = new int[perRank.Length];
        for (int r = 0, row = 0; r < perRank.Length; r++)
        {
            for (int i = 0; i < perRank[r]; i++) counts[r] += (int)lengths[row++];
        }
        var values = new float[counts.Sum()];
        comm.AllGather(local.SelectMany(v => v).ToArray(), values, counts);
        var texts = new float[total][];
        for (int i = 0, at = 0; i < total; at += texts[i].Length, i++) texts[i] = values.AsSpan(at, (int)lengths[i]).ToArray();
        return texts;
    }
}
