using System.Text.Json;

namespace Skald.Models.Checkpoints;

/// <summary>
/// The weights of one model folder: <c>model.safetensors</c>, or a sharded checkpoint described by
/// <c>model.safetensors.index.json</c>, else the same as torch.save pickles (<c>pytorch_model.bin</c>, sharded by
/// <c>pytorch_model.bin.index.json</c>), whose tensors <see cref="SafeTensorsFile"/> maps through the same table. Keys are looked up with an optional architecture prefix
/// (<c>bert.</c>, <c>roberta.</c>) stripped, so callers use the bare module paths.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private readonly List<SafeTensorsFile> files;
    private readonly Dictionary<string, (SafeTensorsFile File, SafeTensorInfo Info)> byKey;

    private Checkpoint(string description, List<SafeTensorsFile> files,
        Dictionary<string, (SafeTensorsFile, SafeTensorInfo)> byKey)
    {
        Description = description;
        this.files = files;
        this.byKey = byKey;
    }

    /// <summary>What was opened (file or index path), for messages.</summary>
    public string Description { get; }

    /// <summary>All keys, prefixes stripped.</summary>
    public IEnumerable<string> Keys => byKey.Keys;

    /// <summary>Total number of parameters (elements) in the checkpoint.</summary>
    public long ParameterCount => byKey.Values.Sum(v => v.Info.ElementCount);

    /// <summary>
    /// The weights files a model folder may hold, in the order <see cref="OpenFolder"/> prefers them: safetensors (single,
    /// then sharded), then torch.save pickles (single, then sharded), read without running anything
    /// (<see cref="TorchStateDict"/>).
    /// </summary>
    public static IReadOnlyList<string> WeightFileNames { get; } =
        ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"];

    /// <summary>
    /// Whether <paramref name="fileName"/> names a model folder's weights: one of <see cref="WeightFileNames"/> or a shard
    /// (<c>model-00001-of-00002.safetensors</c>, <c>pytorch_model-00001-of-00002.bin</c>), what a writer replacing the
    /// weights leaves behind.
    /// </summary>
    public static bool IsWeightsFile(string fileName) =>
        WeightFileNames.Contains(fileName)
        || (fileName.StartsWith("model-", StringComparison.Ordinal) && fileName.EndsWith(".safetensors", StringComparison.Ordinal))
        || (fileName.StartsWith("pytorch_model-", StringComparison.Ordinal) && fileName.EndsWith(".bin", StringComparison.Ordinal));

    /// <summary>
    /// The weights file (or shard index) <see cref="OpenFolder"/> reads in <paramref name="folder"/>: the first of
    /// <see cref="WeightFileNames"/> there; null when there is none.
    /// </summary>
    public static string? WeightsIn(string folder) =>
        WeightFileNames.Select(n => System.IO.Path.Combine(folder, n)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Opens the weights of <paramref name="folder"/> (<see cref="WeightsIn"/>: safetensors preferred, else
    /// <c>pytorch_model.bin</c>). <paramref name="stripPrefixes"/> are removed from keys that carry them.
    /// </summary>
    public static Checkpoint OpenFolder(string folder, params string[] stripPrefixes)
    {
        if (!Directory.Exists(folder)) throw new ModelFormatException(Modules.ModelFolder.NotFound(folder));
        string file = WeightsIn(folder)
            ?? throw new ModelFormatException($"{folder}: no model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json");
        if (file.EndsWith(".index.json", StringComparison.Ordinal)) return FromFiles(file, [.. ShardsOf(file)], stripPrefixes);
        FolderPaths.CheckLink(file, folder, file);
        return FromFiles(file, [file], stripPrefixes);
    }

    /// <summary>Opens a single safetensors file (or torch.save zip).</summary>
    public static Checkpoint OpenFile(string path, params string[] stripPrefixes) => FromFiles(path, [path], stripPrefixes);

    /// <summary>
    /// The shard files, full paths in first-named order, that the shard index <paramref name="indexPath"/>
    /// (<c>model.safetensors.index.json</c>, <c>pytorch_model.bin.index.json</c>) names in its <c>weight_map</c>: the one
    /// reading of an index, strict (<see cref="Modules.JsonFiles.ReadObject"/>); a malformed index, an entry that is no
    /// file name or names a file outside the folder, or a shard missing is one line naming the index (and the entry).
    /// </summary>
    public static IReadOnlyList<string> ShardsOf(string indexPath)
    {
        ArgumentNullException.ThrowIfNull(indexPath);
        string dir = System.IO.Path.GetDirectoryName(indexPath)!;
        using var doc = Modules.JsonFiles.ReadObject(indexPath);
        if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{indexPath}: missing \"weight_map\" object");
        var shards = new List<string>();
        foreach (var p in map.EnumerateObject())
        {
            string file = p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is { Length: > 0 } named ? named
                : throw new ModelFormatException($"{indexPath}: weight_map[\"{p.Name}\"] is not a file name, found {p.Value.GetRawText()}");
            string full = FolderPaths.Inside(dir, file, $"{indexPath}: weight_map[\"{p.Name}\"]");
            if (!shards.Contains(full)) shards.Add(full);
        }
        foreach (var s in shards)
        {
            if (!File.Exists(s)) throw new ModelFormatException($"{indexPath}: shard {System.IO.Path.GetFileName(s)} is missing");
        }
        return shards;
    }

    private static Checkpoint FromFiles(string description, List<string> paths, string[] stripPrefixes)
    {
        var opened = new List<SafeTensorsFile>();
        try
        {
            var byKey = new Dictionary<string, (SafeTensorsFile, SafeTensorInfo)>(StringComparer.Ordinal);
            foreach (var p in paths)
            {
                var f = SafeTensorsFile.Open(p);
                opened.Add(f);
                foreach (var (name, info) in f.Tensors)
                {
                    string key = name;
                    foreach (var prefix in stripPrefixes)
                    {
                        if (key.StartsWith(prefix, StringComparison.Ordinal)) { key = key[prefix.Length..]; break; }
                    }
                    if (!byKey.TryAdd(key, (f, info)) && !key.StartsWith("lm_head", StringComparison.Ordinal))
                        throw new ModelFormatException($"{description}: tensor \"{key}\" appears twice");
                }
            }
            return new Checkpoint(description, opened, byKey);
        }
        catch
        {
            foreach (var f in opened) f.Dispose();
            throw;
        }
    }

    /// <summary>True when the checkpoint has <paramref name="key"/>.</summary>
    public bool Contains(string key) => byKey.ContainsKey(key);

    /// <summary>The stored element type of <paramref name="key"/>.</summary>
    public SafeTensorsDType DType(string key) => byKey.TryGetValue(key, out var entry)
        ? entry.Info.DType
        : throw new ModelFormatException($"{Description}: missing tensor \"{key}\"");

    /// <summary>The stored shape of <paramref name="key"/>.</summary>
    public int[] Shape(string key) => byKey.TryGetValue(key, out var entry)
        ? entry.Info.Shape
        : throw new ModelFormatException($"{Description}: missing tensor \"{key}\"");

    /// <summary>Reads a 1-D integer tensor of <paramref name="length"/> indices, each in [0, <paramref name="bound"/>).</summary>
    public int[] ReadIndices(string key, int length, int bound)
    {
        var entry = Entry(key, [length]);
        return entry.File.ReadIndices(entry.Info.Name, bound);
    }

    /// <summary>Reads a float tensor and checks its shape; a missing key or wrong shape names both.</summary>
    public float[] Read(string key, params int[] expectedShape)
    {
        var data = new float[expectedShape.Aggregate(1L, (a, d) => a * d)];
        ReadInto(key, data, expectedShape);
        return data;
    }

    /// <summary>Reads a float tensor of shape <paramref name="expectedShape"/> into <paramref name="destination"/>.</summary>
    public void ReadInto(string key, Span<float> destination, params int[] expectedShape)
    {
        var entry = Entry(key, expectedShape);
        entry.File.ReadFloat32(entry.Info, destination);
    }

    /// <summary>Reads a tensor of shape <paramref name="expectedShape"/> as bfloat16 (rounded unless stored so).</summary>
    public void ReadInto(string key, Span<ushort> destination, params int[] expectedShape)
    {
        var entry = Entry(key, expectedShape);
        entry.File.ReadBFloat16(entry.Info, destination);
    }

    /// <summary>
    /// Reads a tensor of shape <paramref name="expectedShape"/> as 16-bit values of <paramref name="format"/>
    /// (<see cref="Skald.Tensors.WeightPrecision.BFloat16"/> or <see cref="Skald.Tensors.WeightPrecision.Float16"/>;
    /// rounded unless stored so).
    /// </summary>
    public void ReadInto(string key, Skald.Tensors.WeightPrecision format, Span<ushort> destination, params int[] expectedShape)
    {
        var entry = Entry(key, expectedShape);
        if (format == Skald.Tensors.WeightPrecision.Float16) entry.File.ReadFloat16(entry.Info, destination);
        else entry.File.ReadBFloat16(entry.Info, destination);
    }

    /// <summary>
    /// The 2-D tensor <paramref name="key"/> of shape [<paramref name="rows"/>, <paramref name="rowLength"/>] left in its
    /// file, read by rows (<see cref="Skald.Tensors.Memory.FileValues"/>, for a
    /// <see cref="Skald.Tensors.Autograd.Parameter.IsFileBacked"/> table); null when it is not stored as F32, BF16 or
    /// F16 (read it instead) or the file cannot be opened again.
    /// </summary>
    public Skald.Tensors.Memory.FileValues? LeaveInFile(string key, int rows, int rowLength) => LeaveInFile([key], rows, rowLength);

    /// <summary>
    /// The 2-D tensors <paramref name="keys"/>, each [<paramref name="rowsEach"/>, <paramref name="rowLength"/>], left in
    /// their file as one stacked [keys · rowsEach, rowLength] tensor (a Linear weight made of several, such as query, key
    /// and value): null when they are not all stored in one file as the same one of F32, BF16 or F16, or the file cannot
    /// be opened again (read them instead).
    /// </summary>
    public Skald.Tensors.Memory.FileValues? LeaveInFile(IReadOnlyList<string> keys, int rowsEach, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0 || rowsEach == 0 || rowLength == 0) return null;
        var entries = keys.Select(k => Entry(k, [rowsEach, rowLength])).ToArray();
        var dtype = entries[0].Info.DType;
        if (entries.Any(e => e.File != entries[0].File || e.Info.DType != dtype)) return null;
        Skald.Tensors.WeightPrecision? stored = dtype switch
        {
            SafeTensorsDType.F32 => Skald.Tensors.WeightPrecision.Float32,
            SafeTensorsDType.BF16 => Skald.Tensors.WeightPrecision.BFloat16,
            SafeTensorsDType.F16 => Skald.Tensors.WeightPrecision.Float16,
            _ => null,
        };
        if (stored is not { } format) return null;
        try
        {
            // (through the file the header was read from: its offsets are that file's, whatever the path names now)
            return Skald.Tensors.Memory.FileValues.Open(entries[0].File.Shared, entries.Select(e => e.File.FileOffset(e.Info)).ToArray(),
                rowsEach * keys.Count, rowLength, format);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // read into memory instead
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> is stored as int8 with a per-row scale (a saved int8 model's Linear weight).
    /// </summary>
    public bool IsInt8(string key) => byKey.TryGetValue(key, out var entry) && entry.Info.DType == SafeTensorsDType.I8
        && Skald.Models.Quantization.Int8Checkpoint.ScaleOf(entry.File, entry.Info) is not null;

    /// <summary>
    /// Reads an int8 tensor (<see cref="IsInt8"/>) of shape <paramref name="expectedShape"/> as stored: values and
    /// per-row scales. Throws when it is not one.
    /// </summary>
    public void ReadInt8Into(string key, Span<sbyte> values, Span<float> scales, params int[] expectedShape)
    {
        var entry = Entry(key, expectedShape);
        if (!entry.File.TryReadInt8(entry.Info, values, scales))
            throw new ModelFormatException($"{Description}: tensor \"{key}\" is not int8 with a per-row scale");
    }

    private (SafeTensorsFile File, SafeTensorInfo Info) Entry(string key, int[] expectedShape)
    {
        if (!byKey.TryGetValue(key, out var entry))
            throw new ModelFormatException($"{Description}: missing tensor \"{key}\"");
        if (!entry.Info.Shape.SequenceEqual(expectedShape))
            throw new ModelFormatException(
                $"{Description}: tensor \"{key}\" has shape [{string.Join(", ", entry.Info.Shape)}], the config says [{string.Join(", ", expectedShape)}]");
        return entry;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in files) f.Dispose(); // the tensors left in them keep their own hold on the open file
    }
}
