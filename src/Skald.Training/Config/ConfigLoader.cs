using Skald.Tokenizers.Serialization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// Reads a training YAML file: sections <c>model</c>, <c>data</c>, <c>training</c>, <c>loss</c>, <c>evaluation</c>,
/// <c>output</c>; <c>--set section.key=value</c> overrides (value parsed as YAML, so <c>[64, 32]</c> is a list);
/// unknown sections or keys and values of the wrong type are a <see cref="TrainingException"/> naming the key and line.
/// </summary>
public static partial class ConfigLoader
{
    /// <summary>Rows kept per training file by <c>--quick-test</c>.</summary>
    public const int QuickTestSamples = 1000;

    /// <summary>Optimiser steps run by <c>--quick-test</c> (at most).</summary>
    public const int QuickTestSteps = 20;

    /// <summary>Section names, in file order.</summary>
    public static readonly IReadOnlyList<string> Sections = ["model", "data", "training", "loss", "lora", "evaluation", "output"];

    /// <summary>Loads <paramref name="path"/>, applies <paramref name="overrides"/> (<c>section.key=value</c>) and <paramref name="quickTest"/>.</summary>
    public static TrainingConfig Load(string path, IEnumerable<string>? overrides = null, bool quickTest = false)
    {
        string text;
        if (Directory.Exists(path)) throw new TrainingException($"{path}: is a folder, expected a config file (YAML)");
        // The wording of every verb's missing input, not the runtime's "Could not find file '...'".
        if (!File.Exists(path)) throw new TrainingException(NotFound(path));
        try
        {
            text = Utf8File.ReadAllText(path, m => new TrainingException(m)); // an instruction in Latin-1 is not read as U+FFFD
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingException($"{path}: cannot read the config ({e.Message})", e);
        }
        return Parse(text, path, overrides, quickTest);
    }

    /// <summary>Parses YAML text (<paramref name="origin"/> names it in messages).</summary>
    public static TrainingConfig Parse(string yaml, string origin, IEnumerable<string>? overrides = null, bool quickTest = false)
    {
        var tree = ReadTree(yaml, origin);
        foreach (var o in overrides ?? []) ApplyOverride(tree, o);
        var config = Bind(tree, origin);
        return quickTest ? ApplyQuickTest(config) : config;
    }

    /// <summary>Shrinks a run to check a setup in minutes: 1,000 rows per file, at most 20 steps, evaluation and a checkpoint at the end.</summary>
    public static TrainingConfig ApplyQuickTest(TrainingConfig c) => c with
    {
        QuickTest = true,
        Data = c.Data with
        {
            MaxTrainSamples = Math.Min(c.Data.MaxTrainSamples ?? QuickTestSamples, QuickTestSamples),
            MaxEvalSamples = Math.Min(c.Data.MaxEvalSamples ?? 200, 200),
        },
        Training = c.Training with
        {
            MaxSteps = c.Training.MaxSteps > 0 ? Math.Min(c.Training.MaxSteps, QuickTestSteps) : QuickTestSteps,
            WarmupSteps = Math.Min(c.Training.WarmupSteps, 2),
            LoggingSteps = Math.Min(c.Training.LoggingSteps, 5),
        },
        Evaluation = c.Evaluation with
        {
            Steps = 0,
            RetrievalMaxQueries = Math.Min(c.Evaluation.RetrievalMaxQueries ?? 100, 100),
            TaskLimit = Math.Min(c.Evaluation.TaskLimit ?? 100, 100),
        },
        Output = c.Output with { SaveSteps = QuickTestSteps },
    };

    /// <summary>
    /// The line for a config file <paramref name="path"/> that does not exist: "PATH: file not found", and when the same
    /// name with the other YAML extension exists (<c>x.yml</c> given, <c>x.yaml</c> there, or the reverse), that file suggested.
    /// </summary>
    public static string NotFound(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string ext = Path.GetExtension(path);
        string? other = ext.ToLowerInvariant() switch
        {
            ".yml" => Path.ChangeExtension(path, ext == ".YML" ? ".YAML" : ".yaml"),
            ".yaml" => Path.ChangeExtension(path, ext == ".YAML" ? ".YML" : ".yml"),
            _ => null,
        };
        return other is not null && File.Exists(other) ? $"{path}: file not found; did you mean {other}?" : $"{path}: file not found";
    }

    /// <summary>
    /// Reads and parses a YAML file other than a training config (the pipeline file) with the same messages: an unreadable
    /// file or a syntax error is <paramref name="error"/>(message naming the file, line and column). Null for an empty file.
    /// </summary>
    public static YamlNode? ReadYaml(string path, Func<string, Exception> error)
    {
        string text;
        if (Directory.Exists(path)) throw error($"{path}: is a folder, expected a config file (YAML)");
        if (!File.Exists(path)) throw error(NotFound(path));
        try
        {
            text = Utf8File.ReadAllText(path, error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw error($"{path}: cannot read the file ({e.Message})");
        }
        return ParseYaml(text, path, error);
    }

    /// <summary>
    /// The one document of <paramref name="yaml"/> (null when empty); a syntax error or a second document that holds
    /// something is <paramref name="error"/>(file:line message).
    /// </summary>
    private static YamlNode? ParseYaml(string yaml, string origin, Func<string, Exception> error)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw error($"{origin}:{e.Start.Line}:{e.Start.Column}: invalid YAML ({Inner(e).Message})");
        }
        // A config is one document: keys after a '---' line would be read by nothing (an empty one, as after front matter, holds none).
        if (stream.Documents.Skip(1).FirstOrDefault(d => d.RootNode is not YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" }) is { } more)
            throw error($"{origin}:{more.RootNode.Start.Line}: a second YAML document (after '---'); the file holds one document, put these keys in the first");
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    private static Dictionary<string, Dictionary<string, ConfigEntry>> ReadTree(string yaml, string origin)
    {
        var document = ParseYaml(yaml, origin, message => new TrainingException(message));
        var tree = new Dictionary<string, Dictionary<string, ConfigEntry>>(StringComparer.Ordinal);
        if (document is null) return tree;
        if (document is not YamlMappingNode root)
            throw new TrainingException($"{origin}: expected a mapping of sections ({string.Join(", ", Sections)})");
        foreach (var (k, v) in root.Children)
        {
            string section = SectionReader.KeyName(k, "", origin, message => new TrainingException(message));
            string where = $"{origin}:{k.Start.Line}";
            if (!Sections.Contains(section))
                throw new TrainingException($"{where}: unknown config section '{section}' (known: {string.Join(", ", Sections)})");
            if (tree.ContainsKey(section)) throw new TrainingException($"{where}: section '{section}' appears twice");
            var keys = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
            tree[section] = keys;
            if (v is YamlScalarNode { Value: null or "" or "~" or "null" }) continue;
            if (v is not YamlMappingNode m) throw new TrainingException($"{where}: section '{section}' must be a mapping of keys");
            foreach (var (kk, vv) in m.Children)
            {
                string key = SectionReader.KeyName(kk, $" in '{section}'", origin, message => new TrainingException(message));
                if (keys.ContainsKey(key)) throw new TrainingException($"{origin}:{kk.Start.Line}: key '{section}.{key}' appears twice");
                keys[key] = new ConfigEntry(vv, $"{origin}:{kk.Start.Line}");
            }
        }
        return tree;
    }

    private static Exception Inner(Exception e) => e.InnerException is { } i ? Inner(i) : e;

    /// <summary>
    /// What is wrong with a <c>--set section.key=value</c> assignment on its own (its form, its section, its value as
    /// YAML), or null: the command line checks it while parsing (a usage error), loading checks it again.
    /// </summary>
    public static string? OverrideError(string assignment) => ParseOverride(assignment, out _, out _, out _);

    private static string? ParseOverride(string assignment, out string section, out string key, out YamlNode? node)
    {
        section = key = "";
        node = null;
        int eq = DottedKey.EqualsSign(assignment); // (a quoted name may hold '=')
        if (eq < 0 && assignment.Contains('=', StringComparison.Ordinal) && DottedKey.Parse(assignment, out _) is { } open)
            return $"--set {assignment}: {open}"; // (every '=' is inside a quote left open)
        int dot = assignment.IndexOf('.');
        if (eq < 0 || dot < 0 || dot > eq) return $"--set {assignment}: expected section.key=value (e.g. training.batch_size=16)";
        section = assignment[..dot];
        key = assignment[(dot + 1)..eq];
        string where = $"--set {section}.{key}";
        if (!Sections.Contains(section)) return $"{where}: unknown config section '{section}' (known: {string.Join(", ", Sections)})";
        if (DottedKey.Parse(key, out _) is { } quoting) return $"{where}: {quoting}";
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(assignment[(eq + 1)..]));
        }
        catch (YamlException e)
        {
            return $"{where}: value is not valid YAML ({Inner(e).Message})";
        }
        node = stream.Documents.Count == 0 ? new YamlScalarNode("") : stream.Documents[0].RootNode;
        return null;
    }

    private static void ApplyOverride(Dictionary<string, Dictionary<string, ConfigEntry>> tree, string assignment)
    {
        if (ParseOverride(assignment, out string section, out string key, out var node) is { } error) throw new TrainingException(error);
        const string where = ConfigEntry.CommandLine; // the messages about the key name it
        if (!tree.TryGetValue(section, out var keys)) tree[section] = keys = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
        DottedKey.Parse(key, out string[] path); // (its quoting was checked by ParseOverride)
        if (path.Length == 1)
        {
            keys[path[0]] = new ConfigEntry(node!, where);
            return;
        }
        // A key into a mapping-valued key (training.scheduler_kwargs.power): the mapping keeps its other entries and its
        // place; the value put in is located by this --set (ConfigEntry.SetBy).
        keys.TryGetValue(path[0], out var existing);
        var value = DottedKey.Set(existing?.Node, existing?.Where ?? where, section, path, node!, m => new TrainingException(m));
        var setBy = new Dictionary<YamlNode, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, w) in existing?.SetBy ?? new Dictionary<YamlNode, string>()) setBy[n] = w;
        setBy[node!] = where;
        keys[path[0]] = new ConfigEntry(value, existing is null || existing.Node is YamlScalarNode ? where : existing.Where, setBy);
    }
}
