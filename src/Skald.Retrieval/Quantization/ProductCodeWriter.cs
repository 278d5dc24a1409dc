using System.Numerics.Tensors;
using Skald.Retrieval.Ivf;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Encodes rows one at a time into a stream of <see cref="ProductQuantizer"/> codes (<see cref="ProductCodes.CodeBytes"/> bytes each), in blocks through
/// <see cref="ProductQuantizer.Encode"/>. With <paramref name="lists"/> the rows come in the lists' row order and each
/// is encoded as its residual from its list's centroid. <see cref="Flush"/> writes what is buffered.
/// </summary>
internal sealed class ProductCodeWriter(ProductQuantizer quantizer, InvertedLists? lists, Stream output)
{
    private const int Block = 4096;

    private readonly float[] rows = new float[Block * quantizer.Dimension];
    private readonly byte[] codes = new byte[Block * quantizer.Subspaces];
    private readonly byte[] packed = new byte[Block * ProductCodes.CodeBytes(quantizer)];
    private int buffered;
    private int written; // rows encoded before the buffer
    private int list;

    /// <summary>Rows added so far.</summary>
    public int Count => written + buffered;

    /// <summary>Adds the next row [D].</summary>
    public void Add(ReadOnlySpan<float> row)
    {
        int dim = quantizer.Dimension;
        if (row.Length != dim) throw new ArgumentException($"row {Count} has {row.Length} values, expected {dim}", nameof(row));
        var into = rows.AsSpan(buffered * dim, dim);
        if (lists is null) row.CopyTo(into);
        else
        {
            if (Count >= lists.Rows) throw new ArgumentException($"more rows than the lists' {lists.Rows}", nameof(row));
            while (lists.Start(list + 1) <= Count) list++;
            TensorPrimitives.Subtract(row, lists.Centroids.Slice(list * dim, dim), into);
        }
        if (++buffered == Block) Flush();
    }

    /// <summary>Encodes and writes the buffered rows.</summary>
    public void Flush()
    {
        if (buffered == 0) return;
        quantizer.Encode(rows.AsSpan(0, buffered * quantizer.Dimension), buffered, codes);
        int width = ProductCodes.CodeBytes(quantizer);
        int bits = ProductCodes.CodeBits(quantizer);
        if (bits == 8) output.Write(codes, 0, buffered * width);
        else
        {
            PackedCodes.Pack(codes, buffered, quantizer.Subspaces, bits, packed);
            output.Write(packed, 0, buffered * width);
        }
        written += buffered;
        buffered = 0;
    }
}
