using System.Text.Json;

namespace Skald.Models.Checkpoints;

// SafeTensorsFile, continued: parsing and validating the JSON header (entries, dtypes, offsets, overlaps).
public sealed unsafe partial class SafeTensorsFile
{
    private static (Dictionary<string, SafeTensorInfo>, IReadOnlyDictionary<string, string>) ParseHeader(
        string path, ReadOnlySpan<byte> header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(header))
                throw new ModelFormatException($"{path}: corrupt safetensors header: not UTF-8 text");
            doc = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: corrupt safetensors header: invalid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{path}: corrupt safetensors header: expected a JSON object");
            var entries = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var m in prop.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    }
                    continue;
                }
                entries[prop.Name] = ParseEntry(path, prop.Name, prop.Value, dataLength);
            }
            CheckOverlaps(path, entries.Values);
            return (entries, metadata);
        }
    }

    private static SafeTensorInfo ParseEntry(string path, string name, JsonElement e, long dataLength)
    {
        string Where() => $"{path}: corrupt safetensors header: tensor \"{name}\"";
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new ModelFormatException($"{Where()} needs \"dtype\", \"shape\" and two \"data_offsets\"");
        var dtype = ParseDType(dt.GetString()!)
            ?? throw new ModelFormatException($"{Where()} has unknown dtype \"{dt.GetString()}\"");
        var shape = new int[sh.GetArrayLength()];
        int d = 0;
        foreach (var s in sh.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out int v) || v < 0) throw new ModelFormatException($"{Where()} has an invalid shape {sh.GetRawText()}");
            shape[d++] = v;
        }
        if (off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new ModelFormatException($"{Where()} has invalid data_offsets {off.GetRawText()}");
        if (end > dataLength)
            throw new ModelFormatException(
                $"{Where()} has data_offsets [{begin}, {end}] out of range: the data section holds {dataLength} bytes " +
                $"({end - dataLength} too few: the file was cut short, a truncated download or copy, or its header is wrong)");
        var info = new SafeTensorInfo(name, dtype, shape, begin, end);
        long expected = checked(info.ElementCount * ElementSize(dtype));
        if (expected != end - begin)
            throw new ModelFormatException(
                $"{Where()}: shape [{string.Join(", ", shape)}] of {dtype} needs {expected} bytes but data_offsets span {end - begin}");
        return info;
    }

    private static void CheckOverlaps(string path, IEnumerable<SafeTensorInfo> entries)
    {
        SafeTensorInfo? prev = null;
        foreach (var e in entries.Where(x => x.End > x.Begin).OrderBy(x => x.Begin))
        {
            if (prev is not null && e.Begin < prev.End)
                throw new ModelFormatException(
                    $"{path}: corrupt safetensors header: tensors \"{prev.Name}\" and \"{e.Name}\" overlap (offsets [{prev.Begin}, {prev.End}] and [{e.Begin}, {e.End}])");
            prev = e;
        }
    }

    private static SafeTensorsDType? ParseDType(string s) => s switch
    {
        "BOOL" => SafeTensorsDType.Bool,
        "U8" => SafeTensorsDType.U8,
        "I8" => SafeTensorsDType.I8,
        "F8_E5M2" => SafeTensorsDType.F8E5M2,
        "F8_E4M3" => SafeTensorsDType.F8E4M3,
        "I16" => SafeTensorsDType.I16,
        "U16" => SafeTensorsDType.U16,
        "F16" => SafeTensorsDType.F16,
        "BF16" => SafeTensorsDType.BF16,
        "I32" => SafeTensorsDType.I32,
        "U32" => SafeTensorsDType.U32,
        "F32" => SafeTensorsDType.F32,
        "F64" => SafeTensorsDType.F64,
        "I64" => SafeTensorsDType.I64,
        "U64" => SafeTensorsDType.U64,
        _ => null,
    };
}
