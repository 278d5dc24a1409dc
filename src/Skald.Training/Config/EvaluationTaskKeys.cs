using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// <c>evaluation.tasks</c>: a task path, or a list whose entries are task paths or mappings
/// <c>{path: TASK, teacher: DIR, truncate_dim: N, add_transitive_closure: true, margin: M, at_k: K, always_rerank_positives: false, rerank_k: K}</c> (<see cref="EvaluationTaskEntry"/>).
/// A teacher makes the entry an mse task (sentence-transformers' <c>MSEEvaluator</c>, which its constructor gives the
/// teacher): the teacher embeds the task's sources, the model being trained its targets; <c>truncate_dim</c> cuts both,
/// so it goes with a teacher.
/// </summary>
internal static class EvaluationTaskKeys
{
    /// <summary>
    /// The task paths, in order, and the options of each entry given as a mapping (by task path); <c>at_k</c>,
    /// <c>always_rerank_positives</c> and <c>rerank_k</c> only under a cross-encoder loss (<paramref name="crossEncoder"/>), and <c>teacher</c>,
    /// <c>margin</c> and <c>add_transitive_closure</c>, which its reranking tasks would leave unread, only under another.
    /// </summary>
    public static (IReadOnlyList<string> Tasks, IReadOnlyDictionary<string, EvaluationTaskEntry> Entries) Read(SectionReader e, string file, bool crossEncoder)
    {
        var empty = new Dictionary<string, EvaluationTaskEntry>(StringComparer.Ordinal);
        if (e.Node("tasks") is not YamlSequenceNode seq || !seq.Children.Any(c => c is YamlMappingNode)) return (e.PathList("tasks"), empty);
        var tasks = new List<string>();
        var entries = new Dictionary<string, EvaluationTaskEntry>(StringComparer.Ordinal);
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
            var entry = new EvaluationTaskEntry
            {
                Teacher = r.Path("teacher"),
                AddTransitiveClosure = r.Bool("add_transitive_closure", false),
                TruncateDim = r.IntOrNull("truncate_dim", 1),
                Margin = r.Double("margin", 0, double.MinValue),
                AtK = r.IntOrNull("at_k", 1),
                AlwaysRerankPositives = r.Str("always_rerank_positives") is null ? null : r.Bool("always_rerank_positives", true),
                RerankK = r.IntOrNull("rerank_k", 1),
            };
            if ((entry.AtK is not null ? "at_k" : entry.AlwaysRerankPositives is not null ? "always_rerank_positives" : entry.RerankK is not null ? "rerank_k" : null) is { } reranking
                && !crossEncoder)
                throw new TrainingException($"{r.Where(reranking)}: {reranking} " +
                    "is a cross-encoder's reranking task's (CrossEncoderRerankingEvaluator); an embedding model's task reports its own cut-offs");
            if (crossEncoder && (entry.Teacher is not null ? "teacher" : entry.Margin != 0 ? "margin" : entry.AddTransitiveClosure ? "add_transitive_closure" : null) is { } unread)
                throw new TrainingException($"{r.Where(unread)}: {unread} is an embedding model's task's; under a cross-encoder loss a task is a reranking " +
                    "task the cross-encoder scores (CrossEncoderRerankingEvaluator: path, at_k, always_rerank_positives, rerank_k)");
            if (entry.TruncateDim is not null && entry.Teacher is null)
                throw new TrainingException($"{r.Where("truncate_dim")}: truncate_dim cuts an mse task's teacher and model embeddings; give the entry's teacher too");
            r.Done();
            entries[path] = entry;
            tasks.Add(path);
        }
        return (tasks, entries);
    }
}
