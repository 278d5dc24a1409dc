using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Skald.Models.Checkpoints;

/// <summary>One tensor to write: key, shape and float32 values (stored as <see cref="SafeTensorsDType"/>), or 64-bit integers.</summary>
public sealed record TensorToWrite(string Name, int[] Shape, ReadOnlyMemory<float> Data)
{
    /// <summary>An I64 tensor (a module's integer buffer, as PyTorch saves a long buffer).</summary>
    public TensorToWrite(string name, int[] shape, long[] values) : this(name, shape, ReadOnlyMemory<float>.Empty) => Int64Values = values;

    /// <summary>The values of an I64 tensor (then <see cref="Data"/> is empty); null for a float tensor.</summary>
    public long[]? Int64Values { get; }

    /// <summary>A tensor over an array.</summary>
    public TensorToWrite(string name, int[] shape, float[] data) : this(name, shape, (ReadOnlyMemory<float>)data)
    {
    }
}

/// <summary>Writes safetensors files (F32, F16 or BF16, and I64 integer tensors) atomically: temporary file, then rename.</summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> in the given order with the given dtype.</summary>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, SafeTensorsDType dtype = SafeTensorsDType.F32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (dtype is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
            throw new ArgumentException($"cannot write dtype {dtype}", nameof(dtype));
        var list = tensors.ToList();
        int floatSize = SafeTensorsFile.ElementSize(dtype);
        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (k, v) in metadata ?? new Dictionary<string, string> { ["format"] = "pt" }) w.WriteString(k, v);
            w.WriteEndObject();
            long offset = 0;
            foreach (var t in list)
            {
                long count = t.Shape.Aggregate(1L, (a, d) => a * d);
                long length = t.Int64Values?.Length ?? t.Data.Length;
                if (count != length)
                    throw new ArgumentException($"tensor {t.Name}: shape [{string.Join(", ", t.Shape)}] holds {count} values, data has {length}");
                int size = t.Int64Values is null ? floatSize : sizeof(long);
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.Int64Values is null ? DTypeName(dtype) : "I64");
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + count * size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += count * size;
            }
            w.WriteEndObject();
        }
        var header = headerStream.ToArray().ToList();
        while ((8 + header.Count) % 8 != 0) header.Add((byte)' '); // align the data section to 8 bytes, as the reference library does

        string full = Path.GetFullPath(path);
        StagingPaths.Recover(full);
        string tmp = StagingPaths.Temp(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                fs.Write(BitConverter.GetBytes((ulong)header.Count));
                fs.Write(CollectionsMarshal.AsSpan(header));
                foreach (var t in list)
                {
                    if (t.Int64Values is { } integers) fs.Write(MemoryMarshal.AsBytes(integers.AsSpan()));
                    else WriteData(fs, t.Data, dtype);
                }
                fs.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static void WriteData(Stream s, ReadOnlyMemory<float> memory, SafeTensorsDType dtype)
    {
        if (dtype == SafeTensorsDType.F32) s.Write(MemoryMarshal.AsBytes(memory.Span));
        else s.Write(Encode(memory.Span, dtype));
    }

    /// <summary>float32 values as the little-endian bytes of F16 or BF16 (round to nearest even), for the checkpoint writers.</summary>
    internal static byte[] Encode(ReadOnlySpan<float> data, SafeTensorsDType dtype)
    {
        var bytes = new byte[data.Length * 2];
        if (dtype == SafeTensorsDType.F16)
        {
            System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(data, MemoryMarshal.Cast<byte, Half>(bytes.AsSpan()));
            return bytes;
        }
        if (dtype != SafeTensorsDType.BF16) throw new ArgumentException($"cannot encode dtype {dtype} as 16-bit values", nameof(dtype));
        var bf = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
        for (int i = 0; i < data.Length; i++) bf[i] = ToBFloat16(data[i]);
        return bytes;
    }

    /// <summary>float32 → bfloat16 bits, round to nearest even (NaN stays NaN).</summary>
    public static ushort ToBFloat16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static string DTypeName(SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.F32 => "F32",
        SafeTensorsDType.F16 => "F16",
        _ => "BF16",
    };
}
