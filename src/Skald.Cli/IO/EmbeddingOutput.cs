using System.Globalization;
using System.Text;

namespace Skald.Cli.IO;

/// <summary>Writes embeddings as <c>.jsonl</c> (one JSON array per line) or <c>.npy</c> (float32 [N, D]).</summary>
internal static class EmbeddingOutput
{
    public static void CheckExtension(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".jsonl" && ext != ".npy")
            throw new InputException($"{path}: unsupported output type '{ext}' (use .jsonl or .npy)");
    }

    public static void Write(string path, float[][] rows, int dim)
    {
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase))
            AtomicFile.Write(path, s => WriteNpy(s, rows, dim));
        else
            AtomicFile.Write(path, s => WriteJsonl(s, rows));
    }

    private static void WriteJsonl(Stream s, float[][] rows)
    {
        using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            sb.Clear().Append('[');
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(row[i].ToString("R", CultureInfo.InvariantCulture));
            }
            sb.Append(']');
            w.Write(sb);
            w.Write('\n');
        }
    }

    /// <summary>NumPy format 1.0: magic, header length, a Python dict literal padded to 64 bytes, raw little-endian data.</summary>
    internal static void WriteNpy(Stream s, float[][] rows, int dim)
    {
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows.Length}, {dim}), }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.ASCII.GetBytes(header));
        foreach (var row in rows) s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
    }
}
