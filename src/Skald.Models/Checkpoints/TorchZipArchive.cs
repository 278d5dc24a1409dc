using System.Buffers.Binary;
using System.Text;

namespace Skald.Models.Checkpoints;

/// <summary>
/// The records of a <c>torch.save</c> zip file (PyTorch ≥ 1.6, <c>caffe2/serialize/inline_container.cc</c>): each
/// record's name and where its bytes start in the file, read from the central directory (zip64 included) and the
/// record's own local header, over the memory-mapped file. Nothing is decompressed: torch writes every record stored,
/// so a stored record's bytes are used where they lie (zero copy); a compressed or encrypted one is reported as such.
/// </summary>
internal sealed unsafe class TorchZipArchive
{
    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;

    private readonly string path;
    private readonly byte* file;
    private readonly long length;
    private readonly Dictionary<string, (long LocalHeader, long Size, int Method, bool Encrypted)> records;

    private TorchZipArchive(string path, byte* file, long length, Dictionary<string, (long, long, int, bool)> records)
    {
        this.path = path;
        this.file = file;
        this.length = length;
        this.records = records;
    }

    /// <summary>The folder every record lies in (<c>archive</c>, or the saved file's name without extension).</summary>
    public string Prefix { get; private init; } = "";

    /// <summary>True when the file starts like a zip (a local file header).</summary>
    public static bool IsZip(ReadOnlySpan<byte> start) =>
        start.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(start) == LocalHeaderSignature;

    /// <summary>Reads the central directory of the <paramref name="length"/>-byte file at <paramref name="file"/>.</summary>
    public static TorchZipArchive Open(string path, byte* file, long length)
    {
        long end = FindEnd(path, file, length);
        long entries = U16(file, end + 10), dirSize = U32(file, end + 12), dirOffset = U32(file, end + 16);
        if ((entries == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) && end >= 20
            && U32(file, end - 20) == Zip64LocatorSignature)
        {
            long z = (long)U64(file, end - 20 + 8);
            if (z < 0 || z > length - 56 || U32(file, z) != Zip64EndSignature) throw Corrupt(path, "the zip64 end record is missing");
            entries = (long)U64(file, z + 32);
            dirSize = (long)U64(file, z + 40);
            dirOffset = (long)U64(file, z + 48);
        }
        if (dirOffset < 0 || dirSize < 0 || dirOffset > length || dirSize > length - dirOffset)
            throw Corrupt(path, "the central directory lies outside the file");
        var records = new Dictionary<string, (long, long, int, bool)>(StringComparer.Ordinal);
        string? prefix = null;
        long at = dirOffset, dirEnd = dirOffset + dirSize;
        for (long i = 0; i < entries; i++)
        {
            if (at > dirEnd - 46 || U32(file, at) != CentralHeaderSignature) throw Corrupt(path, $"central directory entry {i} is damaged");
            bool encrypted = (U16(file, at + 8) & 1) != 0;
            int method = U16(file, at + 10);
            long size = U32(file, at + 24), local = U32(file, at + 42);
            int nameLength = U16(file, at + 28), extraLength = U16(file, at + 30), commentLength = U16(file, at + 32);
            if (at + 46 + nameLength + extraLength > dirEnd) throw Corrupt(path, $"central directory entry {i} is damaged");
            string name = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(file + at + 46, nameLength));
            ReadZip64(file + at + 46 + nameLength, extraLength, ref size, ref local, U32(file, at + 20) == 0xFFFFFFFF);
            int slash = name.IndexOf('/', StringComparison.Ordinal);
            prefix ??= slash > 0 ? name[..slash] : "";
            records[name] = (local, size, method, encrypted);
            at += 46 + nameLength + extraLength + commentLength;
        }
        return new TorchZipArchive(path, file, length, records) { Prefix = prefix ?? "" };
    }

    /// <summary>Whether the record <c>{Prefix}/{name}</c> exists.</summary>
    public bool Contains(string name) => records.ContainsKey($"{Prefix}/{name}");

    /// <summary>
    /// The file offset and length of the stored record <c>{Prefix}/{name}</c>; a missing, compressed, encrypted or
    /// out-of-file record throws naming it.
    /// </summary>
    public (long Offset, long Length) Record(string name)
    {
        string full = $"{Prefix}/{name}";
        if (!records.TryGetValue(full, out var r)) throw Corrupt(path, $"record {full} is missing");
        if (r.Encrypted) throw new ModelFormatException($"{path}: record {full} is encrypted");
        if (r.Method != 0)
            throw new ModelFormatException(
                $"{path}: record {full} is compressed (zip method {r.Method}); Skald maps torch.save records stored uncompressed, as torch.save writes them: save it again with torch.save");
        if (r.LocalHeader < 0 || r.LocalHeader > length - 30 || U32(file, r.LocalHeader) != LocalHeaderSignature)
            throw Corrupt(path, $"the local header of record {full} is damaged");
        long data = r.LocalHeader + 30 + U16(file, r.LocalHeader + 26) + U16(file, r.LocalHeader + 28);
        if (data > length || r.Size > length - data)
            throw Corrupt(path, $"record {full} runs past the end of the file ({length} bytes): the file is truncated");
        return (data, r.Size);
    }

    /// <summary>The bytes of a small stored record (data.pkl, byteorder, version).</summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        var (offset, size) = Record(name);
        if (size > int.MaxValue) throw Corrupt(path, $"record {Prefix}/{name} is {size} bytes");
        return new ReadOnlySpan<byte>(file + offset, (int)size);
    }

    private static long FindEnd(string path, byte* file, long length)
    {
        long lowest = Math.Max(0, length - 22 - 0xFFFF);
        for (long at = length - 22; at >= lowest; at--)
        {
            if (U32(file, at) == EndSignature) return at;
        }
        throw Corrupt(path, "no zip end record (the file is truncated)");
    }

    // The zip64 extended-information extra field (0x0001) holds, in order, whichever of the uncompressed size,
    // compressed size and local header offset did not fit in 32 bits.
    private static void ReadZip64(byte* extra, int extraLength, ref long size, ref long local, bool compressedOverflow)
    {
        for (int at = 0; at + 4 <= extraLength;)
        {
            int id = U16(extra, at), dataLength = U16(extra, at + 2);
            if (id == 1)
            {
                int field = at + 4, stop = Math.Min(extraLength, field + dataLength);
                if (size == 0xFFFFFFFF && field + 8 <= stop) { size = (long)U64(extra, field); field += 8; }
                if (compressedOverflow && field + 8 <= stop) field += 8;
                if (local == 0xFFFFFFFF && field + 8 <= stop) local = (long)U64(extra, field);
                return;
            }
            at += 4 + dataLength;
        }
    }

    private static ModelFormatException Corrupt(string path, string what) =>
        new($"{path}: not a readable torch.save zip file: {what}");

    private static int U16(byte* p, long at) => BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(p + at, 2));

    private static uint U32(byte* p, long at) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(p + at, 4));

    private static ulong U64(byte* p, long at) => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(p + at, 8));
}
