using Skald.Evaluation.Evaluators;

namespace Skald.Evaluation.Benchmark;

/// <summary>
/// Aggregates of a benchmark: per-task main scores, means per language and task type, and MTEB's Borda count: each
/// task ranks the models that have a score on it (ties share the average rank) and gives each (n − rank) votes, n
/// being the number of models; a model without a score on a task gets no votes from it. Models are ranked by total
/// votes, ties sharing the best rank ("min"). This is MTEB's <c>_get_borda_rank</c>.
/// </summary>
/// <remarks>Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/benchmarks/_create_table.py</remarks>
public sealed class Leaderboard
{
    /// <summary>Builds the aggregates.</summary>
    public Leaderboard(IReadOnlyList<string> models, IReadOnlyList<(string Task, string Type, string Language)> tasks,
        IReadOnlyDictionary<(string Model, string Task), TaskResult> results)
    {
        Models = models;
        Tasks = tasks;
        Results = results;
        Borda = BordaCount(models, [.. tasks.Select(t => t.Task)], (m, t) => Defined(results, m, t));
        BordaRank = RankMin(models, Borda);
    }

    /// <summary>Model names, in the order given.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>Tasks with type and language.</summary>
    public IReadOnlyList<(string Task, string Type, string Language)> Tasks { get; }

    /// <summary>Results by (model, task).</summary>
    public IReadOnlyDictionary<(string Model, string Task), TaskResult> Results { get; }

    /// <summary>Borda votes per model.</summary>
    public IReadOnlyDictionary<string, double> Borda { get; }

    /// <summary>Borda rank per model (1 = best).</summary>
    public IReadOnlyDictionary<string, int> BordaRank { get; }

    /// <summary>Main score, or null when missing.</summary>
    public double? Score(string model, string task) => Defined(Results, model, task);

    /// <summary>A result's main score; null when there is none or it is undefined (NaN).</summary>
    private static double? Defined(IReadOnlyDictionary<(string Model, string Task), TaskResult> results, string model, string task) =>
        results.TryGetValue((model, task), out var r) && double.IsFinite(r.MainScore) ? r.MainScore : null;

    /// <summary>Mean main score over the model's tasks that match; null when it has none.</summary>
    public double? Mean(string model, Func<(string Task, string Type, string Language), bool> filter)
    {
        var scores = Tasks.Where(filter).Select(t => Score(model, t.Task)).Where(s => s is not null).Select(s => s!.Value).ToList();
        return scores.Count == 0 ? null : scores.Average();
    }

    /// <summary>Languages (bitext pairs count for each side), sorted.</summary>
    public IReadOnlyList<string> Languages => [.. Tasks.SelectMany(t => SplitLanguage(t.Language)).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Task types, in first-appearance order.</summary>
    public IReadOnlyList<string> Types => [.. Tasks.Select(t => t.Type).Distinct()];

    /// <summary>Whether a task counts for a language.</summary>
    public static bool HasLanguage((string Task, string Type, string Language) t, string language) => SplitLanguage(t.Language).Contains(language);

    /// <summary>Borda votes: for each task, n − (average rank among models with a score), summed.</summary>
    public static Dictionary<string, double> BordaCount(IReadOnlyList<string> models, IReadOnlyList<string> tasks, Func<string, string, double?> score)
    {
        var votes = models.ToDictionary(m => m, _ => 0.0);
        int n = models.Count;
        foreach (var task in tasks)
        {
            var present = models.Select(m => (m, s: score(m, task))).Where(p => p.s is not null).ToList();
            foreach (var (m, s) in present)
            {
                int better = present.Count(p => p.s > s), equal = present.Count(p => p.s == s);
                double rank = better + (equal + 1) / 2.0; // average rank of the tie group
                votes[m] += n - rank;
            }
        }
        return votes;
    }

    private static Dictionary<string, int> RankMin(IReadOnlyList<string> models, IReadOnlyDictionary<string, double> votes) =>
        models.ToDictionary(m => m, m => 1 + models.Count(o => votes[o] > votes[m]));

    private static string[] SplitLanguage(string language) => language.Length == 0 ? [] : language.Split('-');
}
