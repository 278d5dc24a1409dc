using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// Typed reads of one config section (a YAML mapping); <see cref="Done"/> rejects keys nobody read. Every problem is one
/// line naming the file and line or the key; <c>skald train</c> configs get a <see cref="TrainingException"/>, other
/// readers (the pipeline file) pass their own exception type as <c>error</c>.
/// </summary>
public sealed class SectionReader(string section, Dictionary<string, ConfigEntry> keys, string origin, Func<string, Exception>? error = null)
{
    private readonly HashSet<string> known = new(StringComparer.Ordinal);
    private readonly Func<string, Exception> error = error ?? (m => new TrainingException(m));

    /// <summary>
    /// A reader over one YAML mapping of <paramref name="file"/>: keys are located by their line, a missing key by the
    /// mapping's line; a key given twice is an error. A value found in <paramref name="setBy"/> (by reference: a value
    /// a command-line override put into the mapping) is located as that entry says instead (e.g. <c>--set tok.vocab_size</c>).
    /// </summary>
    public static SectionReader FromMapping(string section, YamlMappingNode mapping, string file, Func<string, Exception>? error = null,
        IReadOnlyDictionary<YamlNode, string>? setBy = null)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        error ??= m => new TrainingException(m);
        var keys = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
        foreach (var (k, v) in mapping.Children)
        {
            string key = KeyName(k, section.Length == 0 ? "" : $" in '{section}'", file, error);
            string name = section.Length == 0 ? key : $"{section}.{key}";
            string where = setBy is not null && setBy.TryGetValue(v, out var set) ? set : $"{file}:{k.Start.Line}";
            if (!keys.TryAdd(key, new ConfigEntry(v, where))) throw error($"{file}:{k.Start.Line}: key '{name}' appears twice");
        }
        return new SectionReader(section, keys, $"{file}:{mapping.Start.Line}", error);
    }

    /// <summary>
    /// The name of a mapping key <paramref name="k"/>; a key that is a list or a mapping (YAML's <c>? [a, b]</c>) is
    /// <paramref name="error"/>(file:line, naming it as a key <paramref name="where"/>).
    /// </summary>
    public static string KeyName(YamlNode k, string where, string file, Func<string, Exception> error)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(error);
        return k is YamlScalarNode s ? s.Value ?? ""
            : throw error($"{file}:{k.Start.Line}: a key{where} is a {(k is YamlSequenceNode ? "list" : "mapping")}; keys are plain names");
    }

    /// <summary>Where a key was set (for messages), or the section when it was not.</summary>
    public string Where(string key) => keys.TryGetValue(key, out var e) ? e.Where : origin;

    /// <summary>
    /// Where each value inside the mapping of <paramref name="key"/> was set, for those a <c>--set</c> put there (all of
    /// them when the whole mapping came from one), by reference: the <c>setBy</c> of <see cref="FromMapping"/>; null when none.
    /// </summary>
    public IReadOnlyDictionary<YamlNode, string>? SetBy(string key)
    {
        if (!keys.TryGetValue(key, out var e)) return null;
        if (e.Where != ConfigEntry.CommandLine || e.Node is not YamlMappingNode map) return e.SetBy;
        var all = new Dictionary<YamlNode, string>(ReferenceEqualityComparer.Instance);
        foreach (var (_, v) in map.Children) all.TryAdd(v, e.Where);
        foreach (var (n, w) in e.SetBy ?? new Dictionary<YamlNode, string>()) all[n] = w;
        return all;
    }

    /// <summary>
    /// Throws for the first key that no reader asked for, with a "did you mean": Skald's key for a name transformers or
    /// peft spells otherwise, in this section or another (<see cref="UpstreamKeyNames"/>; or why Skald has none), else the closest known key
    /// (<see cref="Skald.Retrieval.Data.Typos"/>) when one is near; then the section's keys.
    /// </summary>
    public void Done()
    {
        foreach (var (key, entry) in keys)
        {
            if (known.Contains(key)) continue;
            string suggestion = UpstreamKeyNames.For(section, key, known) is { } upstream
                ? $"; did you mean '{(upstream.Contains('.', StringComparison.Ordinal) ? upstream : Name(upstream))}'?" +
                  (UpstreamKeyNames.Meaning(key) is { } meaning ? $" {meaning}" : "")
                : UpstreamKeyNames.NoKey(section, key) is { } why ? $": {why}"
                : Skald.Retrieval.Data.Typos.Closest(key, known.Order(StringComparer.Ordinal)) is { } s ? $"; did you mean '{Name(s)}'?" : "";
            throw error(
                $"{entry.Where}: unknown config key '{Name(key)}'{suggestion} (known keys{(section.Length == 0 ? "" : " in " + section)}: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
        }
    }

    public string? Str(string key, bool required = false)
    {
        var node = Node(key, required);
        if (node is null) return null;
        if (node is not YamlScalarNode s) throw Bad(key, "must be a single value");
        return s.Value;
    }

    /// <summary>
    /// A file or folder path (or a hub id, for keys that take one); a leading <c>~/</c> is the home folder, as a shell
    /// would expand it (<see cref="ExpandHome"/>). Null when the key is absent, null or blank.
    /// </summary>
    public string? Path(string key, bool required = false)
    {
        string? v = Str(key, required);
        if (required && string.IsNullOrWhiteSpace(v)) throw Missing(key);
        if (string.IsNullOrWhiteSpace(v)) return null;
        v = ExpandHome(v);
        paths.Add((key, v));
        return v;
    }

    /// <summary>
    /// <paramref name="path"/> with a leading <c>~</c> (alone, or before a directory separator) replaced by the user's
    /// home folder. A shell expands <c>~</c> only at the start of a word, so neither a YAML value nor the value of
    /// <c>--set model.path=~/models/x</c> reaches Skald expanded; other paths (<c>~user</c>, <c>a/~</c>) are left as they are.
    /// </summary>
    public static string ExpandHome(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] != '~') return path;
        if (path.Length > 1 && path[1] != '/' && path[1] != System.IO.Path.DirectorySeparatorChar) return path;
        return Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..];
    }

    private readonly List<(string Key, string Value)> paths = [];
    private readonly List<(string Key, string Value)> files = [];

    /// <summary>The values read so far as paths (<see cref="Path"/>, <see cref="PathList"/>), with their keys.</summary>
    public IReadOnlyList<(string Key, string Value)> PathsRead => paths;

    /// <summary>
    /// The values read so far by <see cref="FilePath"/> and <see cref="FilePathList"/>: paths that must name a file or
    /// folder on disk (not a hub id or a keyword such as bm25), so a caller can check they exist before using them.
    /// </summary>
    public IReadOnlyList<(string Key, string Value)> FilesRead => files;

    /// <summary><see cref="Path"/> of a key whose value must name a file or folder on disk (see <see cref="FilesRead"/>).</summary>
    public string? FilePath(string key, bool required = false)
    {
        string? v = Path(key, required);
        if (v is not null) files.Add((key, v));
        return v;
    }

    /// <summary><see cref="PathList"/> of a key whose values must name files or folders on disk (see <see cref="FilesRead"/>).</summary>
    public IReadOnlyList<string> FilePathList(string key, bool required = false)
    {
        var list = PathList(key, required);
        files.AddRange(list.Select(v => (key, v)));
        return list;
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
            list.Add(ExpandHome(v));
        }
        if (required && list.Count == 0) throw Missing(key);
        paths.AddRange(list.Select(v => (key, v)));
        return list;
    }

    /// <summary>A name or a list of names (data columns), each given once; empty when the key is absent.</summary>
    public IReadOnlyList<string> NameList(string key)
    {
        var node = Node(key);
        if (node is null) return [];
        var items = node is YamlSequenceNode seq ? seq.Children.ToList() : [node];
        var list = new List<string>();
        foreach (var item in items)
        {
            if (item is not YamlScalarNode { Value: { Length: > 0 } v }) throw Bad(key, "must be a name or a list of names");
            if (list.Contains(v)) throw Bad(key, $"names '{v}' twice");
            list.Add(v);
        }
        return list;
    }

    public string Choice(string key, string fallback, params string[] allowed)
    {
        string? v = Str(key);
        if (v is null) return fallback;
        if (!allowed.Contains(v))
        {
            // A near miss ("mnlr") names the value it was likely meant to be before the full list.
            throw Skald.Retrieval.Data.Typos.Closest(v, allowed) is { } s
                ? Bad(key, $"got '{v}'; did you mean '{s}'? (must be one of {string.Join(", ", allowed)})")
                : Bad(key, $"must be one of {string.Join(", ", allowed)}, got '{v}'");
        }
        return v;
    }

    public int Int(string key, int fallback, int min) => (int)Long(key, fallback, min, int.MaxValue);

    public int? IntOrNull(string key, int min) => Str(key) is null ? null : Int(key, 0, min);

    /// <summary>
    /// <see cref="Int"/> of a key where an explicit null (<c>null</c>, <c>~</c> or nothing after the colon; Python's
    /// None) means "no limit" and reads as null, while an absent key reads as <paramref name="fallback"/>.
    /// </summary>
    public int? IntOrUnlimited(string key, int fallback, int min) =>
        keys.ContainsKey(key) && Node(key) is null ? null : Int(key, fallback, min);

    public long Long(string key, long fallback, long min, long max = long.MaxValue)
    {
        string? v = Str(key);
        if (v is null) return fallback;
        if (!long.TryParse(v.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out long x))
            throw Bad(key, $"must be a whole number, got '{v}'");
        if (x < min) throw Bad(key, $"must be at least {min}, got {x}");
        if (x > max) throw Bad(key, $"must be at most {max}, got {x}");
        return x;
    }

    public float Float(string key, float fallback, float min, float max = float.MaxValue) => (float)Double(key, fallback, min, max);

    public double Double(string key, double fallback, double min, double max = double.MaxValue)
    {
        string? v = Str(key);
        if (v is null) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw Bad(key, $"must be a number, got '{v}'");
        bool unbounded = max >= float.MaxValue; // Float's and Double's default: no upper limit but the type's
        if (x < min && unbounded) throw Bad(key, $"must be at least {min}, got {v}");
        if (x > max && unbounded) throw Bad(key, $"is too large, got {v}");
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

    /// <summary>
    /// A mapping of names to numbers in file order (<c>learning_rate_mapping: {SparseStaticEmbedding: 1e-3}</c>), each
    /// at least <paramref name="min"/>; empty when the key is absent.
    /// </summary>
    public IReadOnlyList<(string Name, double Value)> NumberMap(string key, double min)
    {
        var node = Node(key);
        if (node is null) return [];
        if (node is not YamlMappingNode map) throw Bad(key, "must be a mapping of names to numbers");
        var result = new List<(string, double)>();
        foreach (var (k, v) in map.Children)
        {
            // (a key that is a list or mapping would read as "", a pattern that matches every name)
            string name = k is YamlScalarNode scalar ? scalar.Value ?? ""
                : throw error($"{Where(key)}: {Name(key)}: a key is a {(k is YamlSequenceNode ? "list" : "mapping")}; keys are plain names");
            string? text = (v as YamlScalarNode)?.Value;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x) || x < min)
                throw error($"{(SetBy(key) is { } set && set.TryGetValue(v, out var w) ? w : Where(key))}: {Name(key)}['{name}'] must be a number of at least {min}, got '{text}'");
            result.Add((name, x));
        }
        return result;
    }

    /// <summary>The raw YAML node of a key (null when absent or null), for values a typed read does not cover.</summary>
    public YamlNode? Node(string key, bool required = false)
    {
        known.Add(key);
        if (!keys.TryGetValue(key, out var e) || e.Node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" })
            return required ? throw Missing(key) : null;
        return e.Node;
    }

    /// <summary>
    /// The error for a required key that is absent (named against the section), or given empty, null or <c>[]</c>
    /// (named where it was given: its line, or the <c>--set</c> that gave it), as a required read throws it; for keys
    /// whose need depends on others. An absent key that a key given and not read looks like a misspelling of is named
    /// with it (<c>pth</c> for <c>path</c>), since the misspelling is why the key is missing.
    /// </summary>
    public Exception Missing(string key)
    {
        if (keys.TryGetValue(key, out var e)) return error($"{e.Where}: {Name(key)} is required and must not be empty");
        foreach (var (given, entry) in keys)
        {
            if (!known.Contains(given) && Skald.Retrieval.Data.Typos.Closest(given, [key]) is not null)
                return error($"{entry.Where}: unknown config key '{Name(given)}'; did you mean '{Name(key)}'? (missing required key '{Name(key)}')");
        }
        return error($"{origin}: missing required key '{Name(key)}'");
    }

    private Exception Bad(string key, string problem) => error($"{Where(key)}: {Name(key)} {problem}");

    private string Name(string key) => section.Length == 0 ? key : $"{section}.{key}";
}
