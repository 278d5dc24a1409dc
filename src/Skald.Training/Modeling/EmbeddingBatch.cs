namespace Skald.Training.Modeling;

/// <summary>A dense [Rows, Dim] row-major matrix of sentence embeddings (or of their gradients).</summary>
public sealed class EmbeddingBatch
{
    /// <summary>A zeroed [rows, dim] matrix.</summary>
    public EmbeddingBatch(int rows, int dim) : this(new float[(long)rows * dim is var n && n <= Array.MaxLength ? (int)n : throw new ArgumentOutOfRangeException(nameof(rows))], rows, dim)
    {
    }

    /// <summary>A matrix over <paramref name="data"/> (not copied).</summary>
    public EmbeddingBatch(float[] data, int rows, int dim)
    {
        if ((long)rows * dim != data.Length) throw new ArgumentException($"[{rows}, {dim}] does not match {data.Length} values");
        Data = data;
        Rows = rows;
        Dim = dim;
    }

    /// <summary>A copy of <paramref name="rows"/> (all of one width) as one matrix.</summary>
    public static EmbeddingBatch FromRows(IReadOnlyList<float[]> rows)
    {
        var batch = new EmbeddingBatch(rows.Count, rows.Count == 0 ? 0 : rows[0].Length);
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != batch.Dim) throw new ArgumentException($"row {i} has {rows[i].Length} values, row 0 {batch.Dim}", nameof(rows));
            rows[i].CopyTo(batch.Row(i));
        }
        return batch;
    }

    /// <summary>Values.</summary>
    public float[] Data { get; }

    /// <summary>Rows (texts).</summary>
    public int Rows { get; }

    /// <summary>Width.</summary>
    public int Dim { get; }

    /// <summary>Row <paramref name="i"/>.</summary>
    public Span<float> Row(int i) => Data.AsSpan(i * Dim, Dim);

    /// <summary>A copy of rows [start, start + count).</summary>
    public EmbeddingBatch SliceRows(int start, int count) => new(Data.AsSpan(start * Dim, count * Dim).ToArray(), count, Dim);

    /// <summary>A copy of the first <paramref name="dims"/> columns.</summary>
    public EmbeddingBatch Truncate(int dims)
    {
        if (dims <= 0 || dims > Dim) throw new ArgumentOutOfRangeException(nameof(dims), $"{dims} is not in [1, {Dim}]");
        var r = new EmbeddingBatch(Rows, dims);
        for (int i = 0; i < Rows; i++) Data.AsSpan(i * Dim, dims).CopyTo(r.Row(i));
        return r;
    }

    /// <summary>Rows of several matrices of the same width stacked in order.</summary>
    public static EmbeddingBatch Concat(IReadOnlyList<EmbeddingBatch> parts)
    {
        int dim = parts[0].Dim, rows = parts.Sum(p => p.Rows);
        var r = new EmbeddingBatch(rows, dim);
        int at = 0;
        foreach (var p in parts)
        {
            if (p.Dim != dim) throw new ArgumentException("widths differ");
            p.Data.CopyTo(r.Data, at);
            at += p.Data.Length;
        }
        return r;
    }
}
