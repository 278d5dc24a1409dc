using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// The one rule for a <c>--set</c> whose key reaches into a mapping-valued key (<c>training.scheduler_kwargs.power=2</c>,
/// a pipeline's <c>STAGE.scheduler_kwargs.power=2</c>): the value goes in at that place of the mapping, keeping the
/// mapping's other entries (an anchored mapping, which a YAML alias may share with other places, and the levels under it
/// change in a copy, so those places keep their values); missing levels are made; a level that holds a single value or
/// a list is one line. A name that holds dots itself (a data set's file name under <c>training.prompts</c>, a pattern of
/// <c>learning_rate_mapping</c>) is written in double quotes: <c>training.prompts."pairs.jsonl".anchor=query:</c> (in a
/// shell, the whole assignment in single quotes). Read by <see cref="ConfigLoader"/> (training configs) and the pipeline
/// file's reader alike.
/// </summary>
public static class DottedKey
{
    /// <summary>
    /// The names of <paramref name="key"/> (<c>scheduler_kwargs.power</c>, <c>prompts."pairs.jsonl".anchor</c>): split at
    /// the dots outside double quotes, a quoted name taken as written without its quotes. Returns what is wrong with the
    /// key's quoting (a quote left open, a quote that does not wrap a whole name), or null.
    /// </summary>
    public static string? Parse(string key, out string[] names)
    {
        ArgumentNullException.ThrowIfNull(key);
        var list = new List<string>();
        names = [];
        int i = 0;
        while (true)
        {
            if (i < key.Length && key[i] == '"')
            {
                int close = key.IndexOf('"', i + 1);
                if (close < 0) return $"a quote is not closed (a name that holds dots is written in double quotes: prompts.\"pairs.jsonl\".anchor)";
                list.Add(key[(i + 1)..close]);
                i = close + 1;
                if (i < key.Length && key[i] != '.')
                    return $"a quoted name is followed by '{key[i]}', not a dot (a quote wraps a whole name: prompts.\"pairs.jsonl\".anchor)";
            }
            else
            {
                int dot = key.IndexOf('.', i);
                string name = dot < 0 ? key[i..] : key[i..dot];
                if (name.Contains('"', StringComparison.Ordinal))
                    return $"the name '{name}' holds a double quote (a quote wraps a whole name: prompts.\"pairs.jsonl\".anchor)";
                list.Add(name);
                i = dot < 0 ? key.Length : dot;
            }
            if (i >= key.Length) break;
            i++; // past the dot
            if (i == key.Length) list.Add(""); // a trailing dot: an empty name, said by Set
            if (i >= key.Length) break;
        }
        names = [.. list];
        return null;
    }

    /// <summary>The index of the first <c>=</c> of <paramref name="assignment"/> outside double quotes, or -1.</summary>
    public static int EqualsSign(string assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        bool quoted = false;
        for (int i = 0; i < assignment.Length; i++)
        {
            if (assignment[i] == '"') quoted = !quoted;
            else if (assignment[i] == '=' && !quoted) return i;
        }
        return -1;
    }

    /// <summary>Names joined by dots as a key is written, a name that holds a dot or a quote in double quotes.</summary>
    public static string Join(IEnumerable<string> names) =>
        string.Join('.', names.Select(n => n.Contains('.', StringComparison.Ordinal) || n.Contains('"', StringComparison.Ordinal) ? $"\"{n}\"" : n));

    /// <summary>
    /// The value to store under <paramref name="path"/>[0]: <paramref name="existing"/> (null when the key is absent)
    /// with <paramref name="value"/> put at <paramref name="path"/>[1..] (or <paramref name="value"/> itself for a path of
    /// one name). <paramref name="prefix"/> names what the path starts in (<c>training</c>) and <paramref name="existingWhere"/>
    /// where <paramref name="existing"/> was given, for the line <paramref name="error"/> gets when a level is not a mapping.
    /// </summary>
    public static YamlNode Set(YamlNode? existing, string existingWhere, string prefix, IReadOnlyList<string> path, YamlNode value,
        Func<string, Exception> error)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(error);
        string target = $"--set {prefix}.{Join(path)}";
        if (path.Count == 0 || path.Any(p => p.Length == 0)) throw error($"{target}: a key name is empty (between two dots)");
        if (path.Count == 1) return value;
        YamlMappingNode map;
        if (existing is null or YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" })
            map = new YamlMappingNode();
        else if (existing is YamlMappingNode m)
            map = m.Anchor.IsEmpty ? m : CopyMappings(m); // an anchored mapping (&kw) may be shared through an alias (*kw)
        else
            throw error($"{target}: {prefix}.{Join([path[0]])} is {(existing is YamlSequenceNode ? "a list" : "a single value")} ({existingWhere}), " +
                $"not a mapping, so it has no key '{path[1]}'; set it whole with --set {prefix}.{Join([path[0]])}=...");
        var name = new YamlScalarNode(path[1]);
        var inner = map.Children.TryGetValue(name, out var found) ? found : null;
        map.Children[name] = Set(inner, existingWhere, $"{prefix}.{Join([path[0]])}", path.Skip(1).ToArray(), value, error);
        return map;
    }

    // A copy of mapping and of every mapping under it (values that are not mappings are shared: Set replaces them, never
    // changes them), so a --set through an anchored mapping changes no other place that names it by alias. An unanchored
    // mapping changes in place and keeps its file line for messages.
    private static YamlMappingNode CopyMappings(YamlMappingNode mapping) =>
        new(mapping.Children.Select(kv => new KeyValuePair<YamlNode, YamlNode>(kv.Key, kv.Value is YamlMappingNode inner ? CopyMappings(inner) : kv.Value)));
}
