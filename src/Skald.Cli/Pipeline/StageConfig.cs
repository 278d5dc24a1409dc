using System.Globalization;
using Skald.Training.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Skald.Cli.Pipeline;

/// <summary>One stage of a pipeline file: its name, type and the remaining keys (checked by the stage that reads them).</summary>
internal sealed class StageConfig(string file, int index, string name, string type, Dictionary<string, YamlNode> keys)
{
    private readonly HashSet<string> read = [];

    public string Name { get; } = name;

    public string Type { get; } = type;

    public string Where => $"{file}: stage {index + 1} ({Name})";

    /// <summary>The stage's keys (besides name and type).</summary>
    public IEnumerable<string> Keys => keys.Keys;

    public string? Str(string key)
    {
        read.Add(key);
        return keys.TryGetValue(key, out var v) ? (v as YamlScalarNode)?.Value
            ?? throw new TrainingException($"{Where}: \"{key}\" must be a single value") : null;
    }

    public string Require(string key) => Str(key) ?? throw new TrainingException($"{Where}: missing key \"{key}\"");

    public int Int(string key, int fallback)
    {
        string? s = Str(key);
        if (s is null) return fallback;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v
            : throw new TrainingException($"{Where}: \"{key}\" must be a non-negative integer, got '{s}'");
    }

    public float Float(string key, float fallback)
    {
        string? s = Str(key);
        if (s is null) return fallback;
        return float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && v > 0 ? v
            : throw new TrainingException($"{Where}: \"{key}\" must be a positive number, got '{s}'");
    }

    public bool Bool(string key, bool fallback)
    {
        string? s = Str(key);
        return s is null ? fallback : s is "true" or "false" ? s == "true"
            : throw new TrainingException($"{Where}: \"{key}\" must be true or false, got '{s}'");
    }

    public List<string> List(string key)
    {
        read.Add(key);
        if (!keys.TryGetValue(key, out var v)) throw new TrainingException($"{Where}: missing key \"{key}\"");
        return v switch
        {
            YamlScalarNode s => [s.Value ?? ""],
            YamlSequenceNode seq => [.. seq.Children.Select(c => (c as YamlScalarNode)?.Value
                ?? throw new TrainingException($"{Where}: \"{key}\" must be a list of values"))],
            _ => throw new TrainingException($"{Where}: \"{key}\" must be a value or a list"),
        };
    }

    /// <summary>After a stage has read its keys: any other key is a mistake.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var k in keys.Keys)
        {
            if (!read.Contains(k))
                throw new TrainingException($"{Where}: unknown key \"{k}\" for a {Type} stage (known: {string.Join(", ", read.Order())})");
        }
    }

    /// <summary>Reads a pipeline file: <c>output: DIR</c> and <c>stages: [ {name, type, ...}, ... ]</c>.</summary>
    public static (string Output, List<StageConfig> Stages) Load(string path)
    {
        if (!File.Exists(path)) throw new TrainingException($"{path}: file not found");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new TrainingException($"{path}:{e.Start.Line}: invalid YAML ({e.Message})");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new TrainingException($"{path}: expected a mapping with \"output\" and \"stages\"");
        string? output = null;
        YamlSequenceNode? stages = null;
        foreach (var (k, v) in root.Children)
        {
            string key = ((YamlScalarNode)k).Value ?? "";
            if (key == "output") output = (v as YamlScalarNode)?.Value;
            else if (key == "stages") stages = v as YamlSequenceNode;
            else throw new TrainingException($"{path}:{k.Start.Line}: unknown key \"{key}\" (known: output, stages)");
        }
        if (output is null) throw new TrainingException($"{path}: missing key \"output\"");
        if (stages is null || stages.Children.Count == 0) throw new TrainingException($"{path}: \"stages\" must be a non-empty list");
        var list = new List<StageConfig>();
        foreach (var (node, i) in stages.Children.Select((n, i) => (n, i)))
        {
            if (node is not YamlMappingNode m) throw new TrainingException($"{path}: stage {i + 1} must be a mapping");
            var keys = m.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value ?? "", kv => kv.Value);
            string name = keys.TryGetValue("name", out var n) && n is YamlScalarNode ns && !string.IsNullOrWhiteSpace(ns.Value) ? ns.Value!
                : throw new TrainingException($"{path}: stage {i + 1} needs a \"name\"");
            string type = keys.TryGetValue("type", out var t) && t is YamlScalarNode ts ? ts.Value ?? ""
                : throw new TrainingException($"{path}: stage {i + 1} ({name}) needs a \"type\"");
            if (list.Any(s => s.Name == name)) throw new TrainingException($"{path}: two stages are named \"{name}\"");
            keys.Remove("name");
            keys.Remove("type");
            list.Add(new StageConfig(path, i, name, type, keys));
        }
        return (output, list);
    }
}
