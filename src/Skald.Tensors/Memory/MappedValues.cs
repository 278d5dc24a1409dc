using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Skald.Tensors.Memory;

/// <summary>
/// The values of one tensor left in its file, memory-mapped read-only: float32, bfloat16 or float16 (<see cref="Format"/>),
/// row-major, little-endian (safetensors' layout). Only the pages a read touches become resident, so a model whose
/// embedding table stays mapped (<see cref="Autograd.Parameter.IsMapped"/>) holds the rows its texts use, not the whole
/// vocabulary (a 0.5B decoder's float32 table is 545 MB; XLM-R's 768 MB). The mapping lives as long as this object: it
/// is released by <see cref="Dispose"/> or, once unreachable, by the finalizer. The file must not be truncated while
/// mapped (replacing it by a rename, as atomic writes do, is safe on Linux: the mapping keeps the old file).
/// </summary>
public sealed unsafe class MappedValues : IDisposable
{
    private readonly MemoryMappedFile map;
    private readonly MemoryMappedViewAccessor view;
    private byte* values;

    private MappedValues(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* values, long count,
        WeightPrecision format)
    {
        Path = path;
        this.map = map;
        this.view = view;
        this.values = values;
        Count = count;
        Format = format;
    }

    /// <summary>
    /// Finalizer (the owner let go without <see cref="Dispose"/>, as a parameter does when its table is copied into
    /// memory): drops the pointer's hold on the view, whose own handle then unmaps it.
    /// </summary>
    ~MappedValues()
    {
        if (values == null) return;
        values = null;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
    }

    /// <summary>The mapped file.</summary>
    public string Path { get; }

    /// <summary>Number of values.</summary>
    public long Count { get; }

    /// <summary>How the values are stored: float32, bfloat16 or float16.</summary>
    public WeightPrecision Format { get; }

    /// <summary>Bytes one value takes in the file.</summary>
    public int ValueBytes => Format == WeightPrecision.Float32 ? 4 : 2;

    /// <summary>
    /// Maps <paramref name="count"/> values of <paramref name="format"/> starting <paramref name="byteOffset"/> bytes
    /// into the file at <paramref name="path"/> (any offset: the view is aligned to a page below it). Throws
    /// <see cref="IOException"/> when the file cannot be mapped or is shorter than the range.
    /// </summary>
    public static MappedValues Open(string path, long byteOffset, long count, WeightPrecision format)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        long bytes = checked(count * (format == WeightPrecision.Float32 ? 4 : 2));
        if (new FileInfo(path).Length < byteOffset + bytes)
            throw new IOException($"{path}: the file is shorter than the {bytes} bytes at offset {byteOffset} to map");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(byteOffset, bytes, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            return new MappedValues(path, map, view, start + view.PointerOffset, count, format);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Values [<paramref name="start"/>, start + destination.Length) as float32 (widening is exact: the same bits as
    /// reading the whole tensor into float32).
    /// </summary>
    public void Widen(long start, Span<float> destination)
    {
        if (start < 0 || start + (long)destination.Length > Count) throw new ArgumentOutOfRangeException(nameof(start));
        byte* at = Start + start * ValueBytes;
        int n = destination.Length;
        if (Format == WeightPrecision.Float32) new ReadOnlySpan<float>(at, n).CopyTo(destination);
        else Kernels.F16.ToSingle(Format, new ReadOnlySpan<ushort>(at, n), destination);
        GC.KeepAlive(this); // the mapping must outlive the read
    }

    /// <summary>
    /// Values [<paramref name="start"/>, start + destination.Length) as a parameter held as <paramref name="heldAs"/>
    /// reads them: widened exactly, after rounding to nearest even to <paramref name="heldAs"/> when that is a 16-bit
    /// format other than <see cref="Format"/> (the values a checkpoint reader rounding the whole tensor would hold).
    /// </summary>
    public void Widen(long start, Span<float> destination, WeightPrecision heldAs)
    {
        Widen(start, destination);
        if (heldAs == WeightPrecision.Float32 || heldAs == Format) return;
        Span<ushort> bits = stackalloc ushort[256];
        for (int at = 0; at < destination.Length; at += bits.Length)
        {
            var part = destination.Slice(at, Math.Min(bits.Length, destination.Length - at));
            Kernels.F16.FromSingle(heldAs, part, bits[..part.Length]);
            Kernels.F16.ToSingle(heldAs, bits[..part.Length], part);
        }
    }

    /// <summary>All values as float32, in a new array; the pages read are given back (<see cref="MappedPages"/>).</summary>
    public float[] ToSingle()
    {
        var result = new float[Count];
        for (long at = 0; at < Count; at += Chunk)
        {
            int n = (int)Math.Min(Chunk, Count - at);
            Widen(at, result.AsSpan((int)at, n));
            MappedPages.Release(Start + at * ValueBytes, (long)n * ValueBytes);
        }
        GC.KeepAlive(this);
        return result;
    }

    /// <summary>
    /// All values as 16-bit <paramref name="format"/> (bfloat16 or float16) in a new array: copied when stored so,
    /// else rounded to nearest even; the pages read are given back.
    /// </summary>
    public ushort[] ToBits16(WeightPrecision format)
    {
        if (format == WeightPrecision.Float32) throw new ArgumentException("16-bit values need BFloat16 or Float16", nameof(format));
        var result = new ushort[Count];
        if (format == Format)
        {
            new ReadOnlySpan<ushort>(Start, checked((int)Count)).CopyTo(result);
            MappedPages.Release(Start, Count * 2);
        }
        else
        {
            var wide = new float[Math.Min(Chunk, Count)];
            for (long at = 0; at < Count; at += Chunk)
            {
                int n = (int)Math.Min(Chunk, Count - at);
                Widen(at, wide.AsSpan(0, n));
                Kernels.F16.FromSingle(format, wide.AsSpan(0, n), result.AsSpan((int)at, n));
                MappedPages.Release(Start + at * ValueBytes, (long)n * ValueBytes);
            }
        }
        GC.KeepAlive(this);
        return result;
    }

    private const int Chunk = 1 << 22; // values copied between page releases

    private byte* Start => values != null ? values : throw new ObjectDisposedException(Path);

    /// <summary>Unmaps the values; reading afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (values == null) return;
        values = null;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
        GC.SuppressFinalize(this);
    }
}
