using Skald.Distributed;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// An <see cref="IEmbeddingLoss"/> over the global batch when each data-parallel rank embedded only its shard
/// (sentence-transformers' <c>gather_across_devices</c>): every column's embeddings (and the labels) are all-gathered in
/// rank order, which is the single-process row order (<see cref="Shard"/>), every rank computes the same loss over the
/// whole batch, and keeps the gradient rows of its own shard. Summing the ranks' parameter gradients then gives the
/// gradient of the one-process loss, so in-batch negatives and the loss's normalisation do not depend on the number
/// of ranks. The loss itself costs O(B²·D) on every rank, small beside the encoder.
/// </summary>
internal static class AcrossRanks
{
    /// <summary>
    /// <paramref name="loss"/> over all ranks' rows; <paramref name="gradients"/> (this rank's shapes) receive
    /// d(loss)/d(this rank's embeddings).
    /// </summary>
    public static float Compute(IEmbeddingLoss loss, ICommunicator comm, IReadOnlyList<EmbeddingBatch> columns,
        IReadOnlyList<float>? labels, IReadOnlyList<EmbeddingBatch> gradients)
    {
        if (comm.Size == 1) return loss.Compute(columns, labels, gradients);
        int rows = columns[0].Rows;
        var perRank = new int[comm.Size];
        comm.AllGather(rows, perRank);
        int total = 0, start = 0;
        for (int r = 0; r < comm.Size; r++)
        {
            if (r == comm.Rank) start = total;
            total += perRank[r];
        }
        var all = new EmbeddingBatch[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            int dim = columns[c].Dim;
            all[c] = new EmbeddingBatch(total, dim);
            comm.AllGather(columns[c].Data, all[c].Data, perRank.Select(n => n * dim).ToArray());
        }
        float[]? allLabels = null;
        if (labels is not null)
        {
            int width = columns[0].Rows == 0 ? 1 : labels.Count / columns[0].Rows; // the same on every rank
            allLabels = new float[total * width];
            comm.AllGather(labels.ToArray(), allLabels, perRank.Select(n => n * width).ToArray());
        }
        var allGrads = all.Select(e => new EmbeddingBatch(e.Rows, e.Dim)).ToArray();
        float value = loss.Compute(all, allLabels, allGrads);
        for (int c = 0; c < columns.Count; c++)
        {
            int dim = columns[c].Dim;
            allGrads[c].Data.AsSpan(start * dim, rows * dim).CopyTo(gradients[c].Data);
        }
        return value;
    }
}
