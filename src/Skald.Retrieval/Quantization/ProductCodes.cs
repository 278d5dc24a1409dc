namespace Skald.Retrieval.Quantization;

/// <summary>
/// Rows encoded by a <see cref="ProductQuantizer"/>: <see cref="Rows"/> codes of <see cref="ProductQuantizer.Subspaces"/>
/// sub-vector codes. <see cref="Residual"/> codes hold each row's difference from its IVF list's centroid (searched with
/// those lists, <see cref="PqSearch"/>); plain codes hold the rows themselves. Stored (<see cref="ToStored"/>, an index's
/// <c>embeddings.pq</c>) as <see cref="CodeBytes"/> bytes a row: ⌈M·b / 8⌉ for codes of b = <see cref="CodeBits"/> bits,
/// packed bitwise in faiss's order (<see cref="PackedCodes"/>): a byte a code for more than 128 centroids, 5–7 bits for
/// 17–128, and for at most 16 two a byte (sub-vector 2p in the low nibble of byte p, 2p + 1 in the high one, 0 after
/// an odd M's last). Held as stored; 4-bit codes move into <see cref="FastScanBlocks"/>' layout (the same M / 2 bytes a
/// row, the stored copy dropped) the first time a scan needs it; a graph's walk (<see cref="NeighbourScores"/>) reads
/// whichever layout is held.
/// </summary>
public sealed class ProductCodes
{
    private byte[]? bytes;          // as stored: [rows × CodeBytes]; null once 4-bit codes moved into blocks
    private FastScanBlocks? blocks; // 4-bit codes in block layout, after the first fast scan
    private readonly Lock gate = new();

    /// <summary>
    /// Wraps stored codes: <paramref name="data"/> holds exactly rows × <see cref="CodeBytes"/> bytes (codebooks of at
    /// most 128 centroids: codes of <see cref="CodeBits"/> bits packed, <see cref="Pack(ReadOnlySpan{byte}, int, int, int, Span{byte})"/>).
    /// </summary>
    public ProductCodes(ProductQuantizer quantizer, int rows, byte[] data, bool residual)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int width = CodeBytes(quantizer);
        if (data.LongLength != (long)rows * width)
            throw new ArgumentException($"{rows} codes of {width} bytes need {(long)rows * width} bytes, got {data.LongLength}" +
                (width != quantizer.Subspaces && data.LongLength == (long)rows * quantizer.Subspaces ? $" (codes of {CodeBits(quantizer)} bits are packed: ProductCodes.Pack)" : ""));
        if (FirstOutOfRange(quantizer, data, rows) is { } bad)
            throw new ArgumentException($"{Describe(quantizer, data, bad)} names no centroid of the codebooks' {quantizer.Centroids}");
        Quantizer = quantizer;
        Rows = rows;
        Residual = residual;
        Packed = Packs(quantizer);
        Bits = CodeBits(quantizer);
        bytes = data;
    }

    /// <summary>The codebooks.</summary>
    public ProductQuantizer Quantizer { get; }

    /// <summary>Number of codes.</summary>
    public int Rows { get; }

    /// <summary>Whether the codes are residuals from IVF list centroids.</summary>
    public bool Residual { get; }

    /// <summary>Whether two codes share a byte (at most 16 centroids), searched by the fast scan.</summary>
    public bool Packed { get; }

    /// <summary>Bits a sub-vector code is stored in (<see cref="CodeBits"/>): 8 a byte each, 5–7 packed, 4 two a byte.</summary>
    public int Bits { get; }

    /// <summary>Bytes held in memory for the codes.</summary>
    public long MemoryBytes => Volatile.Read(ref blocks)?.MemoryBytes ?? (long)Rows * CodeBytes(Quantizer);

    /// <summary>Byte codes [rows × M] (null for codes of fewer than 8 bits).</summary>
    internal byte[]? Bytes => Bits == 8 ? bytes : null;

    /// <summary>Codes of 5–7 bits as stored [rows × <see cref="CodeBytes"/>] (null for any other width).</summary>
    internal byte[]? BitPacked => Bits is > 4 and < 8 ? bytes : null;

    /// <summary>The codes as stored [rows × <see cref="CodeBytes"/>] while they are held so (null once 4-bit codes moved into blocks).</summary>
    internal byte[]? Stored => Volatile.Read(ref bytes);

    /// <summary>
    /// 4-bit codes in block layout, made from the stored copy the first time (which is then dropped); thread-safe.
    /// </summary>
    internal FastScanBlocks Blocks()
    {
        if (!Packed) throw new InvalidOperationException("codes of more than 16 centroids have no fast-scan layout");
        if (Volatile.Read(ref blocks) is { } made) return made;
        lock (gate)
        {
            if (blocks is null)
            {
                Volatile.Write(ref blocks, FastScanBlocks.Build(bytes!, Rows, Quantizer.Subspaces));
                Volatile.Write(ref bytes, null);
            }
            return blocks;
        }
    }

    /// <summary>Whether codes of <paramref name="quantizer"/> go two to a byte.</summary>
    internal static bool Packs(ProductQuantizer quantizer) => quantizer.Centroids <= 16;

    /// <summary>
    /// Bits a code of <paramref name="quantizer"/> is stored in: 4 for at most 16 centroids (the fast scan's nibbles),
    /// else the fewest that name every centroid (5 for 17–32, 6 up to 64, 7 up to 128, 8 above).
    /// </summary>
    public static int CodeBits(ProductQuantizer quantizer) => Math.Max(4, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)quantizer.Centroids - 1));

    /// <summary>Stored bytes per code: ⌈M·<see cref="CodeBits"/> / 8⌉ (M for a byte a code, ⌈M / 2⌉ for 4 bits).</summary>
    public static int CodeBytes(ProductQuantizer quantizer) => PackedCodes.RowBytes(quantizer.Subspaces, CodeBits(quantizer));

    /// <summary>
    /// The position of the first stored byte of <paramref name="data"/> that names no centroid (a code of K or more;
    /// packed: either nibble, or a nonzero high nibble after an odd M's last sub-vector; 5–7 bits: the byte holding a
    /// code's lowest bit, or a row's last byte when its padding bits are not zero), or null.
    /// </summary>
    internal static long? FirstOutOfRange(ProductQuantizer quantizer, byte[] data, int rows)
    {
        int width = CodeBytes(quantizer), k = quantizer.Centroids, bits = CodeBits(quantizer), m = quantizer.Subspaces;
        var span = data.AsSpan(0, checked(rows * width));
        if (bits == 8)
        {
            if (k >= 256) return null;
            int at = span.IndexOfAnyInRange((byte)k, (byte)255);
            return at < 0 ? null : at;
        }
        if (bits > 4)
        {
            int used = m * bits % 8; // bits of a row's last byte that hold codes (0: all)
            for (int r = 0; r < rows; r++)
            {
                var row = span.Slice(r * width, width);
                for (int s = 0; s < m; s++)
                    if (PackedCodes.Code(row, s, bits) >= k) return (long)r * width + s * bits / 8;
                if (used > 0 && row[^1] >> used != 0) return (long)r * width + width - 1;
            }
            return null;
        }
        bool oddTail = quantizer.Subspaces % 2 == 1;
        for (int i = 0; i < span.Length; i++)
        {
            int lo = span[i] & 15, hi = span[i] >> 4;
            if (lo >= k || (oddTail && i % width == width - 1 ? hi != 0 : hi >= k)) return i;
        }
        return null;
    }

    /// <summary>What a damaged stored byte at <paramref name="at"/> (<see cref="FirstOutOfRange"/>) is, for a message.</summary>
    internal static string Describe(ProductQuantizer quantizer, byte[] data, long at)
    {
        int width = CodeBytes(quantizer), bits = CodeBits(quantizer);
        long row = at / width;
        return bits is > 4 and < 8
            ? $"{bits}-bit code byte {data[at]} (byte {at % width} of {width}) at row {row}"
            : $"code byte {data[at]} at row {row}";
    }

    /// <summary>Row <paramref name="row"/>'s M sub-vector codes into <paramref name="into"/>.</summary>
    public void Code(int row, Span<byte> into)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        int m = Quantizer.Subspaces;
        if (Bits == 8) bytes!.AsSpan(row * m, m).CopyTo(into);
        else if (Bits > 4) PackedCodes.Unpack(bytes.AsSpan(row * CodeBytes(Quantizer), CodeBytes(Quantizer)), m, Bits, into);
        else if (Volatile.Read(ref bytes) is { } stored)
            for (int s = 0; s < m; s++) into[s] = (byte)((stored[row * CodeBytes(Quantizer) + s / 2] >> (s % 2 * 4)) & 15);
        else blocks!.Code(row, into[..m]);
    }

    /// <summary>
    /// Row <paramref name="row"/>'s M codes into <paramref name="into"/> at m·<see cref="NeighbourScores.Lanes"/> +
    /// <paramref name="lane"/>: the layout <see cref="NeighbourScores"/> looks a neighbour list's codes up in, eight rows side
    /// by side (codes of 5–7 bits read eight at a time by one 64-bit load where the row's bytes allow).
    /// </summary>
    internal void Gather(int row, int lane, Span<byte> into)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        const int Stride = NeighbourScores.Lanes;
        int m = Quantizer.Subspaces, width = CodeBytes(Quantizer);
        if (Bits == 8)
        {
            var code = bytes.AsSpan(row * m, m);
            for (int s = 0; s < m; s++) into[s * Stride + lane] = code[s];
        }
        else if (Bits > 4) PackedCodes.Gather(bytes, row * width, m, Bits, lane, Stride, into);
        else if (Volatile.Read(ref bytes) is { } stored)
        {
            var code = stored.AsSpan(row * width, width);
            for (int p = 0, s = 0; p < width; p++, s += 2)
            {
                into[s * Stride + lane] = (byte)(code[p] & 15);
                if (s + 1 < m) into[(s + 1) * Stride + lane] = (byte)(code[p] >> 4);
            }
        }
        else blocks!.Gather(row, lane, Stride, into);
    }

    /// <summary>q · x̂ of row <paramref name="row"/> from the query's <see cref="ProductQuantizer.Table"/>, as <see cref="ProductQuantizer.Score"/>.</summary>
    public float Score(int row, ReadOnlySpan<float> table)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        int m = Quantizer.Subspaces, k = Quantizer.Centroids;
        if (Bits == 8) return ProductQuantizer.Score(bytes!.AsSpan(row * m, m), table, k);
        if (Bits > 4) return PackedCodes.Score(bytes.AsSpan(row * CodeBytes(Quantizer), CodeBytes(Quantizer)), m, Bits, table, k);
        if (Volatile.Read(ref bytes) is not { } stored) return blocks!.Score(row, table, k);
        var code = stored.AsSpan(row * CodeBytes(Quantizer), CodeBytes(Quantizer));
        float s = 0;
        for (int j = 0; j < m; j++) s += table[j * k + (j % 2 == 0 ? code[j / 2] & 15 : code[j / 2] >> 4)];
        return s;
    }

    /// <summary>The codes as stored [rows × <see cref="CodeBytes"/>] (what an index's <c>embeddings.pq</c> holds).</summary>
    public byte[] ToStored()
    {
        int width = CodeBytes(Quantizer);
        if (Volatile.Read(ref bytes) is { } held) return held.AsSpan(0, Rows * width).ToArray();
        var stored = new byte[(long)Rows * width];
        for (int r = 0; r < Rows; r++) blocks!.Stored(r, stored.AsSpan(r * width, width));
        return stored;
    }

    /// <summary>
    /// <paramref name="rows"/> codes of M bytes [rows × M] packed two to a byte (sub-vector 2p low, 2p + 1 high) into
    /// <paramref name="into"/> [rows × ⌈M / 2⌉].
    /// </summary>
    public static void Pack(ReadOnlySpan<byte> codes, int rows, int subspaces, Span<byte> into) => Pack(codes, rows, subspaces, 4, into);

    /// <summary>
    /// <paramref name="rows"/> codes of M bytes [rows × M], each below 2^<paramref name="bits"/>, packed bitwise in
    /// faiss's order (<see cref="PackedCodes"/>) into <paramref name="into"/> [rows × ⌈M·bits / 8⌉]; 8 bits copies them.
    /// </summary>
    public static void Pack(ReadOnlySpan<byte> codes, int rows, int subspaces, int bits, Span<byte> into)
    {
        if (bits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "codes of 1 to 8 bits");
        PackedCodes.Pack(codes, rows, subspaces, bits, into);
    }

    /// <summary>
    /// Encodes <paramref name="rows"/> (with <paramref name="lists"/>, in the lists' row order: each row's residual from
    /// its list's centroid).
    /// </summary>
    public static ProductCodes Encode(ProductQuantizer quantizer, IReadOnlyList<float[]> rows, Ivf.InvertedLists? lists = null)
    {
        if (lists is not null && lists.Rows != rows.Count) throw new ArgumentException($"the lists hold {lists.Rows} rows, got {rows.Count}", nameof(rows));
        var data = new byte[(long)rows.Count * CodeBytes(quantizer)];
        using (var stream = new MemoryStream(data))
        {
            var writer = new ProductCodeWriter(quantizer, lists, stream);
            foreach (var row in rows) writer.Add(row);
            writer.Flush();
        }
        return new ProductCodes(quantizer, rows.Count, data, lists is not null);
    }
}
