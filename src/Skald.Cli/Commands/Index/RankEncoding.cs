using Skald.Distributed;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// <c>skald index build</c> under mpirun: each rank encodes its <see cref="Shard"/> of the records' texts, in blocks of
/// <see cref="IndexBuilder.EmbedBatch"/> as one process does, and the rows are gathered in input order (rank order)
/// for rank 0 to write. Rows of one length (dense vectors) go through <see cref="RowGather.Gather"/>; a ColBERT model's
/// token vectors and BGE-M3's outputs are packed into one float row each (token ids and sparse indices as exact
/// integers) and go through <see cref="RowGather.GatherRagged"/>.
/// </summary>
internal static class RankEncoding
{
    /// <summary>This rank's shard of <paramref name="texts"/> encoded by <paramref name="encode"/>, a block at a time.</summary>
    public static T[] EncodeShard<T>(ICommunicator world, IReadOnlyList<string> texts, Func<IReadOnlyList<string>, T[]> encode, Action<int, int>? progress)
    {
        var shard = Shard.Of(texts.Count, world.Rank, world.Size);
        var local = new T[shard.Count];
        for (int start = 0; start < shard.Count; start += IndexBuilder.EmbedBatch)
        {
            int n = Math.Min(IndexBuilder.EmbedBatch, shard.Count - start);
            var block = encode([.. Enumerable.Range(shard.Start + start, n).Select(i => texts[i])]);
            if (block.Length != n) throw new InvalidOperationException($"{n} texts encoded into {block.Length} rows");
            block.CopyTo(local, start);
            progress?.Invoke(start + n, shard.Count);
        }
        return local;
    }

    /// <summary>Every rank's token vectors (<paramref name="dim"/> values each), in input order.</summary>
    public static TokenVectors[] Gather(ICommunicator world, TokenVectors[] local, int total, int dim) =>
        [.. RowGather.GatherRagged(world, [.. local.Select(PackTokens)], total).Select(row => UnpackTokens(row, 0, row.Length, dim))];

    /// <summary>Every rank's BGE-M3 <paramref name="outputs"/> (dense of <paramref name="dim"/>, ColBERT of <paramref name="colbertDim"/> values), in input order.</summary>
    public static BgeM3Output[] Gather(ICommunicator world, BgeM3Output[] local, int total, BgeM3Outputs outputs, int dim, int colbertDim) =>
        [.. RowGather.GatherRagged(world, [.. local.Select(o => Pack(o, outputs))], total).Select(row => Unpack(row, outputs, dim, colbertDim))];

    // Token vectors as [ids (count), values (count × dim)]: the count is the row's length / (1 + dim).
    private static float[] PackTokens(TokenVectors t)
    {
        var row = new float[t.Count + t.Values.Length];
        for (int i = 0; i < t.Count; i++) row[i] = Exact(t.TokenIds[i]);
        t.Values.CopyTo(row, t.Count);
        return row;
    }

    private static TokenVectors UnpackTokens(float[] row, int start, int length, int dim)
    {
        int count = length / (1 + dim);
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = (int)row[start + i];
        return new TokenVectors(row.AsSpan(start + count, count * dim).ToArray(), ids, dim);
    }

    // BGE-M3 outputs in the order dense, sparse, colbert (the stored ones only): dense as its values; sparse as
    // [n, indices (n), weights (n)]; colbert as packed token vectors, the rest of the row.
    private static float[] Pack(BgeM3Output o, BgeM3Outputs outputs)
    {
        var row = new List<float>();
        if ((outputs & BgeM3Outputs.Dense) != 0) row.AddRange(o.Dense!);
        if ((outputs & BgeM3Outputs.Sparse) != 0)
        {
            var s = o.Sparse!;
            row.Add(Exact(s.Count));
            row.AddRange(s.Indices.Select(Exact));
            row.AddRange(s.Values);
        }
        if ((outputs & BgeM3Outputs.Colbert) != 0) row.AddRange(PackTokens(o.Colbert!));
        return [.. row];
    }

    private static BgeM3Output Unpack(float[] row, BgeM3Outputs outputs, int dim, int colbertDim)
    {
        int at = 0;
        float[]? dense = null;
        SparseEmbedding? sparse = null;
        TokenVectors? colbert = null;
        if ((outputs & BgeM3Outputs.Dense) != 0)
        {
            dense = row.AsSpan(0, dim).ToArray();
            at = dim;
        }
        if ((outputs & BgeM3Outputs.Sparse) != 0)
        {
            int n = (int)row[at++];
            var indices = new int[n];
            for (int i = 0; i < n; i++) indices[i] = (int)row[at + i];
            sparse = new SparseEmbedding(indices, row.AsSpan(at + n, n).ToArray());
            at += 2 * n;
        }
        if ((outputs & BgeM3Outputs.Colbert) != 0) colbert = UnpackTokens(row, at, row.Length - at, colbertDim);
        return new BgeM3Output(dense, sparse, colbert);
    }

    // An id or count as a float, exact within ±2^24 (vocabularies and row lengths are far smaller; a pooled vector's id is −1).
    private static float Exact(int value) => value > -RowGather.MaxRaggedRow && value < RowGather.MaxRaggedRow ? value
        : throw new InvalidOperationException($"{value} does not travel exactly as a float");
}
