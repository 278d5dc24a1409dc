using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Skald.Tensors;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Checkpoints;

/// <summary>
/// A memory-mapped safetensors file with a fully validated header: length within the file, JSON well formed, known
/// dtypes, offsets inside the data section and not overlapping, byte size equal to the shape's product. Tensors are
/// read as float32 (F32 copied, F16/BF16 converted). A <c>torch.save</c> zip (<c>pytorch_model.bin</c>) opens here
/// too, through the same table: <see cref="TorchStateDict"/> reads its state dict without running anything and places
/// each tensor at its file offset (its data section starts at byte 0), so every reader below serves both formats.
/// </summary>
public sealed unsafe partial class SafeTensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;
    private readonly Skald.Tensors.Memory.SharedFile shared; // the open file, mapped through its handle; the tensors left in it read it too
    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* basePtr;
    private readonly long dataStart;
    private readonly Dictionary<string, SafeTensorInfo> tensors;

    private SafeTensorsFile(string path, Skald.Tensors.Memory.SharedFile shared, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr,
        long dataStart, Dictionary<string, SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        this.shared = shared;
        this.map = map;
        this.view = view;
        this.basePtr = basePtr;
        this.dataStart = dataStart;
        this.tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The optional <c>__metadata__</c> string map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensors by key.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors => tensors;

    /// <summary>Opens and validates a file; throws <see cref="ModelFormatException"/> naming the file and the defect.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        FolderPaths.RegularFileLength(path); // (a device or folder named as the weights is refused before it is opened)
        bool torch = TorchStateDict.IsTorchFile(path);
        // One open file, mapped through its handle: the header read here gives the offsets the tensors left in the file
        // (Checkpoint.LeaveInFile) read at, so they must read this file, not one renamed over the path since.
        var shared = Skald.Tensors.Memory.SharedFile.Open(path);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long fileLength = shared.Length;
            if (fileLength < 8 && !torch)
                throw new ModelFormatException($"{path}: not a safetensors file (only {Counted.Of(fileLength, "byte")}, the 8-byte header length is missing)");
            map = shared.CreateMap();
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* ptr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
            ptr += view.PointerOffset;
            if (torch) return new SafeTensorsFile(path, shared, map, view, ptr, 0, TorchStateDict.Table(path, ptr, fileLength), new Dictionary<string, string>());
            ulong headerLength = *(ulong*)ptr; // little-endian on every platform .NET runs this on
            if (headerLength > (ulong)(fileLength - 8) || headerLength > MaxHeaderBytes)
                throw new ModelFormatException(
                    $"{path}: corrupt safetensors header: header length {headerLength} runs past the end of the file ({fileLength} bytes)");
            var headerBytes = new ReadOnlySpan<byte>(ptr + 8, (int)headerLength);
            long dataLength = fileLength - 8 - (long)headerLength;
            var (entries, metadata) = ParseHeader(path, headerBytes, dataLength);
            return new SafeTensorsFile(path, shared, map, view, ptr, 8 + (long)headerLength, entries, metadata);
        }
        catch
        {
            if (view is not null)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                view.Dispose();
            }
            map?.Dispose();
            shared.Dispose();
            throw;
        }
    }

    /// <summary>The byte offset of <paramref name="info"/>'s first value from the start of the file.</summary>
    public long FileOffset(SafeTensorInfo info) => dataStart + info.Begin;

    /// <summary>Reads a tensor as float32 into a new array.</summary>
    public float[] ReadFloat32(string name)
    {
        var info = tensors.TryGetValue(name, out var i) ? i
            : throw new ModelFormatException($"{Path}: tensor \"{name}\" not found");
        var result = new float[info.ElementCount];
        ReadFloat32(info, result);
        return result;
    }

    /// <summary>Reads an integer tensor (I64, I32, U32, I16, U16, U8, I8) as int indices, each in [0, <paramref name="bound"/>).</summary>
    public int[] ReadIndices(string name, int bound)
    {
        var info = tensors.TryGetValue(name, out var i) ? i
            : throw new ModelFormatException($"{Path}: tensor \"{name}\" not found");
        byte* src = basePtr + dataStart + info.Begin;
        var result = new int[info.ElementCount];
        for (int k = 0; k < result.Length; k++)
        {
            long v = info.DType switch
            {
                SafeTensorsDType.I64 => ((long*)src)[k],
                SafeTensorsDType.I32 => ((int*)src)[k],
                SafeTensorsDType.U32 => ((uint*)src)[k],
                SafeTensorsDType.I16 => ((short*)src)[k],
                SafeTensorsDType.U16 => ((ushort*)src)[k],
                SafeTensorsDType.U8 => src[k],
                SafeTensorsDType.I8 => ((sbyte*)src)[k],
                _ => throw new ModelFormatException($"{Path}: tensor \"{name}\" has dtype {info.DType}; indices are integers (I64, I32, ...)"),
            };
            if (v < 0 || v >= bound) throw new ModelFormatException($"{Path}: tensor \"{name}\"[{k}] = {v} is outside [0, {bound})");
            result[k] = (int)v;
        }
        Release(src, info.End - info.Begin);
        return result;
    }

    /// <summary>Reads a tensor as float32 into <paramref name="destination"/> (length = element count).</summary>
    public void ReadFloat32(SafeTensorInfo info, Span<float> destination)
    {
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats, tensor {info.Name} has {info.ElementCount}");
        byte* src = basePtr + dataStart + info.Begin;
        int n = destination.Length;
        switch (info.DType)
        {
            case SafeTensorsDType.F32:
                new ReadOnlySpan<float>(src, n).CopyTo(destination);
                break;
            case SafeTensorsDType.F16:
                var halves = new ReadOnlySpan<Half>(src, n);
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(halves, destination);
                break;
            case SafeTensorsDType.BF16:
                var raw = new ReadOnlySpan<ushort>(src, n);
                var bits = MemoryMarshal.Cast<float, uint>(destination);
                for (int k = 0; k < n; k++) bits[k] = (uint)raw[k] << 16;
                break;
            case SafeTensorsDType.F64:
                var doubles = new ReadOnlySpan<double>(src, n);
                for (int k = 0; k < n; k++) destination[k] = (float)doubles[k];
                break;
            case SafeTensorsDType.I8 when Skald.Models.Quantization.Int8Checkpoint.ScaleOf(this, info) is { } scale:
                Skald.Models.Quantization.Int8Checkpoint.Dequantize(new ReadOnlySpan<sbyte>(src, n),
                    new ReadOnlySpan<float>(basePtr + dataStart + scale.Begin, scale.Shape[0]), destination);
                break;
            default:
                throw new ModelFormatException(
                    $"{Path}: tensor \"{info.Name}\" has dtype {info.DType}; Skald reads F32, F16, BF16 and F64 weights (and I8 with a \"_scale\")");
        }
        Release(src, info.End - info.Begin);
    }

    /// <summary>
    /// Reads a tensor as IEEE float16 into <paramref name="destination"/> (length = element count): F16 copied bit for
    /// bit, other float types rounded to nearest even (BF16 and F64 through float32; beyond ±65504 becomes infinite).
    /// </summary>
    public void ReadFloat16(SafeTensorInfo info, Span<ushort> destination) => ReadNarrow(info, destination, WeightPrecision.Float16);

    /// <summary>
    /// Reads a tensor as bfloat16 into <paramref name="destination"/> (length = element count): BF16 copied, other
    /// float types rounded to nearest even (F64 through float32).
    /// </summary>
    public void ReadBFloat16(SafeTensorInfo info, Span<ushort> destination) => ReadNarrow(info, destination, WeightPrecision.BFloat16);

    /// <summary>
    /// Reads a tensor in the 16-bit <paramref name="format"/> (float16 or bfloat16): its own dtype copied, F32 narrowed
    /// by the span kernel, the other 16-bit dtype and F64 value by value through float32 (no float32 copy of the tensor).
    /// </summary>
    private void ReadNarrow(SafeTensorInfo info, Span<ushort> destination, WeightPrecision format)
    {
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} values, tensor {info.Name} has {info.ElementCount}");
        byte* src = basePtr + dataStart + info.Begin;
        int n = destination.Length;
        var own = format == WeightPrecision.BFloat16 ? SafeTensorsDType.BF16 : SafeTensorsDType.F16;
        switch (info.DType)
        {
            case var dtype when dtype == own:
                new ReadOnlySpan<ushort>(src, n).CopyTo(destination);
                break;
            case SafeTensorsDType.F32:
                Skald.Tensors.Kernels.F16.FromSingle(format, new ReadOnlySpan<float>(src, n), destination);
                break;
            case SafeTensorsDType.F16: // into bfloat16
                var halves = new ReadOnlySpan<Half>(src, n);
                for (int k = 0; k < n; k++) destination[k] = Narrow((float)halves[k], format);
                break;
            case SafeTensorsDType.BF16: // into float16
                var raw = new ReadOnlySpan<ushort>(src, n);
                for (int k = 0; k < n; k++) destination[k] = Narrow(Skald.Tensors.Kernels.Bf16.ToSingle(raw[k]), format);
                break;
            case SafeTensorsDType.F64:
                var doubles = new ReadOnlySpan<double>(src, n);
                for (int k = 0; k < n; k++) destination[k] = Narrow((float)doubles[k], format);
                break;
            default:
                throw new ModelFormatException(
                    $"{Path}: tensor \"{info.Name}\" has dtype {info.DType}; Skald reads F32, F16, BF16 and F64 weights");
        }
        Release(src, info.End - info.Begin);
    }

    /// <summary><paramref name="value"/> rounded to the nearest (ties to even) value of the 16-bit <paramref name="format"/>.</summary>
    private static ushort Narrow(float value, WeightPrecision format) => format == WeightPrecision.BFloat16
        ? Skald.Tensors.Kernels.Bf16.FromSingle(value)
        : Skald.Tensors.Kernels.F16.FromSingle(value);

    /// <summary>
    /// Reads a 2-D I8 tensor that has an F32 per-row scale (<c>{name}_scale</c>, a saved int8 model) as it is stored:
    /// its int8 values into <paramref name="values"/> and its scales into <paramref name="scales"/>. Returns false
    /// (reading nothing) for any other tensor.
    /// </summary>
    public bool TryReadInt8(SafeTensorInfo info, Span<sbyte> values, Span<float> scales)
    {
        if (info.DType != SafeTensorsDType.I8 || Skald.Models.Quantization.Int8Checkpoint.ScaleOf(this, info) is not { } scale) return false;
        if (values.Length != info.ElementCount || scales.Length != info.Shape[0])
            throw new ArgumentException($"destination holds {values.Length} values and {scales.Length} scales, tensor {info.Name} has {info.ElementCount} and {info.Shape[0]}");
        byte* src = basePtr + dataStart + info.Begin;
        new ReadOnlySpan<sbyte>(src, values.Length).CopyTo(values);
        new ReadOnlySpan<float>(basePtr + dataStart + scale.Begin, scales.Length).CopyTo(scales);
        Release(src, info.End - info.Begin);
        return true;
    }

    // Loading holds each tensor once, not the whole checkpoint's mapped pages beside the copied weights.
    private static void Release(byte* start, long length) => Skald.Tensors.Memory.MappedPages.Release(start, length);

    /// <inheritdoc />
    public void Dispose()
    {
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        map?.Dispose();
        shared.Dispose(); // the opener's hold: the tensors left in the file keep theirs
    }

    /// <summary>The open file this was read from, through which a tensor left in it is read (<see cref="Checkpoint.LeaveInFile(string, int, int)"/>).</summary>
    internal Skald.Tensors.Memory.SharedFile Shared => shared;

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.F8E5M2 or SafeTensorsDType.F8E4M3 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        _ => 8,
    };
}
