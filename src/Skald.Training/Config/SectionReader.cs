using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>A config value and where it came from (<c>file:line</c> or <c>--set section.key</c>).</summary>
internal sealed record ConfigEntry(YamlNode Node, string Where);

/// <summary>Typed reads of one config section; <see cref="Done"/> rejects keys nobody read.</summary>
internal sealed class SectionReader(string section, Dictionary<string, ConfigEntry> keys, string origin)
{
    private readonly HashSet<string> known = new(StringComparer.Ordinal);

    /// <summary>Where a key was set (for messages), or the section when it was not.</summary>
    public string Where(string key) => keys.TryGetValue(key, out var e) ? e.Where : origin;

    /// <summary>Throws for the first key that no reader asked for, listing the section's keys.</summary>
    public void Done()
    {
        foreach (var (key, entry) in keys)
        {
            if (known.Contains(key)) continue;
            throw new TrainingException(
                $"{entry.Where}: unknown config key '{section}.{key}' (known keys in {section}: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
        }
    }

    public string? Str(string key, bool required = false)
    {
        var node = Node(key, required);
        if (node is null) return null;
        if (node is not YamlScalarNode s) throw Bad(key, "must be a single value");
        return s.Value;
    }

    public string? Path(string key, bool required = false)
    {
        string? v = Str(key, required);
        if (required && string.IsNullOrWhiteSpace(v)) throw Missing(key);
        return string.IsNullOrWhiteSpace(v) ? null : v;
    }

    public IReadOnlyList<string> PathList(string key, bool required = false)
    {
        var node = Node(key, required);
        if (node is null) return [];
        var items = node is YamlSequenceNode seq ? seq.Children.ToList() : [node];
        var list = new List<string>();
        foreach (var item in items)
        {
            if (item is not YamlScalarNode { Value: { Length: > 0 } v }) throw Bad(key, "must be a file path or a list of file paths");
            list.Add(v);
        }
        if (required && list.Count == 0) throw Missing(key);
        return list;
    }

    public string Choice(string key, string fallback, params string[] allowed)
    {
        string? v = Str(key);
        if (v is null) return fallback;
        if (!allowed.Contains(v)) throw Bad(key, $"must be one of {string.Join(", ", allowed)}, got '{v}'");
        return v;
    }

    public int Int(string key, int fallback, int min) => (int)Long(key, fallback, min, int.MaxValue);

    public int? IntOrNull(string key, int min) => Str(key) is null ? null : Int(key, 0, min);

    public long Long(string key, long fallback, long min, long max = long.MaxValue)
    {
        string? v = Str(key);
        if (v is null) return fallback;
        if (!long.TryParse(v.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out long x))
            throw Bad(key, $"must be a whole number, got '{v}'");
        if (x < min || x > max) throw Bad(key, $"must be at least {min}, got {x}");
        return x;
    }

    public float Float(string key, float fallback, float min, float max = float.MaxValue) => (float)Double(key, fallback, min, max);

    public double Double(string key, double fallback, double min, double max = double.MaxValue)
    {
        string? v = Str(key);
        if (v is null) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw Bad(key, $"must be a number, got '{v}'");
        if (x < min || x > max) throw Bad(key, $"must be between {min} and {max}, got {v}");
        return x;
    }

    public bool Bool(string key, bool fallback)
    {
        string? v = Str(key);
        if (v is null) return fallback;
        return v.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Bad(key, $"must be true or false, got '{v}'"),
        };
    }

    public IReadOnlyList<int>? IntList(string key) => List<int>(key, s =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) && x > 0 ? x : null, "positive whole numbers");

    public IReadOnlyList<float>? FloatList(string key) => List<float>(key, s =>
        float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float x) && float.IsFinite(x) ? x : (float?)null, "numbers");

    private IReadOnlyList<T>? List<T>(string key, Func<string, T?> parse, string what) where T : struct
    {
        var node = Node(key, false);
        if (node is null) return null;
        if (node is not YamlSequenceNode seq) throw Bad(key, $"must be a list of {what}, e.g. [768, 256, 64]");
        var list = new List<T>();
        foreach (var item in seq.Children)
        {
            T? v = item is YamlScalarNode { Value: { } s } ? parse(s) : null;
            list.Add(v ?? throw Bad(key, $"must be a list of {what}"));
        }
        return list.Count == 0 ? throw Bad(key, "must not be empty") : list;
    }

    private YamlNode? Node(string key, bool required)
    {
        known.Add(key);
        if (!keys.TryGetValue(key, out var e) || e.Node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" })
            return required ? throw Missing(key) : null;
        return e.Node;
    }

    private TrainingException Missing(string key) => new($"{origin}: missing required key '{section}.{key}'");

    private TrainingException Bad(string key, string problem) => new($"{Where(key)}: {section}.{key} {problem}");
}
