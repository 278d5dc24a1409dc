using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Retrieval;
using Skald.Tokenizers.Serialization;

namespace Skald.Evaluation.Benchmark;

/// <summary>The outcome of a benchmark run, written as Markdown, JSON and a self-contained HTML page.</summary>
public sealed class BenchmarkReport(Suite suite, Leaderboard board, int computed, int cached, IReadOnlyList<string> skipped)
{
    /// <summary>The suite.</summary>
    public Suite Suite { get; } = suite;

    /// <summary>Scores and aggregates.</summary>
    public Leaderboard Board { get; } = board;

    /// <summary>(model, task) results computed in this run.</summary>
    public int Computed { get; } = computed;

    /// <summary>(model, task) results taken from the cache.</summary>
    public int Cached { get; } = cached;

    /// <summary>"model / task" pairs not run (a retrieval-only model on a non-retrieval task).</summary>
    public IReadOnlyList<string> Skipped { get; } = skipped;

    /// <summary>
    /// Writes PREFIX.md, PREFIX.json and PREFIX.html (a trailing .md/.json/.html on <paramref name="output"/> is
    /// dropped); returns the three paths.
    /// </summary>
    public IReadOnlyList<string> Write(string output)
    {
        string prefix = output;
        foreach (var ext in new[] { ".md", ".json", ".html" })
        {
            if (prefix.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) prefix = prefix[..^ext.Length];
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(prefix))!;
        if (!Directory.Exists(dir)) throw new EvaluationException($"{output}: output folder {dir} does not exist");
        var paths = new[] { prefix + ".md", prefix + ".json", prefix + ".html" };
        BenchmarkRunner.WriteAtomic(paths[0], ToMarkdown());
        BenchmarkRunner.WriteAtomic(paths[1], ToJson());
        BenchmarkRunner.WriteAtomic(paths[2], HtmlReport.Render(this));
        return paths;
    }

    /// <summary>Models ordered by Borda rank (then by the order given).</summary>
    public IReadOnlyList<string> RankedModels => [.. Board.Models.OrderBy(m => Board.BordaRank[m])];

    /// <summary>
    /// "2 tasks × 3 models; 5 results computed, 1 from the cache": the run's size, each count with its noun in the
    /// number it takes (<see cref="Counted"/>), as the Markdown and HTML reports open.
    /// </summary>
    public string Counts =>
        $"{Counted.Of(Board.Tasks.Count, "task")} × {Counted.Of(Board.Models.Count, "model")}; {Counted.Of(Computed, "result")} computed, {Cached} from the cache";

    /// <summary>
    /// A model's mean over the tasks it has a score on, as the ranking's summary line gives it: "66.44", or, when it
    /// lacks a score on some, "66.44 over 1 of 2 tasks", so a mean over fewer tasks is not read against the others'.
    /// </summary>
    public string MeanOfTasksDone(string model)
    {
        string mean = Pct(Board.Mean(model, _ => true));
        int done = Board.TasksScored[model], all = Board.Tasks.Count;
        return done == all ? mean : string.Create(CultureInfo.InvariantCulture, $"{mean} over {done} of {Counted.Of(all, "task")}");
    }

    /// <summary>The Markdown report.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Benchmark: ").Append(Suite.Name).Append("\n\n");
        if (Suite.Description.Length > 0) sb.Append(Suite.Description).Append("\n\n");
        sb.Append(Counts).Append(". ")
          .Append("Scores are main scores × 100. ").Append(Leaderboard.RankingRule).Append("\n\n");
        sb.Append("## Ranking\n\n| Rank | Model | Borda votes | Mean (tasks done) | Tasks done |\n|---:|---|---:|---:|---:|\n");
        foreach (var m in RankedModels)
        {
            sb.Append($"| {Board.BordaRank[m]} | {m} | {F(Board.Borda[m], 1)} | {Pct(Board.Mean(m, _ => true))} | {Board.TasksScored[m]}/{Board.Tasks.Count} |\n");
        }
        sb.Append("\n## Per task\n\n| Task | Type | Language | Metric | ").Append(string.Join(" | ", Board.Models)).Append(" |\n|---|---|---|---|")
          .Append(string.Concat(Board.Models.Select(_ => "---:|"))).Append('\n');
        foreach (var t in Board.Tasks)
        {
            var scores = Board.Models.Select(m => Board.Score(m, t.Task)).ToList();
            double? best = scores.Max();
            string metric = Board.Models.Select(m => Board.Results.TryGetValue((m, t.Task), out var r) ? r.MainMetric : null).FirstOrDefault(x => x is not null) ?? "";
            sb.Append($"| {t.Task} | {t.Type} | {t.Language} | {metric} | ")
              .Append(string.Join(" | ", scores.Select(s => s is null ? "–" : s == best ? $"**{Pct(s)}**" : Pct(s)))).Append(" |\n");
        }
        AppendMeans(sb, "Mean per task type", Board.Types, (m, ty) => Board.Mean(m, t => t.Type == ty));
        AppendMeans(sb, "Mean per language", Board.Languages, (m, l) => Board.Mean(m, t => Leaderboard.HasLanguage(t, l)));
        if (Skipped.Count > 0) sb.Append("\nNot run (retrieval-only models): ").Append(string.Join(", ", Skipped)).Append('\n');
        // a result without a main score is a "–" as a task not run is: say which and why
        var undefined = Board.Tasks.SelectMany(t => Board.Models.Where(m => Board.Results.TryGetValue((m, t.Task), out var r) && !double.IsFinite(r.MainScore))
            .Select(m => $"{m} / {t.Task}{(Board.Results[(m, t.Task)].Metadata.TryGetValue("note", out var why) ? $" ({why})" : "")}")).ToList();
        if (undefined.Count > 0) sb.Append("\nRun, but without a score (counted as last): ").Append(string.Join(", ", undefined)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The JSON report: models with Borda votes/rank and means, tasks, and every result.</summary>
    public string ToJson()
    {
        var models = new JsonArray();
        foreach (var m in RankedModels)
        {
            var byType = new JsonObject();
            foreach (var ty in Board.Types) byType[ty] = Board.Mean(m, t => t.Type == ty);
            var byLang = new JsonObject();
            foreach (var l in Board.Languages) byLang[l] = Board.Mean(m, t => Leaderboard.HasLanguage(t, l));
            models.Add(new JsonObject
            {
                ["name"] = m,
                ["borda_rank"] = Board.BordaRank[m],
                ["borda_votes"] = Board.Borda[m],
                ["mean"] = Board.Mean(m, _ => true),
                ["tasks_done"] = Board.Tasks.Count(t => Board.Score(m, t.Task) is not null),
                ["mean_by_type"] = byType,
                ["mean_by_language"] = byLang,
            });
        }
        var tasks = new JsonArray([.. Board.Tasks.Select(t => (JsonNode)new JsonObject { ["name"] = t.Task, ["type"] = t.Type, ["language"] = t.Language })]);
        var results = new JsonArray();
        foreach (var t in Board.Tasks)
        {
            foreach (var m in Board.Models)
            {
                if (Board.Results.TryGetValue((m, t.Task), out var r)) results.Add(JsonNode.Parse(r.ToJson()));
            }
        }
        var root = new JsonObject
        {
            ["suite"] = Suite.Name,
            ["models"] = models,
            ["tasks"] = tasks,
            ["results"] = results,
            ["computed"] = Computed,
            ["cached"] = Cached,
            ["skipped"] = new JsonArray([.. Skipped.Select(s => (JsonNode)JsonValue.Create(s))]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private void AppendMeans(StringBuilder sb, string title, IReadOnlyList<string> columns, Func<string, string, double?> mean)
    {
        if (columns.Count == 0) return;
        sb.Append($"\n## {title}\n\n| Model | ").Append(string.Join(" | ", columns)).Append(" |\n|---|")
          .Append(string.Concat(columns.Select(_ => "---:|"))).Append('\n');
        foreach (var m in RankedModels) sb.Append($"| {m} | ").Append(string.Join(" | ", columns.Select(c => Pct(mean(m, c))))).Append(" |\n");
    }

    /// <summary>A score as a percentage with two decimals, "–" when missing.</summary>
    public static string Pct(double? v) => v is null ? "–" : (v.Value * 100).ToString("F2", CultureInfo.InvariantCulture);

    internal static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
