using System.Text.Json;
using Skald.Evaluation.Data;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Evaluation.Benchmark;

/// <summary>
/// A benchmark suite: a JSON file
/// <c>{"name": "...", "description": "...", "data_root": "../data", "tasks": [{"name", "type", "path", "language"}]}</c>.
/// Task paths are relative to the data root: the <c>--data</c> folder when given, else <c>data_root</c> (relative to
/// the suite file), else the suite file's folder. Instead of <c>path</c>, <c>"dataset": "org/name[@rev][:split]"</c> names a
/// hub dataset repository (<see cref="HubTask"/>; default split test). <c>name</c> defaults to the path's file name; <c>type</c> is inferred
/// from the layout when missing. A paraphrase-mining task may ask for <c>"add_transitive_closure": true</c>
/// (<see cref="TaskDefinition.AddTransitiveClosure"/>, sentence-transformers' <c>add_transitive_closure</c>).
/// </summary>
public sealed record Suite
{
    /// <summary>Suite name.</summary>
    public required string Name { get; init; }

    /// <summary>What the suite measures.</summary>
    public string Description { get; init; } = "";

    /// <summary>Tasks with resolved paths.</summary>
    public required IReadOnlyList<TaskDefinition> Tasks { get; init; }

    /// <summary>The keys of a suite file.</summary>
    private static readonly string[] RootKeys = ["name", "description", "data_root", "tasks"];

    /// <summary>The keys of a suite's task.</summary>
    private static readonly string[] TaskKeys = ["name", "type", "path", "dataset", "language", "add_transitive_closure"];

    /// <summary>Reads a suite file; <paramref name="dataRoot"/> overrides its data root; an unknown key is an error naming it.</summary>
    public static Suite Load(string path, string? dataRoot = null, int? limit = null)
    {
        if (Directory.Exists(path)) throw new EvaluationException($"{path}: is a folder, expected a suite file (.json)");
        if (!File.Exists(path)) throw new EvaluationException($"{path}: suite file not found");
        using (var doc = JsonFile.Read(path, m => new EvaluationException(m), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }))
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new EvaluationException($"{path}: the suite must be a JSON object with a \"tasks\" array");
            // A key the suite format does not have (a typo such as "tpye" left the type to be guessed) is refused.
            void Known(JsonElement obj, string[] keys, string where)
            {
                foreach (var p in obj.EnumerateObject())
                {
                    if (!keys.Contains(p.Name, StringComparer.Ordinal))
                    {
                        string suggestion = Typos.Closest(p.Name, keys) is { } s ? $"; did you mean \"{s}\"?" : "";
                        throw new EvaluationException($"{path}: {where}has an unknown key \"{p.Name}\"{suggestion} (keys: {string.Join(", ", keys)})");
                    }
                }
            }
            // A string member, or null when absent; another JSON type is refused with the key named.
            string? Text(JsonElement obj, string key, string where) =>
                !obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null ? null
                : v.ValueKind == JsonValueKind.String ? DataFiles.TextOrNull(v) ?? throw new EvaluationException($"{path}: {where}{DataFiles.LoneSurrogate(key)}")
                : throw new EvaluationException($"{path}: {where}\"{key}\" must be a string, not {v.ValueKind.ToString().ToLowerInvariant()}");
            Known(root, RootKeys, "");
            string suiteDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            string data = dataRoot is not null ? Path.GetFullPath(dataRoot)
                : Text(root, "data_root", "") is { } dr ? Path.GetFullPath(Path.Combine(suiteDir, dr))
                : suiteDir;
            if (!root.TryGetProperty("tasks", out var tasks) || tasks.ValueKind != JsonValueKind.Array || tasks.GetArrayLength() == 0)
                throw new EvaluationException($"{path}: needs a non-empty \"tasks\" array");
            string? suiteName = Text(root, "name", ""), description = Text(root, "description", "");
            var list = new List<TaskDefinition>();
            int i = 0;
            foreach (var t in tasks.EnumerateArray())
            {
                i++;
                if (t.ValueKind != JsonValueKind.Object) throw new EvaluationException($"{path}: task {i} must be a JSON object, not {t.ValueKind.ToString().ToLowerInvariant()}");
                string where = $"task {i} ";
                Known(t, TaskKeys, where);
                string? rel = Text(t, "path", where);
                string? hub = Text(t, "dataset", where);
                string? name = Text(t, "name", where);
                string? lang = Text(t, "language", where);
                string? type = Text(t, "type", where);
                TaskKind? kind;
                try
                {
                    kind = type is null ? null : TaskDefinition.ParseKind(type);
                }
                catch (EvaluationException e)
                {
                    throw new EvaluationException($"{path}: task {i} \"type\": {e.Message}");
                }
                if (string.IsNullOrEmpty(rel) && string.IsNullOrEmpty(hub)) throw new EvaluationException($"{path}: task {i} has no \"path\" (or \"dataset\")");
                string full = string.IsNullOrEmpty(hub) ? Path.GetFullPath(Path.Combine(data, rel!))
                    : HubTask.Resolve(Skald.Hub.DatasetRef.TryParse(hub) ?? throw new EvaluationException($"{path}: task {i} dataset \"{hub}\" is not a hub id org/name[@rev][:[subset/]split]"), "test");
                if (!File.Exists(full) && !Directory.Exists(full))
                    throw new EvaluationException($"{path}: task {i} path {full} not found (data root {data}; pass --data)");
                var definition = TaskDefinition.FromPath(full, kind, name, lang, limit);
                if (t.TryGetProperty("add_transitive_closure", out var closure) && closure.ValueKind != JsonValueKind.Null)
                {
                    if (closure.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        throw new EvaluationException($"{path}: task {i} \"add_transitive_closure\" must be true or false, not {closure.ValueKind.ToString().ToLowerInvariant()}");
                    if (definition.Kind != TaskKind.ParaphraseMining)
                        throw new EvaluationException($"{path}: task {i} \"add_transitive_closure\" applies to paraphrase-mining tasks; this one is {definition.TypeName}");
                    definition = definition with { AddTransitiveClosure = closure.GetBoolean() };
                }
                list.Add(definition);
            }
            var dup = list.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw new EvaluationException($"{path}: two tasks are named \"{dup.Key}\"");
            return new Suite
            {
                Name = suiteName ?? Path.GetFileNameWithoutExtension(path),
                Description = description ?? "",
                Tasks = list,
            };
        }
    }
}
