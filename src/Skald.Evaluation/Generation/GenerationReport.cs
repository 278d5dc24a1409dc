using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Evaluation.Generation;

/// <summary>
/// What <see cref="GenerationEvaluator"/> found: per system, the mean of every metric per task group and overall
/// (<c>all</c>), the per-row scores, and, with human preferences, each metric's pairwise accuracy.
/// </summary>
public sealed class GenerationReport
{
    /// <summary>System → task group (and <c>overall</c>) → metric → mean.</summary>
    public Dictionary<string, Dictionary<string, Dictionary<string, double>>> Means { get; } = new(StringComparer.Ordinal);

    /// <summary>System → row id → metric → score.</summary>
    public Dictionary<string, Dictionary<string, Dictionary<string, double>>> Rows { get; } = new(StringComparer.Ordinal);

    /// <summary>Metric → share of human preferences (ties left out) the metric agrees with (a metric tie counts ½).</summary>
    public Dictionary<string, double> PairwiseAccuracy { get; } = new(StringComparer.Ordinal);

    /// <summary>Human preferences compared (ties left out).</summary>
    public int PreferencesCompared { get; set; }

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => new JsonObject
    {
        ["means"] = JsonSerializer.SerializeToNode(Means),
        ["pairwise_accuracy"] = JsonSerializer.SerializeToNode(PairwiseAccuracy),
        ["preferences_compared"] = PreferencesCompared,
        ["rows"] = JsonSerializer.SerializeToNode(Rows),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>A Markdown table per system (task groups as rows, metrics as columns) and the pairwise accuracies.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        foreach (var (system, groups) in Means)
        {
            var metrics = groups.Values.SelectMany(m => m.Keys).Distinct().ToList();
            sb.AppendLine($"### {system}").AppendLine($"| task | {string.Join(" | ", metrics)} |")
                .AppendLine($"|---|{string.Concat(metrics.Select(_ => "---|"))}");
            foreach (var (task, m) in groups)
                sb.AppendLine($"| {task} | {string.Join(" | ", metrics.Select(k => m.TryGetValue(k, out double v) ? v.ToString("F4", CultureInfo.InvariantCulture) : ""))} |");
        }
        if (PreferencesCompared > 0)
        {
            sb.AppendLine($"### pairwise accuracy against {PreferencesCompared} human preferences");
            foreach (var (metric, acc) in PairwiseAccuracy) sb.AppendLine($"- {metric}: {acc.ToString("F4", CultureInfo.InvariantCulture)}");
        }
        return sb.ToString();
    }
}
