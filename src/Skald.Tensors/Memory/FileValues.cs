using System.Runtime.InteropServices;

namespace Skald.Tensors.Memory;

/// <summary>
/// The values of one [rows, rowLength] tensor left in its file: float32, bfloat16 or float16 (<see cref="Format"/>),
/// row-major, little-endian (safetensors' layout). A row is read from the file the first time it is asked for and
/// kept (as stored, in chunks of about 1 MB), so the process holds the rows it has used, not the whole table: a 0.5B
/// decoder's float32 vocabulary table is 545 MB (XLM-R's 768 MB) while a batch of texts uses a few thousand rows.
/// Reads go through the page cache (<see cref="RandomAccess"/>), which is not the process's memory and which the
/// kernel reclaims; a memory map would count the file's pages in the process (with large page-cache folios, 1,024
/// random rows of a 272 MB table made 252 MB of it resident). The file must keep its length while open (replacing it
/// by a rename, as atomic writes do, is safe on Linux: the open handle keeps the old file). The tensors of one file
/// share its one open handle (<see cref="SharedFile"/>), closed when the last of them is disposed. Thread-safe.
/// </summary>
public sealed class FileValues : IDisposable
{
    private const int ChunkBytes = 1 << 20;
    private readonly SharedFile file;
    private readonly SharedFileReference reference; // this tensor's hold on the shared handle
    private readonly long[] starts;     // byte offset of each segment (one for a tensor; a stack's parts, each its own)
    private readonly long segmentValues; // values a segment
    private readonly int[] slotOf;      // [rows]: the row's slot among the kept rows, or -1 until first read
    private readonly byte[]?[] chunks;  // kept rows, rowsPerChunk a chunk
    private readonly int rowsPerChunk;
    private readonly Lock gate = new();
    private int kept;

    private FileValues(SharedFile file, SharedFileReference reference, long[] starts, int rows, int rowLength, WeightPrecision format)
    {
        Path = file.Path;
        this.file = file;
        this.reference = reference;
        this.starts = starts;
        segmentValues = (long)rows / starts.Length * rowLength;
        Rows = rows;
        RowLength = rowLength;
        Format = format;
        slotOf = new int[rows];
        Array.Fill(slotOf, -1);
        rowsPerChunk = Math.Max(1, ChunkBytes / RowBytes);
        chunks = new byte[]?[(rows + rowsPerChunk - 1) / rowsPerChunk];
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Rows of the tensor.</summary>
    public int Rows { get; }

    /// <summary>Values a row.</summary>
    public int RowLength { get; }

    /// <summary>Number of values (<see cref="Rows"/> · <see cref="RowLength"/>).</summary>
    public long Count => (long)Rows * RowLength;

    /// <summary>How the values are stored: float32, bfloat16 or float16.</summary>
    public WeightPrecision Format { get; }

    /// <summary>Bytes one value takes in the file.</summary>
    public int ValueBytes => Format == WeightPrecision.Float32 ? 4 : 2;

    private int RowBytes => RowLength * ValueBytes;

    /// <summary>Rows read and kept so far.</summary>
    public int KeptRows => Volatile.Read(ref kept);

    /// <summary>Bytes the kept rows take (whole chunks).</summary>
    public long KeptBytes
    {
        get
        {
            long bytes = 0;
            foreach (var c in chunks) bytes += c?.Length ?? 0;
            return bytes;
        }
    }

    /// <summary>
    /// Opens the [<paramref name="rows"/>, <paramref name="rowLength"/>] values of <paramref name="format"/> that start
    /// <paramref name="byteOffset"/> bytes into the file at <paramref name="path"/>. Throws <see cref="IOException"/>
    /// when the file cannot be opened or is shorter than the tensor.
    /// </summary>
    public static FileValues Open(string path, long byteOffset, int rows, int rowLength, WeightPrecision format) =>
        Open(path, [byteOffset], rows, rowLength, format);

    /// <summary>
    /// Opens the [<paramref name="rows"/>, <paramref name="rowLength"/>] values of <paramref name="format"/> stored as
    /// equal parts at <paramref name="byteOffsets"/> in the file at <paramref name="path"/> (a stacked weight whose parts
    /// are separate tensors of one file: rows / parts rows each, in the order given). Throws <see cref="IOException"/>
    /// when the file cannot be opened or is shorter than a part.
    /// </summary>
    public static FileValues Open(string path, IReadOnlyList<long> byteOffsets, int rows, int rowLength, WeightPrecision format)
    {
        using var shared = SharedFile.Open(path); // the opener's reference released at once: the values hold the only one
        return Open(shared, byteOffsets, rows, rowLength, format);
    }

    /// <summary>
    /// As <see cref="Open(string, IReadOnlyList{long}, int, int, WeightPrecision)"/>, reading through the open
    /// <paramref name="file"/>, on which the values hold a reference of their own until disposed (the tensors of one
    /// checkpoint file share its handle). Throws <see cref="IOException"/> when the file is shorter than a part, and
    /// <see cref="ObjectDisposedException"/> when <paramref name="file"/> is closed.
    /// </summary>
    public static FileValues Open(SharedFile file, IReadOnlyList<long> byteOffsets, int rows, int rowLength, WeightPrecision format)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(byteOffsets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        if (byteOffsets.Count == 0 || rows % byteOffsets.Count != 0)
            throw new ArgumentException($"{rows} rows do not split into {byteOffsets.Count} equal parts", nameof(byteOffsets));
        long bytes = checked((long)rows / byteOffsets.Count * rowLength * (format == WeightPrecision.Float32 ? 4 : 2));
        foreach (long byteOffset in byteOffsets)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
            if (file.Length < byteOffset + bytes)
                throw new IOException($"{file.Path}: the file is shorter than the {bytes} bytes at offset {byteOffset}");
        }
        return new FileValues(file, file.Acquire(), [.. byteOffsets], rows, rowLength, format);
    }

    /// <summary>
    /// Values [<paramref name="first"/>, first + destination.Length) as a parameter held as <paramref name="heldAs"/>
    /// reads them: widened exactly, after rounding to nearest even to <paramref name="heldAs"/> when that is a 16-bit
    /// format other than <see cref="Format"/> (what a reader rounding the whole tensor holds). One whole row is served
    /// from the kept rows (read from the file the first time); any other range is read from the file, not kept.
    /// </summary>
    public void Widen(long first, Span<float> destination, WeightPrecision heldAs)
    {
        if (first < 0 || first + (long)destination.Length > Count) throw new ArgumentOutOfRangeException(nameof(first));
        if (destination.Length == RowLength && first % RowLength == 0) Widen(KeptRow((int)(first / RowLength)), destination);
        else ReadWide(first, destination);
        if (heldAs == WeightPrecision.Float32 || heldAs == Format) return;
        Span<ushort> bits = stackalloc ushort[256];
        for (int at = 0; at < destination.Length; at += bits.Length)
        {
            var part = destination.Slice(at, Math.Min(bits.Length, destination.Length - at));
            Kernels.F16.FromSingle(heldAs, part, bits[..part.Length]);
            Kernels.F16.ToSingle(heldAs, bits[..part.Length], part);
        }
    }

    /// <summary>All values as float32 in a new array, read from the file (nothing kept).</summary>
    public float[] ToSingle()
    {
        var result = new float[Count];
        ReadWide(0, result);
        return result;
    }

    /// <summary>
    /// All values as 16-bit <paramref name="format"/> (bfloat16 or float16) in a new array, read from the file: copied
    /// when stored so, else rounded to nearest even.
    /// </summary>
    public ushort[] ToBits16(WeightPrecision format)
    {
        if (format == WeightPrecision.Float32) throw new ArgumentException("16-bit values need BFloat16 or Float16", nameof(format));
        var result = new ushort[Count];
        if (format == Format)
        {
            ReadExactly(0, MemoryMarshal.AsBytes(result.AsSpan()));
            return result;
        }
        var wide = new float[Math.Min(Count, ChunkBytes)];
        for (long at = 0; at < Count; at += wide.Length)
        {
            int n = (int)Math.Min(wide.Length, Count - at);
            ReadWide(at, wide.AsSpan(0, n));
            Kernels.F16.FromSingle(format, wide.AsSpan(0, n), result.AsSpan((int)at, n));
        }
        return result;
    }

    /// <summary>
    /// Values [<paramref name="first"/>, first + destination.Length) as bfloat16 bits, as a parameter held as
    /// <paramref name="heldAs"/> rounds them for the bfloat16 GEMM (<see cref="Quantization.Bf16Matrix"/>), read from the
    /// file in chunks with nothing kept and no float32 copy of the tensor: stored bfloat16 bits are copied as they are
    /// (a signalling NaN quieted, as rounding its float32 would); float32 and float16 values are widened exactly (after
    /// rounding to <paramref name="heldAs"/> when that is a narrower 16-bit format, as <see cref="Widen(long, Span{float}, WeightPrecision)"/> reads them) and
    /// rounded to nearest even, so the bits are those of rounding <see cref="Widen(long, Span{float}, WeightPrecision)"/>'s float32 to bfloat16.
    /// </summary>
    public void ReadBf16(long first, Span<ushort> destination, WeightPrecision heldAs)
    {
        if (first < 0 || first + (long)destination.Length > Count) throw new ArgumentOutOfRangeException(nameof(first));
        if (Format == WeightPrecision.BFloat16 && heldAs != WeightPrecision.Float16)
        {
            ReadExactly(first, MemoryMarshal.AsBytes(destination));
            foreach (ref ushort b in destination)
                if ((b & 0x7FFF) > 0x7F80) b |= 0x0040;
            return;
        }
        bool roundTrip = heldAs != WeightPrecision.Float32 && heldAs != Format;
        Span<float> wide = stackalloc float[1024];
        Span<ushort> narrow = stackalloc ushort[1024];
        for (int at = 0; at < destination.Length; at += wide.Length)
        {
            int n = Math.Min(wide.Length, destination.Length - at);
            var part = wide[..n];
            ReadWide(first + at, part);
            if (roundTrip)
            {
                Kernels.F16.FromSingle(heldAs, part, narrow[..n]);
                Kernels.F16.ToSingle(heldAs, narrow[..n], part);
            }
            Kernels.Bf16.FromSingle(part, destination.Slice(at, n));
        }
    }

    /// <summary>The stored bytes of <paramref name="row"/>, read from the file into the kept rows on first use.</summary>
    private ReadOnlySpan<byte> KeptRow(int row)
    {
        int slot = Volatile.Read(ref slotOf[row]);
        if (slot < 0)
        {
            lock (gate)
            {
                slot = slotOf[row];
                if (slot < 0)
                {
                    slot = kept;
                    var chunk = chunks[slot / rowsPerChunk] ??= new byte[rowsPerChunk * RowBytes];
                    ReadExactly((long)row * RowLength, chunk.AsSpan(slot % rowsPerChunk * RowBytes, RowBytes));
                    Volatile.Write(ref kept, slot + 1);
                    Volatile.Write(ref slotOf[row], slot); // published after its bytes
                }
            }
        }
        return chunks[slot / rowsPerChunk].AsSpan(slot % rowsPerChunk * RowBytes, RowBytes);
    }

    private void Widen(ReadOnlySpan<byte> stored, Span<float> destination)
    {
        if (Format == WeightPrecision.Float32) MemoryMarshal.Cast<byte, float>(stored).CopyTo(destination);
        else Kernels.F16.ToSingle(Format, MemoryMarshal.Cast<byte, ushort>(stored), destination);
    }

    /// <summary>Values [<paramref name="first"/>, …) widened from the file in chunks (nothing kept).</summary>
    private void ReadWide(long first, Span<float> destination)
    {
        if (Format == WeightPrecision.Float32)
        {
            ReadExactly(first, MemoryMarshal.AsBytes(destination));
            return;
        }
        Span<ushort> bits = stackalloc ushort[2048];
        for (int at = 0; at < destination.Length; at += bits.Length)
        {
            int n = Math.Min(bits.Length, destination.Length - at);
            ReadExactly(first + at, MemoryMarshal.AsBytes(bits[..n]));
            Kernels.F16.ToSingle(Format, bits[..n], destination.Slice(at, n));
        }
    }

    /// <summary>Fills <paramref name="bytes"/> from value <paramref name="first"/> on (across parts); a short file is one clear error.</summary>
    private void ReadExactly(long first, Span<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(reference.IsReleased, this);
        while (bytes.Length > 0)
        {
            long segment = first / segmentValues, within = first % segmentValues;
            int take = (int)Math.Min(bytes.Length, (segmentValues - within) * ValueBytes);
            long offset = starts[segment] + within * ValueBytes;
            var part = bytes[..take];
            while (part.Length > 0)
            {
                int n = RandomAccess.Read(file.Handle, part, offset);
                if (n <= 0) throw new IOException($"{Path}: the file ended at byte {offset} while reading a tensor (was it truncated while the model was loaded?)");
                part = part[n..];
                offset += n;
            }
            bytes = bytes[take..];
            first += take / ValueBytes;
        }
    }

    /// <summary>
    /// Releases this tensor's hold on the file (closed when no other tensor of it is open); reading a row not kept
    /// afterwards throws <see cref="ObjectDisposedException"/>. Twice is fine.
    /// </summary>
    public void Dispose() => reference.Dispose();

    /// <summary>This tensor's hold on the file (disposing it is <see cref="Dispose"/>), for an owner that keeps it to close without keeping the rows read.</summary>
    internal IDisposable Reference => reference;
}
