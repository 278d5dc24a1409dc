using System.Runtime.InteropServices;
using System.Text.Json;
using Skald.Models.Checkpoints;

namespace Skald.Models.Quantization;

/// <summary>Writes a safetensors file whose tensors are each F32 or I8 (a quantised checkpoint), via a temporary file.</summary>
internal static class MixedSafeTensorsWriter
{
    /// <summary>One tensor: key, shape and either float32 or int8 values.</summary>
    internal sealed record Entry(string Name, int[] Shape, float[]? Floats, sbyte[]? Bytes)
    {
        public long ByteCount => Floats is { } f ? 4L * f.Length : Bytes!.Length;
    }

    /// <summary>Writes <paramref name="entries"/> in order to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<Entry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (k, v) in metadata) w.WriteString(k, v);
            w.WriteEndObject();
            long offset = 0;
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.Floats is null ? "I8" : "F32");
                w.WriteStartArray("shape");
                foreach (int d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.ByteCount);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.ByteCount;
            }
            w.WriteEndObject();
        }
        var bytes = header.ToArray().ToList();
        while ((8 + bytes.Count) % 8 != 0) bytes.Add((byte)' ');
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            fs.Write(BitConverter.GetBytes((ulong)bytes.Count));
            fs.Write(CollectionsMarshal.AsSpan(bytes));
            foreach (var e in entries)
            {
                if (e.Floats is { } f) fs.Write(MemoryMarshal.AsBytes(f.AsSpan()));
                else fs.Write(MemoryMarshal.AsBytes(e.Bytes.AsSpan()));
            }
        }
        File.Move(tmp, path, overwrite: true);
    }
}
