using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// The one rule for a <c>--set</c> whose key reaches into a mapping-valued key (<c>training.scheduler_kwargs.power=2</c>,
/// a pipeline's <c>STAGE.scheduler_kwargs.power=2</c>): the value goes in at that place of the mapping, keeping the
/// mapping's other entries; missing levels are made; a level that holds a single value or a list is one line.
/// Read by <see cref="ConfigLoader"/> (training configs) and the pipeline file's reader alike.
/// </summary>
public static class DottedKey
{
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
        string target = $"--set {prefix}.{string.Join('.', path)}";
        if (path.Count == 0 || path.Any(p => p.Length == 0)) throw error($"{target}: a key name is empty (between two dots)");
        if (path.Count == 1) return value;
        YamlMappingNode map;
        if (existing is null or YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" })
            map = new YamlMappingNode();
        else if (existing is YamlMappingNode m)
            map = m;
        else
            throw error($"{target}: {prefix}.{path[0]} is {(existing is YamlSequenceNode ? "a list" : "a single value")} ({existingWhere}), " +
                $"not a mapping, so it has no key '{path[1]}'; set it whole with --set {prefix}.{path[0]}=...");
        var name = new YamlScalarNode(path[1]);
        var inner = map.Children.TryGetValue(name, out var found) ? found : null;
        map.Children[name] = Set(inner, existingWhere, $"{prefix}.{path[0]}", path.Skip(1).ToArray(), value, error);
        return map;
    }
}
