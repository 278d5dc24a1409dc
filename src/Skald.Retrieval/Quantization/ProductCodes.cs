namespace Skald.Retrieval.Quantization;

/// <summary>
/// Rows encoded by a <see cref="ProductQuantizer"/>: <see cref="Rows"/> codes of <see cref="ProductQuantizer.Subspaces"/>
/// bytes, row-major in <see cref="Data"/>. <see cref="Residual"/> codes hold each row's difference from its IVF list's
/// centroid (searched with those lists, <see cref="PqSearch"/>); plain codes hold the rows themselves.
/// </summary>
public sealed class ProductCodes
{
    /// <summary>Wraps codes (<paramref name="data"/> holds at least rows × M bytes).</summary>
    public ProductCodes(ProductQuantizer quantizer, int rows, byte[] data, bool residual)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (data.LongLength < (long)rows * quantizer.Subspaces)
            throw new ArgumentException($"{rows} codes of {quantizer.Subspaces} bytes need {(long)rows * quantizer.Subspaces} bytes, got {data.LongLength}");
        Quantizer = quantizer;
        Rows = rows;
        Data = data;
        Residual = residual;
    }

    /// <summary>The codebooks.</summary>
    public ProductQuantizer Quantizer { get; }

    /// <summary>Number of codes.</summary>
    public int Rows { get; }

    /// <summary>The codes, row-major [rows × M].</summary>
    public byte[] Data { get; }

    /// <summary>Whether the codes are residuals from IVF list centroids.</summary>
    public bool Residual { get; }

    /// <summary>Row <paramref name="row"/>'s code.</summary>
    public ReadOnlySpan<byte> Row(int row) => Data.AsSpan(checked(row * Quantizer.Subspaces), Quantizer.Subspaces);

    /// <summary>
    /// Encodes <paramref name="rows"/> (with <paramref name="lists"/>, in the lists' row order: each row's residual from
    /// its list's centroid).
    /// </summary>
    public static ProductCodes Encode(ProductQuantizer quantizer, IReadOnlyList<float[]> rows, Ivf.InvertedLists? lists = null)
    {
        if (lists is not null && lists.Rows != rows.Count) throw new ArgumentException($"the lists hold {lists.Rows} rows, got {rows.Count}", nameof(rows));
        int dim = quantizer.Dimension, m = quantizer.Subspaces;
        var data = new byte[(long)rows.Count * m];
        const int Block = 4096;
        var buffer = new float[Math.Min(Block, Math.Max(1, rows.Count)) * dim];
        int list = 0;
        for (int start = 0; start < rows.Count; start += Block)
        {
            int n = Math.Min(Block, rows.Count - start);
            for (int i = 0; i < n; i++)
            {
                var x = rows[start + i];
                if (x.Length != dim) throw new ArgumentException($"row {start + i} has {x.Length} values, expected {dim}", nameof(rows));
                var into = buffer.AsSpan(i * dim, dim);
                if (lists is null) x.CopyTo(into);
                else
                {
                    while (lists.Start(list + 1) <= start + i) list++;
                    System.Numerics.Tensors.TensorPrimitives.Subtract(x, lists.Centroids.Slice(list * dim, dim), into);
                }
            }
            quantizer.Encode(buffer.AsSpan(0, n * dim), n, data.AsSpan(start * m, n * m));
        }
        return new ProductCodes(quantizer, rows.Count, data, lists is not null);
    }
}
