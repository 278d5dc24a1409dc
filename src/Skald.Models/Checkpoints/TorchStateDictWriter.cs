using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Skald.Models.Checkpoints;

/// <summary>
/// Writes a state dict as <c>torch.save</c> does (PyTorch ≥ 1.6's zip format), for files that only Python's
/// <c>torch.load</c> reads, e.g. BGE-M3's <c>sparse_linear.pt</c> / <c>colbert_linear.pt</c> heads: the bytes equal
/// torch 1.13's <c>torch.save</c> of an <c>OrderedDict</c> of the same contiguous tensors (<see cref="TorchStatePickle"/>
/// for <c>data.pkl</c>). The zip is torch's <c>PyTorchStreamWriter</c> over miniz: every record stored (not
/// compressed), named <c>{archive}/…</c> with archive the file name up to its first dot, its data aligned to 64 bytes by
/// an <c>FB</c> padding field, sizes and CRC-32 in a data descriptor after it, then the central directory and a zip64
/// end record. Records: <c>data.pkl</c>, each tensor's storage <c>data/{key}</c> in the string order of the keys, then
/// <c>version</c> (<c>3</c>). Written atomically (a temporary file, then a rename). Files of 4 GiB or more are not
/// written (they need zip64 extra fields; refused with an <see cref="ArgumentException"/>).
/// </summary>
/// <remarks>
/// Upstream: torch 1.13 <c>torch/serialization.py</c> (<c>_save</c>) and <c>caffe2/serialize/inline_container.cc</c>
/// (<c>PyTorchStreamWriter::writeRecord</c>, <c>getPadding</c>, <c>kFieldAlignment</c> 64), miniz 2.x
/// (<c>mz_zip_writer_add_mem_ex_v2</c> with a data descriptor, <c>MZ_ZIP_FLAG_WRITE_ZIP64</c>). Checked byte for byte
/// against files torch wrote (<c>fixtures/models/make_torch_write.py</c>).
/// </remarks>
internal static class TorchStateDictWriter
{
    private const int Alignment = 64;
    private const ushort Flags = 0x0808; // bit 3: sizes in a data descriptor; bit 11: UTF-8 names

    /// <summary>Writes <paramref name="tensors"/> in order, float tensors as <paramref name="dtype"/> (F32, F16 or BF16), I64 ones as int64.</summary>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        if (dtype is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
            throw new ArgumentException($"cannot write dtype {dtype}", nameof(dtype));
        var list = tensors.ToList();
        var entries = new List<TorchStatePickle.Entry>(list.Count);
        foreach (var t in list)
        {
            long count = t.Shape.Aggregate(1L, (a, d) => a * d);
            long length = t.Int64Values?.Length ?? t.Data.Length;
            if (count != length)
                throw new ArgumentException($"tensor {t.Name}: shape [{string.Join(", ", t.Shape)}] holds {count} values, data has {length}");
            entries.Add(new TorchStatePickle.Entry(t.Name, t.Shape, StorageClass(t, dtype), count));
        }
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        string archive = name.Split('.')[0];
        StagingPaths.Recover(full);
        string tmp = StagingPaths.Temp(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var central = new List<(byte[] Name, uint Crc, long Size, long Offset)>();
                Record(fs, central, archive + "/data.pkl", TorchStatePickle.StateDict(entries));
                // Storage keys are "0", "1", ...; torch writes them sorted as strings ("10" before "2").
                foreach (int i in Enumerable.Range(0, list.Count).OrderBy(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal))
                    Record(fs, central, $"{archive}/data/{i}", Bytes(list[i], dtype));
                Record(fs, central, archive + "/version", "3\n"u8);
                Directory(fs, central);
                fs.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static string StorageClass(TensorToWrite t, SafeTensorsDType dtype) =>
        t.Int64Values is not null ? "LongStorage" : dtype switch
        {
            SafeTensorsDType.F32 => "FloatStorage",
            SafeTensorsDType.F16 => "HalfStorage",
            _ => "BFloat16Storage",
        };

    private static ReadOnlySpan<byte> Bytes(TensorToWrite t, SafeTensorsDType dtype) =>
        t.Int64Values is { } integers ? MemoryMarshal.AsBytes(integers.AsSpan())
        : dtype == SafeTensorsDType.F32 ? MemoryMarshal.AsBytes(t.Data.Span)
        : SafeTensorsWriter.Encode(t.Data.Span, dtype);

    // A local header (no sizes: they follow the data), the FB padding field, the data, the data descriptor.
    private static void Record(FileStream fs, List<(byte[], uint, long, long)> central, string recordName, ReadOnlySpan<byte> data)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(recordName);
        long offset = fs.Position;
        if (offset + data.Length >= uint.MaxValue)
            throw new ArgumentException($"{fs.Name}: torch.save files of 4 GiB or more are not written (record {recordName})");
        long start = offset + 30 + nameBytes.Length + 4;
        int padding = (int)((Alignment - start % Alignment) % Alignment);
        var header = new byte[30 + nameBytes.Length + 4 + padding];
        var h = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], Flags); // version needed, method, time, date, CRC and sizes stay 0
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)(4 + padding));
        nameBytes.CopyTo(h[30..]);
        int extra = 30 + nameBytes.Length;
        h[extra] = (byte)'F';
        h[extra + 1] = (byte)'B';
        BinaryPrimitives.WriteUInt16LittleEndian(h[(extra + 2)..], (ushort)padding);
        h[(extra + 4)..].Fill((byte)'Z');
        fs.Write(header);
        fs.Write(data);
        uint crc = Crc32.HashToUInt32(data);
        Span<byte> descriptor = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor, 0x08074b50);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[4..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[8..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[12..], (uint)data.Length);
        fs.Write(descriptor);
        central.Add((nameBytes, crc, data.Length, offset));
    }

    // The central directory, then the zip64 end record and its locator (miniz writes them with MZ_ZIP_FLAG_WRITE_ZIP64), then the end record.
    private static void Directory(FileStream fs, List<(byte[] Name, uint Crc, long Size, long Offset)> central)
    {
        long directoryStart = fs.Position;
        foreach (var (nameBytes, crc, size, offset) in central)
        {
            var e = new byte[46 + nameBytes.Length];
            var s = e.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(s, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(s[8..], Flags); // made by and needed stay 0, as miniz writes them here
            BinaryPrimitives.WriteUInt32LittleEndian(s[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(s[20..], (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(s[28..], (ushort)nameBytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(s[42..], (uint)offset);
            nameBytes.CopyTo(s[46..]);
            fs.Write(e);
        }
        long directorySize = fs.Position - directoryStart, zip64End = fs.Position;
        Span<byte> end = stackalloc byte[56 + 20 + 22];
        end.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06064b50);
        BinaryPrimitives.WriteUInt64LittleEndian(end[4..], 44); // the record's size after this field
        BinaryPrimitives.WriteUInt16LittleEndian(end[12..], 0x031e); // made by: Unix, 3.0
        BinaryPrimitives.WriteUInt16LittleEndian(end[14..], 0x002d); // needed: 4.5 (zip64)
        BinaryPrimitives.WriteUInt64LittleEndian(end[24..], (ulong)central.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(end[32..], (ulong)central.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(end[40..], (ulong)directorySize);
        BinaryPrimitives.WriteUInt64LittleEndian(end[48..], (ulong)directoryStart);
        var locator = end[56..];
        BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
        BinaryPrimitives.WriteUInt64LittleEndian(locator[8..], (ulong)zip64End);
        BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1); // disks
        var last = end[76..];
        BinaryPrimitives.WriteUInt32LittleEndian(last, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(last[8..], (ushort)central.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(last[10..], (ushort)central.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(last[12..], (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(last[16..], (uint)directoryStart);
        fs.Write(end);
    }
}
