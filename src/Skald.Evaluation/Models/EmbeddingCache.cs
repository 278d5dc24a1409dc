using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Skald.Evaluation.Models;

/// <summary>
/// Embeddings on disk per (model identity, prompt, text), so a corpus shared by several tasks or benchmark runs is
/// encoded once. Layout: <c>ROOT/MODELKEY/seg-*.bin</c>, each segment written atomically (temp file + rename) and
/// holding a header (<c>SKEC</c>, dimension) then records of [SHA-256 of prompt + text (32 bytes)][dimension float32].
/// A sparse encoder's cache (<see cref="Sparse"/>: vocabulary-wide rows, nearly all zero) keeps only the non-zero
/// entries: header <c>SKES</c>, dimension, records of [key (32 bytes)][int32 n][n int32 indices][n float32 values], held
/// so in memory and written out dense on a hit. The model key hashes the folder's full path and every file's relative
/// path, size and modification time, so replacing the weights invalidates the cache. Segments are read in full when the
/// cache opens.
/// </summary>
public sealed class EmbeddingCache
{
    private const uint Magic = 0x43454B53; // "SKEC"
    private const uint SparseMagic = 0x53454B53; // "SKES"
    private readonly Dictionary<TextKey, float[]> entries = [];
    private readonly Dictionary<TextKey, (int[] Indices, float[] Values)> sparseEntries = [];
    private readonly object gate = new();

    /// <summary>Opens (and creates) the cache folder of one model; <paramref name="sparse"/>: a sparse encoder's.</summary>
    public EmbeddingCache(string root, string modelKey, int dimension, bool sparse = false)
    {
        Directory = Path.Combine(root, modelKey);
        Dimension = dimension;
        Sparse = sparse;
        CheckRoot(root);
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var file in System.IO.Directory.GetFiles(Directory, "seg-*.bin").Order(StringComparer.Ordinal)) Load(file);
    }

    /// <summary>Refuses (<see cref="Skald.Retrieval.EvaluationException"/>) a cache root that is a file.</summary>
    public static void CheckRoot(string root)
    {
        if (File.Exists(root)) throw new Skald.Retrieval.EvaluationException($"embedding cache {root}: is a file; name a folder (or leave the cache option out)");
    }

    /// <summary>This model's cache folder.</summary>
    public string Directory { get; }

    /// <summary>Vector width.</summary>
    public int Dimension { get; }

    /// <summary>Whether the rows are stored as their non-zero entries (a sparse encoder's).</summary>
    public bool Sparse { get; }

    /// <summary>Number of cached vectors.</summary>
    public int Count => Sparse ? sparseEntries.Count : entries.Count;

    /// <summary>
    /// A stable key for a model folder: hash of its path and its files' names, sizes and modification times; for an
    /// adapter folder given as the model also those of the folders outside it that loading it reads (its base, earlier
    /// adapters: <see cref="Skald.Models.SentenceEncoder.Sources"/>), so a base trained again in place is a new key.
    /// </summary>
    public static string ModelKey(string modelPath, string extra = "")
    {
        var full = Path.GetFullPath(modelPath);
        var sb = new StringBuilder(full).Append('\n').Append(extra).Append('\n');
        if (System.IO.Directory.Exists(full))
        {
            AppendFiles(sb, full);
            foreach (string outside in ReadOutside(full)) AppendFiles(sb.Append(outside).Append('\n'), outside);
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..24];
    }

    // Each file under folder: its path relative to it, size and modification time.
    private static void AppendFiles(StringBuilder sb, string folder)
    {
        foreach (var f in System.IO.Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(f);
            sb.Append(Path.GetRelativePath(folder, f)).Append('|').Append(info.Length).Append('|')
                .Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
    }

    // The folders outside folder that loading it reads (an adapter folder's base chain), in load order; none for a
    // model folder of its own (whose key is then what it always was) or one that does not load.
    private static List<string> ReadOutside(string folder)
    {
        if (!Skald.Models.Modules.ModelFolder.IsAdapterFolder(folder) && !System.IO.File.Exists(Path.Combine(folder, "modules.json"))) return [];
        try
        {
            var (model, weights, adapters) = Skald.Models.SentenceEncoder.Sources(folder);
            string inside = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
            return [.. new[] { model.Path, weights }.Concat(adapters)
                .Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f)))
                .Where(f => f != Path.TrimEndingDirectorySeparator(folder) && !f.StartsWith(inside, StringComparison.Ordinal) && System.IO.Directory.Exists(f))
                .Distinct(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is Skald.Models.ModelFormatException or Skald.Hub.HubException or IOException)
        {
            return []; // it does not load: no embeddings to key
        }
    }

    /// <summary>The key of a text under a prompt (null = the model's default).</summary>
    public static TextKey Key(string? prompt, string text)
    {
        var bytes = Encoding.UTF8.GetBytes((prompt ?? "\u0001default") + "\0" + text);
        return MemoryMarshal.Read<TextKey>(SHA256.HashData(bytes));
    }

    /// <summary>The cached vector, if any (a sparse one written out dense, a new array).</summary>
    public bool TryGet(TextKey key, out float[] vector)
    {
        if (!Sparse)
        {
            lock (gate) return entries.TryGetValue(key, out vector!);
        }
        (int[] Indices, float[] Values) row;
        lock (gate)
        {
            if (!sparseEntries.TryGetValue(key, out row))
            {
                vector = null!;
                return false;
            }
        }
        vector = new float[Dimension];
        for (int j = 0; j < row.Indices.Length; j++) vector[row.Indices[j]] = row.Values[j];
        return true;
    }

    /// <summary>Stores new vectors in memory and as one new segment file (a sparse cache keeps their non-zero entries).</summary>
    public void AddRange(IReadOnlyList<(TextKey Key, float[] Vector)> items)
    {
        if (items.Count == 0) return;
        foreach (var (_, vector) in items)
            if (vector.Length != Dimension) throw new ArgumentException($"vector of {vector.Length} values in a cache of dimension {Dimension}");
        var rows = Sparse ? items.Select(i => NonZero(i.Vector)).ToArray() : [];
        long size = 8 + (Sparse ? rows.Sum(r => 36L + 8L * r.Indices.Length) : items.Count * (32L + Dimension * 4L));
        var buffer = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Sparse ? SparseMagic : Magic);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), Dimension);
        int o = 8;
        for (int i = 0; i < items.Count; i++)
        {
            var key = items[i].Key;
            MemoryMarshal.Write(buffer.AsSpan(o), in key);
            o += 32;
            if (!Sparse)
            {
                MemoryMarshal.AsBytes(items[i].Vector.AsSpan()).CopyTo(buffer.AsSpan(o));
                o += Dimension * 4;
                continue;
            }
            var (indices, values) = rows[i];
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(o), indices.Length);
            MemoryMarshal.AsBytes(indices.AsSpan()).CopyTo(buffer.AsSpan(o + 4));
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(buffer.AsSpan(o + 4 + 4 * indices.Length));
            o += 4 + 8 * indices.Length;
        }
        string name = Path.Combine(Directory, $"seg-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}.bin");
        string tmp = name + ".tmp";
        File.WriteAllBytes(tmp, buffer);
        File.Move(tmp, name, overwrite: true);
        lock (gate)
        {
            for (int i = 0; i < items.Count; i++)
            {
                if (Sparse) sparseEntries[items[i].Key] = rows[i];
                else entries[items[i].Key] = items[i].Vector;
            }
        }
    }

    /// <summary>The non-zero entries of a row, in index order.</summary>
    private static (int[] Indices, float[] Values) NonZero(float[] vector)
    {
        int n = vector.Length - vector.AsSpan().Count(0f);
        var indices = new int[n];
        var values = new float[n];
        for (int j = 0, k = 0; j < vector.Length; j++)
        {
            if (vector[j] == 0f) continue;
            indices[k] = j;
            values[k++] = vector[j];
        }
        return (indices, values);
    }

    private void Load(string file)
    {
        // The header first: a segment of another kind or width is skipped unread (it may be large).
        Span<byte> header = stackalloc byte[8];
        using (var fs = File.OpenRead(file))
        {
            if (fs.Length < 8 || fs.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8) return;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != (Sparse ? SparseMagic : Magic)
            || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != Dimension)
        {
            return; // not ours or a different width: ignore (it will be recomputed)
        }
        var bytes = File.ReadAllBytes(file);
        if (Sparse)
        {
            LoadSparse(bytes);
            return;
        }
        int record = 32 + Dimension * 4;
        if ((bytes.Length - 8) % record != 0) return;
        for (int o = 8; o < bytes.Length; o += record)
        {
            var key = MemoryMarshal.Read<TextKey>(bytes.AsSpan(o, 32));
            entries[key] = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(o + 32, Dimension * 4)).ToArray();
        }
    }

    /// <summary>A sparse segment's records; a damaged one is ignored whole (its rows are recomputed).</summary>
    private void LoadSparse(byte[] bytes)
    {
        var rows = new List<(TextKey, (int[], float[]))>();
        for (int o = 8; o < bytes.Length;)
        {
            if (bytes.Length - o < 36) return;
            var key = MemoryMarshal.Read<TextKey>(bytes.AsSpan(o, 32));
            int n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(o + 32));
            if (n < 0 || n > Dimension || bytes.Length - o - 36 < 8L * n) return;
            var indices = MemoryMarshal.Cast<byte, int>(bytes.AsSpan(o + 36, 4 * n)).ToArray();
            if (indices.Any(i => (uint)i >= (uint)Dimension)) return;
            rows.Add((key, (indices, MemoryMarshal.Cast<byte, float>(bytes.AsSpan(o + 36 + 4 * n, 4 * n)).ToArray())));
            o += 36 + 8 * n;
        }
        foreach (var (key, row) in rows) sparseEntries[key] = row;
    }
}
