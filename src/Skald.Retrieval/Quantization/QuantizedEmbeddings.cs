namespace Skald.Retrieval.Quantization;

/// <summary>
/// Embeddings in one <see cref="EmbeddingPrecision"/>: <see cref="Rows"/> rows of <see cref="RowBytes"/> bytes each,
/// row-major in <see cref="Data"/> (int8 as two's complement, binary bits packed first dimension high), with the
/// calibration ranges that made them (int8 / uint8) so that queries are quantized the same way.
/// </summary>
public sealed class QuantizedEmbeddings
{
    /// <summary>Wraps quantized rows (<paramref name="data"/> holds at least rows × the precision's row bytes).</summary>
    public QuantizedEmbeddings(EmbeddingPrecision precision, int rows, int dimension, byte[] data, QuantizationRanges? ranges)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        Precision = precision;
        Rows = rows;
        Dimension = dimension;
        RowBytes = EmbeddingQuantizer.BytesPerRow(precision, dimension);
        if (data.LongLength < (long)rows * RowBytes)
            throw new ArgumentException($"{rows} rows of {RowBytes} bytes need {(long)rows * RowBytes} bytes, got {data.LongLength}");
        if (EmbeddingQuantizer.NeedsRanges(precision))
        {
            if (ranges is null) throw new ArgumentException($"{EmbeddingQuantizer.Name(precision)} embeddings need their calibration ranges");
            if (ranges.Dimension != dimension)
                throw new ArgumentException($"ranges cover {ranges.Dimension} dimensions, the embeddings have {dimension}");
        }
        Data = data;
        Ranges = ranges;
    }

    /// <summary>The number format.</summary>
    public EmbeddingPrecision Precision { get; }

    /// <summary>Number of embeddings.</summary>
    public int Rows { get; }

    /// <summary>Dimensions of the float embeddings they came from.</summary>
    public int Dimension { get; }

    /// <summary>Bytes per row.</summary>
    public int RowBytes { get; }

    /// <summary>The rows, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Calibration ranges (int8 / uint8), else null.</summary>
    public QuantizationRanges? Ranges { get; }

    /// <summary>Row <paramref name="row"/>'s bytes.</summary>
    public ReadOnlySpan<byte> Row(int row) => Data.AsSpan(checked(row * RowBytes), RowBytes);
}
