using Skald.Retrieval;
using Skald.Retrieval.Data;

namespace Skald.Evaluation.Generation;

/// <summary>
/// <c>skald evaluate --type generation</c>: scores each system's predictions against the task's references with the
/// chosen metrics — <c>rougeL</c> (Unicode words; <c>rougeL_p/_r/_f</c>, and rouge_score's ASCII tokenizer as
/// <c>rougeL_rouge_score_f</c> for comparison), <c>bertscore</c> (<c>bertscore_p/_r/_f</c>, idf from the references when
/// asked) and <c>judge</c> (the judge's 1–10 score) — and averages them per task group and overall. Given human
/// preferences, each metric's pairwise accuracy: how often the system it scores higher is the one people preferred (the
/// study's meta-evaluation). Predictions come from files; generating them inside evaluate is left to <c>skald generate</c>.
/// </summary>
public sealed class GenerationEvaluator
{
    /// <summary>Metric names <see cref="Metrics"/> takes.</summary>
    public static readonly IReadOnlyList<string> KnownMetrics = ["rougeL", "bertscore", "judge"];

    /// <summary>
    /// Why <paramref name="metric"/> is none of <see cref="KnownMetrics"/> ("unknown metric 'rougel'; did you mean
    /// 'rougeL'? (known: ...)", the suggestion only for a near miss), or null when it is one.
    /// </summary>
    public static string? UnknownMetric(string metric) =>
        KnownMetrics.Contains(metric) ? null
            : $"unknown metric '{metric}'{(Typos.Closest(metric, KnownMetrics) is { } near ? $"; did you mean '{near}'?" : "")} (known: {string.Join(", ", KnownMetrics)})";

    /// <summary>The metrics to compute.</summary>
    public required IReadOnlyList<string> Metrics { get; init; }

    /// <summary>BERTScore's scorer (needed for <c>bertscore</c>).</summary>
    public BertScorer? BertScore { get; init; }

    /// <summary>The judge (needed for <c>judge</c>).</summary>
    public IAnswerJudge? Judge { get; init; }

    /// <summary>Scores <paramref name="systems"/> (name → predictions by id) on <paramref name="task"/>.</summary>
    public async Task<GenerationReport> EvaluateAsync(IReadOnlyList<GenerationRow> task, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> systems,
        IReadOnlyList<HumanPreference>? preferences = null, CancellationToken cancel = default)
    {
        if (Metrics.Contains("bertscore") && BertScore is null) throw new EvaluationException("bertscore needs a model (--bertscore-model DIR)");
        if (Metrics.Contains("judge") && Judge is null) throw new EvaluationException("judge needs an endpoint (--judge URL#MODEL)");
        if (preferences is not null) CheckPreferences(preferences, [.. systems.Keys], task); // before a judge is paid
        var report = new GenerationReport();
        foreach (var (system, predictions) in systems)
        {
            var missing = task.FirstOrDefault(r => !predictions.ContainsKey(r.Id));
            if (missing is not null) throw new EvaluationException($"{system}: no prediction for task row '{missing.Id}'");
            var rows = task.ToDictionary(r => r.Id, _ => new Dictionary<string, double>(StringComparer.Ordinal), StringComparer.Ordinal);
            if (Metrics.Contains("rougeL"))
            {
                foreach (var r in task)
                {
                    var u = RougeL.Score(r.Reference, predictions[r.Id]);
                    rows[r.Id]["rougeL_p"] = u.Precision;
                    rows[r.Id]["rougeL_r"] = u.Recall;
                    rows[r.Id]["rougeL_f"] = u.F;
                    rows[r.Id]["rougeL_rouge_score_f"] = RougeL.Score(r.Reference, predictions[r.Id], RougeTokenizer.RougeScore).F;
                }
            }
            if (Metrics.Contains("bertscore"))
            {
                var scores = BertScore!.Score([.. task.Select(r => r.Reference)], [.. task.Select(r => predictions[r.Id])]);
                for (int i = 0; i < task.Count; i++)
                {
                    rows[task[i].Id]["bertscore_p"] = scores[i].Precision;
                    rows[task[i].Id]["bertscore_r"] = scores[i].Recall;
                    rows[task[i].Id]["bertscore_f"] = scores[i].F;
                }
            }
            if (Metrics.Contains("judge"))
            {
                foreach (var r in task) rows[r.Id]["judge"] = (await Judge!.JudgeAsync(r.Prompt, r.Reference, predictions[r.Id], cancel)).Score;
            }
            report.Rows[system] = rows;
            var means = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
            var groups = task.GroupBy(r => r.Task).Select(g => (Name: g.Key, Members: g.ToList())).ToList();
            groups.Add(("overall", [.. task]));
            foreach (var (groupName, members) in groups)
                means[groupName] = rows[members[0].Id].Keys.ToDictionary(k => k, k => members.Average(r => rows[r.Id][k]), StringComparer.Ordinal);
            report.Means[system] = means;
        }
        if (preferences is { Count: > 0 }) Pairwise(report, preferences);
        return report;
    }

    /// <summary>
    /// Checks that every preference compares two of <paramref name="systems"/> on a row of <paramref name="task"/> and
    /// names a winner (<see cref="HumanPreference.Outcome"/>): a mistake is an <see cref="EvaluationException"/> naming
    /// the preference's <c>FILE:LINE</c>, found before any answer is scored.
    /// </summary>
    public static void CheckPreferences(IReadOnlyList<HumanPreference> preferences, IReadOnlyCollection<string> systems, IReadOnlyList<GenerationRow> task)
    {
        var ids = task.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var p in preferences)
        {
            p.Outcome();
            foreach (var system in (string[])[p.A, p.B])
            {
                if (!systems.Contains(system))
                    throw new EvaluationException($"{p.Location}: no predictions for system '{system}' (known: {string.Join(", ", systems)})");
            }
            if (!ids.Contains(p.Id)) throw new EvaluationException($"{p.Location}: no task row '{p.Id}'");
        }
    }

    private static void Pairwise(GenerationReport report, IReadOnlyList<HumanPreference> preferences)
    {
        var metrics = report.Rows.Values.SelectMany(s => s.Values).SelectMany(r => r.Keys)
            .Where(k => k.EndsWith("_f", StringComparison.Ordinal) || k == "judge").Distinct().ToList();
        var agree = metrics.ToDictionary(m => m, _ => 0.0);
        int compared = 0;
        foreach (var p in preferences)
        {
            int human = p.Outcome();
            if (human == 0) continue;
            var a = report.Rows[p.A][p.Id];
            var b = report.Rows[p.B][p.Id];
            compared++;
            foreach (var m in metrics)
            {
                int metric = Math.Sign(a[m] - b[m]);
                agree[m] += metric == 0 ? 0.5 : metric == human ? 1 : 0;
            }
        }
        report.PreferencesCompared = compared;
        if (compared == 0) return;
        foreach (var m in metrics) report.PairwiseAccuracy[m] = agree[m] / compared;
    }
}
