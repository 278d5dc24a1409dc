using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Skald.Training.Output;

/// <summary>
/// Writes TensorBoard event files (<c>events.out.tfevents.TIME.HOST.PID</c>): TFRecord framing (length, masked
/// CRC-32C, payload, masked CRC-32C) around hand-encoded <c>tensorflow.Event</c> protos with scalar summaries. A resumed
/// run starts with a <c>SessionLog START</c> event at its step, which tells TensorBoard to drop the killed run's later
/// points.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream stream;

    /// <summary>Creates a new event file in <paramref name="folder"/>; <paramref name="resumeStep"/> marks a restart.</summary>
    public TensorBoardWriter(string folder, int? resumeStep)
    {
        Directory.CreateDirectory(folder);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string host = Environment.MachineName;
        FilePath = Path.Combine(folder, $"events.out.tfevents.{now}.{host}.{Environment.ProcessId}");
        stream = new FileStream(FilePath, FileMode.Create, FileAccess.Write, FileShare.Read);
        var first = new ProtoWriter();
        first.Double(1, WallTime());
        first.Bytes(3, Encoding.UTF8.GetBytes("brain.Event:2"));
        WriteRecord(first.ToArray());
        if (resumeStep is { } step)
        {
            var e = new ProtoWriter();
            e.Double(1, WallTime());
            e.Varint(2, (ulong)step);
            var log = new ProtoWriter();
            log.Varint(1, 1); // SessionLog.START
            e.Bytes(6, log.ToArray());
            WriteRecord(e.ToArray());
        }
        stream.Flush();
    }

    /// <summary>The event file.</summary>
    public string FilePath { get; }

    /// <summary>Writes scalars for one step (tags like <c>train/loss</c>).</summary>
    public void Scalars(int step, IEnumerable<KeyValuePair<string, double>> values)
    {
        var summary = new ProtoWriter();
        foreach (var (tag, v) in values)
        {
            var value = new ProtoWriter();
            value.Bytes(1, Encoding.UTF8.GetBytes(tag));
            value.Float(2, (float)v);
            summary.Bytes(1, value.ToArray());
        }
        var e = new ProtoWriter();
        e.Double(1, WallTime());
        e.Varint(2, (ulong)step);
        e.Bytes(5, summary.ToArray());
        WriteRecord(e.ToArray());
        stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => stream.Dispose();

    /// <summary>TFRecord's masked CRC-32C.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        crc = ~crc;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8);
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private void WriteRecord(byte[] data)
    {
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)data.Length);
        Span<byte> crc = stackalloc byte[4];
        stream.Write(len);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(len));
        stream.Write(crc);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(data));
        stream.Write(crc);
    }

    /// <summary>The few protobuf wire encodings an Event needs.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream ms = new();

        public void Varint(int field, ulong v)
        {
            Raw((ulong)(field << 3));
            Raw(v);
        }

        public void Double(int field, double v)
        {
            Raw((ulong)((field << 3) | 1));
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(b, v);
            ms.Write(b);
        }

        public void Float(int field, float v)
        {
            Raw((ulong)((field << 3) | 5));
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(b, v);
            ms.Write(b);
        }

        public void Bytes(int field, byte[] v)
        {
            Raw((ulong)((field << 3) | 2));
            Raw((ulong)v.Length);
            ms.Write(v);
        }

        public byte[] ToArray() => ms.ToArray();

        private void Raw(ulong v)
        {
            while (v >= 0x80)
            {
                ms.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }
            ms.WriteByte((byte)v);
        }
    }
}
