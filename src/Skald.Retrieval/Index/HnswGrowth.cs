using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Index;

/// <summary>
/// How <see cref="IndexBuilder.Add"/> grows an HNSW index in place: every old row stays where it is, the rows the add
/// drops (deleted ones, a re-added document's old ones) stay in the graph as tombstones, as hnswlib's markDelete leaves
/// them, and the new rows are inserted after the old ones. Asked to reuse deleted slots (hnswlib's
/// <c>replace_deleted</c>), the first new rows instead take the dropped rows' slots, lowest first: the slot's record
/// and float row become the new row's and its graph node is linked anew (<see cref="HnswGraph.Replace"/>), so under
/// delete-and-add churn the index keeps its size; only the new rows beyond the dropped ones are appended.
/// <see cref="Plan"/> is null when more tombstones would stay than <see cref="IndexBuilder.HnswDeadShare"/> of the
/// rows: the add then compacts and builds the graph again.
/// </summary>
internal sealed class HnswGrowth
{
    private HnswGrowth(int[] reused, int[] tombstones) => (Reused, Tombstones) = (reused, tombstones);

    /// <summary>The slots the first new rows take, in order.</summary>
    public int[] Reused { get; }

    /// <summary>The rows left deleted.</summary>
    public int[] Tombstones { get; }

    /// <summary>The in-place growth of an index of <paramref name="rows"/> rows keeping <paramref name="keptRows"/> live
    /// and adding <paramref name="adding"/>, or null when it should compact instead.</summary>
    public static HnswGrowth? Plan(int rows, IReadOnlyList<int> keptRows, int adding, bool replaceDeleted)
    {
        int[] dead = [.. Enumerable.Range(0, rows).Except(keptRows)];
        int reuse = replaceDeleted ? Math.Min(dead.Length, adding) : 0;
        int left = dead.Length - reuse;
        if (left > 0 && left > IndexBuilder.HnswDeadShare * (rows + adding - reuse)) return null;
        return new HnswGrowth(dead[..reuse], dead[reuse..]);
    }

    /// <summary>
    /// Where each row of the grown index comes from: old row i is source i, new row j is source
    /// <paramref name="rows"/> + j; a reused slot holds the new row reusing it, the rest of the new rows follow the old ones.
    /// </summary>
    public int[] Sources(int rows, int adding)
    {
        var sources = new int[rows + adding - Reused.Length];
        for (int i = 0; i < rows; i++) sources[i] = i;
        for (int j = 0; j < adding; j++) sources[j < Reused.Length ? Reused[j] : rows + j - Reused.Length] = rows + j;
        return sources;
    }

    /// <summary>
    /// The saved graph of the index in <paramref name="folder"/> (read again: the open index's graph stays as it was)
    /// grown to <paramref name="row"/>'s rows by position: the reused slots linked anew, then the appended rows inserted.
    /// <paramref name="linking"/> is told (rows linked, rows to link) across both; <paramref name="similarity"/> is the graph's (<see cref="HnswGraph.Similarity"/>).
    /// </summary>
    public HnswGraph Graph(string folder, int rows, int total, FloatRow row, Action<int, int>? linking, Skald.Models.Modules.SimilarityFunction similarity)
    {
        var graph = HnswGraph.Read(Path.Combine(folder, IndexWriter.HnswFile), rows, similarity);
        int reused = Reused.Length, work = reused + total - rows;
        graph.Replace(Reused, row, progress: linking is null ? null : (done, _) => linking(done, work));
        graph.Insert(total, row, progress: linking is null ? null : (done, _) => linking(reused + done, work));
        return graph;
    }
}
