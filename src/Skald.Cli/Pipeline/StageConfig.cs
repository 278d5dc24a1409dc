using Skald.Cli.IO;
using Skald.Training.Config;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Skald.Cli.Pipeline;

/// <summary>
/// One stage of a pipeline file: its name, type and a <see cref="SectionReader"/> over its keys, the reader
/// <c>skald train</c> uses for its configs (typed values, file:line in every message, unknown keys named).
/// </summary>
internal sealed class StageConfig(string name, string type, string where, SectionReader keys, string definition)
{
    public string Name { get; } = name;

    public string Type { get; } = type;

    /// <summary>"file:line: stage N (name)", for messages.</summary>
    public string Where { get; } = where;

    /// <summary>The stage's keys (name and type already read).</summary>
    public SectionReader Keys { get; } = keys;

    /// <summary>
    /// The stage's mapping, --set values applied, in <see cref="Canonical"/> form (its keys in one order): what
    /// <see cref="StageMarks"/> compares between runs.
    /// </summary>
    public string Definition { get; } = definition;

    /// <summary>
    /// Refuses <paramref name="keys"/> that this stage accepts but does not use as it is set up (an LLM's keys, such as
    /// <c>max_requests</c>, with no LLM to ask): one line naming the first one given, where, and <paramref name="why"/>,
    /// rather than a setting silently ignored.
    /// </summary>
    public void Unused(string why, params string[] keys)
    {
        foreach (string key in keys)
        {
            if (Keys.Node(key) is not null)
                throw new InputException($"{Keys.Where(key)}: {Name}.{key} is not used {why}; remove it");
        }
    }

    /// <summary>
    /// Reads a pipeline file: <c>output: DIR</c> and <c>stages: [ {name, type, ...}, ... ]</c>, with
    /// <paramref name="overrides"/> (<c>STAGE.KEY=VALUE</c>, the value read as YAML, or <c>output=DIR</c>) applied.
    /// </summary>
    public static (string Output, List<StageConfig> Stages) Load(string path, IReadOnlyList<string>? overrides = null)
    {
        if (ConfigLoader.ReadYaml(path, Error) is not YamlMappingNode root)
            throw new InputException($"{path}: expected a mapping with \"output\" and \"stages\"");
        // Values given by --set are located as "--set" in messages (which name the key), not by a line of the file they are not in.
        var setBy = new Dictionary<YamlNode, string>(ReferenceEqualityComparer.Instance);
        foreach (var o in overrides ?? []) Override(root, o, setBy, path);
        var top = SectionReader.FromMapping("", root, path, Error, setBy);
        string output = top.Path("output", required: true)!;
        if (top.Node("stages", required: true) is not YamlSequenceNode { Children.Count: > 0 } stages)
            throw new InputException($"{top.Where("stages")}: \"stages\" must be a non-empty list");
        top.Done();
        var list = new List<StageConfig>();
        foreach (var (node, i) in stages.Children.Select((n, i) => (n, i)))
        {
            if (node is not YamlMappingNode m) throw new InputException($"{path}:{node.Start.Line}: stage {i + 1} must be a mapping of keys");
            string label = m.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: { Length: > 0 } v } ? v : $"stage {i + 1}";
            var keys = SectionReader.FromMapping(label, m, path, Error, setBy);
            string name = keys.Str("name", required: true)!;
            // The stage's folder is OUTPUT/NAME, replaced when the stage runs: a name must stay inside the output folder.
            if (name is "." or ".." || name.IndexOfAny(['/', '\\', ':']) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
                || name.Trim().Length == 0)
                throw new InputException($"{keys.Where("name")}: stage name \"{name}\" must be a plain folder name (no '/', '\\', ':', '.' or '..'): its output goes to OUTPUT/NAME");
            string type = keys.Str("type", required: true)!;
            if (list.Any(s => s.Name == name)) throw new InputException($"{keys.Where("name")}: two stages are named \"{name}\"");
            list.Add(new StageConfig(name, type, $"{path}:{m.Start.Line}: stage {i + 1} ({name})", keys, Canonical(m)));
        }
        return (output, list);
    }

    /// <summary>
    /// <paramref name="node"/> as text that only its meaning decides: a mapping's keys in ordinal order (the order of a
    /// stage's keys, in the file or of its <c>--set</c> options, changes nothing), a sequence's items in their order, a
    /// scalar's value (quoted apart from plain: <c>null</c> is not <c>'null'</c>), each length-prefixed so no value can
    /// pass for the structure around it.
    /// </summary>
    internal static string Canonical(YamlNode node)
    {
        var text = new StringBuilder();
        Append(node, text);
        return text.ToString();

        static void Append(YamlNode node, StringBuilder text)
        {
            switch (node)
            {
                case YamlScalarNode scalar:
                    string scalarText = scalar.Value ?? "";
                    text.Append(scalar.Style is ScalarStyle.Plain or ScalarStyle.Any ? 'p' : 'q').Append(scalarText.Length).Append(':').Append(scalarText);
                    break;
                case YamlSequenceNode sequence:
                    text.Append('[').Append(sequence.Children.Count).Append(':');
                    foreach (var item in sequence.Children) Append(item, text);
                    text.Append(']');
                    break;
                case YamlMappingNode mapping:
                    var keyed = mapping.Children.Select(p => (Key: Canonical(p.Key), p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                    text.Append('{').Append(keyed.Count).Append(':');
                    foreach (var (key, value) in keyed)
                    {
                        text.Append(key);
                        Append(value, text);
                    }
                    text.Append('}');
                    break;
                default:
                    text.Append('?').Append(node.NodeType);
                    break;
            }
        }
    }

    /// <summary>
    /// What is wrong with a <c>--set STAGE.KEY=VALUE</c> / <c>output=DIR</c> assignment on its own (its form, its value as
    /// YAML), or null: the command line checks it while parsing (a usage error), loading checks it again.
    /// </summary>
    public static string? OverrideError(string assignment) => ParseOverride(assignment, out _, out _);

    private static string? ParseOverride(string assignment, out string target, out YamlNode? value)
    {
        target = "";
        value = null;
        int eq = DottedKey.EqualsSign(assignment); // (a quoted name may hold '=')
        if (eq <= 0) return $"--set {assignment}: expected STAGE.KEY=VALUE (e.g. mntp.model=~/models/Qwen2.5-0.5B) or output=DIR";
        target = assignment[..eq];
        int dot = target.IndexOf('.');
        if (dot >= 0 && DottedKey.Parse(target[(dot + 1)..], out _) is { } quoting) return $"--set {target}: {quoting}";
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(assignment[(eq + 1)..]));
        }
        catch (YamlException e)
        {
            return $"--set {target}: the value is not valid YAML ({e.Message})";
        }
        value = stream.Documents.Count == 0 ? new YamlScalarNode("") : stream.Documents[0].RootNode;
        return null;
    }

    private static void Override(YamlMappingNode root, string assignment, Dictionary<YamlNode, string> setBy, string file)
    {
        if (ParseOverride(assignment, out string target, out var parsed) is { } error) throw new InputException(error);
        YamlNode value = parsed!;
        setBy[value] = ConfigEntry.CommandLine; // located as "--set", the messages about the key naming it once
        int dot = target.IndexOf('.');
        if (dot < 0)
        {
            root.Children[new YamlScalarNode(target)] = value;
            return;
        }
        string stage = target[..dot], key = target[(dot + 1)..];
        var stages = root.Children.TryGetValue(new YamlScalarNode("stages"), out var s) ? s as YamlSequenceNode : null;
        var match = stages?.Children.OfType<YamlMappingNode>().FirstOrDefault(m =>
            m.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: var v } && v == stage)
            ?? throw new InputException($"--set {target}: no stage is named \"{stage}\"");
        // STAGE.scheduler_kwargs.power=2 reaches into the mapping as a training config's --set does (the one rule).
        DottedKey.Parse(key, out string[] path); // (its quoting was checked by ParseOverride)
        var name = new YamlScalarNode(path[0]);
        var existing = match.Children.TryGetValue(name, out var e) ? e : null;
        string existingWhere = existing is null ? ConfigEntry.CommandLine : setBy.TryGetValue(existing, out var w) ? w : $"{file}:{existing.Start.Line}";
        match.Children[name] = DottedKey.Set(existing, existingWhere, stage, path, value, Error);
    }

    /// <summary>Pipeline files are the user's input: their problems are <see cref="InputException"/>s (exit 1).</summary>
    public static Exception Error(string message) => new InputException(message);
}
