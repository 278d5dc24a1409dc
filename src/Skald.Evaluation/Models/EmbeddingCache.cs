using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Skald.Evaluation.Models;

/// <summary>
/// Embeddings on disk per (model identity, prompt, text), so a corpus shared by several tasks or benchmark runs is
/// encoded once. Layout: <c>ROOT/MODELKEY/seg-*.bin</c>, each segment written atomically (temp file + rename) and
/// holding a header (<c>SKEC</c>, dimension) then records of [SHA-256 of prompt + text (32 bytes)][dimension float32].
/// The model key hashes the folder's full path and every file's relative path, size and modification time, so
/// replacing the weights invalidates the cache. Segments are read in full when the cache opens.
/// </summary>
public sealed class EmbeddingCache
{
    private const uint Magic = 0x43454B53; // "SKEC"
    private readonly Dictionary<TextKey, float[]> entries = [];
    private readonly object gate = new();

    /// <summary>Opens (and creates) the cache folder of one model.</summary>
    public EmbeddingCache(string root, string modelKey, int dimension)
    {
        Directory = Path.Combine(root, modelKey);
        Dimension = dimension;
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var file in System.IO.Directory.GetFiles(Directory, "seg-*.bin").Order(StringComparer.Ordinal)) Load(file);
    }

    /// <summary>This model's cache folder.</summary>
    public string Directory { get; }

    /// <summary>Vector width.</summary>
    public int Dimension { get; }

    /// <summary>Number of cached vectors.</summary>
    public int Count => entries.Count;

    /// <summary>A stable key for a model folder: hash of its path and its files' names, sizes and modification times.</summary>
    public static string ModelKey(string modelPath, string extra = "")
    {
        var full = Path.GetFullPath(modelPath);
        var sb = new StringBuilder(full).Append('\n').Append(extra).Append('\n');
        if (System.IO.Directory.Exists(full))
        {
            foreach (var f in System.IO.Directory.GetFiles(full, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(f);
                sb.Append(Path.GetRelativePath(full, f)).Append('|').Append(info.Length).Append('|')
                    .Append(info.LastWriteTimeUtc.Ticks).Append('\n');
            }
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..24];
    }

    /// <summary>The key of a text under a prompt (null = the model's default).</summary>
    public static TextKey Key(string? prompt, string text)
    {
        var bytes = Encoding.UTF8.GetBytes((prompt ?? "\u0001default") + "\0" + text);
        return MemoryMarshal.Read<TextKey>(SHA256.HashData(bytes));
    }

    /// <summary>The cached vector, if any.</summary>
    public bool TryGet(TextKey key, out float[] vector)
    {
        lock (gate) return entries.TryGetValue(key, out vector!);
    }

    /// <summary>Stores new vectors in memory and as one new segment file.</summary>
    public void AddRange(IReadOnlyList<(TextKey Key, float[] Vector)> items)
    {
        if (items.Count == 0) return;
        var buffer = new byte[8 + items.Count * (32 + Dimension * 4)];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), Dimension);
        int o = 8;
        foreach (var (key, vector) in items)
        {
            if (vector.Length != Dimension) throw new ArgumentException($"vector of {vector.Length} values in a cache of dimension {Dimension}");
            MemoryMarshal.Write(buffer.AsSpan(o), in key);
            MemoryMarshal.AsBytes(vector.AsSpan()).CopyTo(buffer.AsSpan(o + 32));
            o += 32 + Dimension * 4;
        }
        string name = Path.Combine(Directory, $"seg-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}.bin");
        string tmp = name + ".tmp";
        File.WriteAllBytes(tmp, buffer);
        File.Move(tmp, name, overwrite: true);
        lock (gate)
        {
            foreach (var (key, vector) in items) entries[key] = vector;
        }
    }

    private void Load(string file)
    {
        var bytes = File.ReadAllBytes(file);
        int record = 32 + Dimension * 4;
        if (bytes.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)) != Dimension || (bytes.Length - 8) % record != 0)
        {
            return; // not ours or a different width: ignore (it will be recomputed)
        }
        for (int o = 8; o < bytes.Length; o += record)
        {
            var key = MemoryMarshal.Read<TextKey>(bytes.AsSpan(o, 32));
            entries[key] = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(o + 32, Dimension * 4)).ToArray();
        }
    }
}
