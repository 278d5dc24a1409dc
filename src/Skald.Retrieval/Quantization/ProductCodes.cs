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
        if (FirstOutOfRange(quantizer, data, rows) is { } bad)
            throw new ArgumentException($"code byte {data[bad]} at row {bad / quantizer.Subspaces} is not below the codebooks' {quantizer.Centroids} centroids");
        Quantizer = quantizer;
        Rows = rows;
        Data = data;
        Residual = residual;
    }

    private readonly object gate = new();
    private FastScanBlocks? flatBlocks;
    private (Ivf.InvertedLists Lists, FastScanBlocks Blocks)? listBlocks;

    /// <summary>The position of the first code byte of <paramref name="data"/> that names no centroid (K or more), or null.</summary>
    internal static long? FirstOutOfRange(ProductQuantizer quantizer, byte[] data, int rows)
    {
        if (quantizer.Centroids >= 256) return null;
        int at = data.AsSpan(0, checked(rows * quantizer.Subspaces)).IndexOfAnyInRange((byte)quantizer.Centroids, (byte)255);
        return at < 0 ? null : at;
    }

    /// <summary>The codebooks.</summary>
    public ProductQuantizer Quantizer { get; }

    /// <summary>Number of codes.</summary>
    public int Rows { get; }

    /// <summary>The codes, row-major [rows × M].</summary>
    public byte[] Data { get; }

    /// <summary>Whether the codes are residuals from IVF list centroids.</summary>
    public bool Residual { get; }

    /// <summary>
    /// The codes in <see cref="FastScanBlocks"/>' layout, one segment per list of <paramref name="lists"/> (null: one
    /// for all rows); built on first use and kept (one layout for each, the last lists asked for).
    /// </summary>
    internal FastScanBlocks FastScan(Ivf.InvertedLists? lists)
    {
        lock (gate)
        {
            if (lists is null) return flatBlocks ??= FastScanBlocks.Build(this, null);
            if (listBlocks is not { } kept || !ReferenceEquals(kept.Lists, lists)) listBlocks = kept = (lists, FastScanBlocks.Build(this, lists));
            return kept.Blocks;
        }
    }

    /// <summary>Row <paramref name="row"/>'s code.</summary>
    public ReadOnlySpan<byte> Row(int row) => Data.AsSpan(checked(row * Quantizer.Subspaces), Quantizer.Subspaces);

    /// <summary>
    /// Encodes <paramref name="rows"/> (with <paramref name="lists"/>, in the lists' row order: each row's residual from
    /// its list's centroid).
    /// </summary>
    public static ProductCodes Encode(ProductQuantizer quantizer, IReadOnlyList<float[]> rows, Ivf.InvertedLists? lists = null)
    {
        if (lists is not null && lists.Rows != rows.Count) throw new ArgumentException($"the lists hold {lists.Rows} rows, got {rows.Count}", nameof(rows));
        var data = new byte[(long)rows.Count * quantizer.Subspaces];
        using (var stream = new MemoryStream(data))
        {
            var writer = new ProductCodeWriter(quantizer, lists, stream);
            foreach (var row in rows) writer.Add(row);
            writer.Flush();
        }
        return new ProductCodes(quantizer, rows.Count, data, lists is not null);
    }
}
