using System.Globalization;
using System.Text;
using System.Text.Json;
using Skald.Training.Evaluation;

namespace Skald.Training.Output;

/// <summary>
/// A model card's <c>model-index</c> (the hub's evaluation results), as sentence-transformers' model card writes it
/// (model_card.py's format_eval_metrics + huggingface_hub's eval_results_to_model_index): one result per evaluator that
/// names its task (<see cref="IEvaluator.Task"/>), with task type = the task in lower case with dashes, dataset name and
/// type from the evaluator's name, and one metric per final value (type = the key without <c>eval_{name}_</c>, name =
/// that key title-cased with spaces). Strings are written as JSON strings (valid YAML whatever they hold).
/// </summary>
internal static class ModelIndex
{
    /// <summary>The <c>model-index:</c> block (ending in a newline), or null when no evaluator has a task and a finite value.</summary>
    public static string? Yaml(string modelName, IEnumerable<IEvaluator> evaluators, IReadOnlyDictionary<string, double> finalMetrics)
    {
        var results = new StringBuilder();
        foreach (var e in evaluators)
        {
            if (e.Task is not { } task) continue;
            string prefix = $"eval_{e.Name}_";
            var metrics = e.MetricNames.Concat(e.SparsityMetricNames) // a sparse encoder's after the others, as upstream's card lists them
                .Where(k => finalMetrics.TryGetValue(k, out double v) && double.IsFinite(v)).ToList();
            if (metrics.Count == 0) continue;
            results.Append("  - task:\n")
                .Append("      type: ").Append(Quote(task.ToLowerInvariant().Replace(' ', '-'))).Append('\n')
                .Append("      name: ").Append(Quote(task)).Append('\n')
                .Append("    dataset:\n")
                .Append("      name: ").Append(Quote(e.Name.Replace('_', ' ').Replace('-', ' '))).Append('\n')
                .Append("      type: ").Append(Quote(e.Name)).Append('\n')
                .Append("    metrics:\n");
            foreach (string key in metrics)
            {
                string type = key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
                results.Append("    - type: ").Append(Quote(type)).Append('\n')
                    .Append("      value: ").Append(finalMetrics[key].ToString("R", CultureInfo.InvariantCulture)).Append('\n')
                    .Append("      name: ").Append(Quote(Title(type.Replace('_', ' ')))).Append('\n');
            }
        }
        if (results.Length == 0) return null;
        return $"model-index:\n- name: {Quote(modelName)}\n  results:\n{results}";
    }

    /// <summary>Python's str.title(): a letter after a non-letter is upper case, after a letter lower case ("hit rate@10" → "Hit Rate@10").</summary>
    public static string Title(string text)
    {
        var chars = text.ToCharArray();
        bool afterLetter = false;
        for (int i = 0; i < chars.Length; i++)
        {
            bool letter = char.IsLetter(chars[i]);
            if (letter) chars[i] = afterLetter ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
            afterLetter = letter;
        }
        return new string(chars);
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}
