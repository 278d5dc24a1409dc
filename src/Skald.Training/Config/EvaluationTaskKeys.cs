using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// <c>evaluation.tasks</c>: a task path, or a list whose entries are task paths or mappings <c>{path: TASK, teacher: DIR}</c>.
/// A teacher makes the entry an mse task (sentence-transformers' <c>MSEEvaluator</c>, which its constructor gives the
/// teacher): the teacher embeds the task's sources, the model being trained its targets.
/// </summary>
internal static class EvaluationTaskKeys
{
    /// <summary>The task paths, in order, and the teacher folder of each entry that names one (by task path).</summary>
    public static (IReadOnlyList<string> Tasks, IReadOnlyDictionary<string, string> Teachers) Read(SectionReader e, string file)
    {
        var empty = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.Node("tasks") is not YamlSequenceNode seq || !seq.Children.Any(c => c is YamlMappingNode)) return (e.PathList("tasks"), empty);
        var tasks = new List<string>();
        var teachers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in seq.Children)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } v })
            {
                tasks.Add(SectionReader.ExpandHome(v));
                continue;
            }
            if (item is not YamlMappingNode map)
                throw new TrainingException($"{file}:{item.Start.Line}: evaluation.tasks entries are task paths or mappings {{path: TASK, teacher: DIR}}");
            var r = SectionReader.FromMapping("evaluation.tasks", map, file);
            string path = r.Path("path", required: true)!;
            if (r.Path("teacher") is { } teacher) teachers[path] = teacher;
            r.Done();
            tasks.Add(path);
        }
        return (tasks, teachers);
    }
}
