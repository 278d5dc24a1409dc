using Skald.Evaluation.Evaluators;

namespace Skald.Evaluation.Benchmark;

/// <summary>
/// Aggregates of a benchmark: per-task main scores, means per language and task type, and a Borda count: each task
/// ranks all n models (ties share the average rank) and gives each (n − rank) votes; a model without a score on a task
/// counts as last on it, sharing the bottom places with the other models that lack one, as SEB's leaderboard ranks a
/// missing result (pandas' <c>rank(na_option="bottom")</c>). MTEB's <c>_get_borda_rank</c> gives a missing result no
/// votes, the same when one model lacks it and less than last when several do. Models are ranked by total votes, ties
/// sharing the best rank ("min") — except that of two models with equal votes the one with more tasks scored ranks
/// first: a model that ran only some tasks never shares a rank with one that ran more (with two models, one winning
/// the only task both ran and the other the task the first skipped, the votes tie; the run that did the work ranks first).
/// </summary>
/// <remarks>
/// Upstream: SEB's <c>compute_avg_rank</c>, docs/update_benchmark_tables.py in KennethEnevoldsen/scandinavian-embedding-benchmark
/// at 11734d01ddec0df478c6e85e161965248deb11fd; MTEB's <c>_get_borda_rank</c>,
/// https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/benchmarks/_create_table.py.
/// </remarks>
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
        TasksScored = models.ToDictionary(m => m, m => tasks.Count(t => Defined(results, m, t.Task) is not null));
        BordaRank = RankMin(models, Borda, TasksScored);
    }

    /// <summary>The ranking rule in one sentence, for a report's readers.</summary>
    public const string RankingRule = "Ranking by Borda count: each task votes, a model without a score on it counting as last (as SEB ranks a missing result); " +
        "equal votes rank the model with more tasks scored first.";

    /// <summary>Model names, in the order given.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>Tasks with type and language.</summary>
    public IReadOnlyList<(string Task, string Type, string Language)> Tasks { get; }

    /// <summary>Results by (model, task).</summary>
    public IReadOnlyDictionary<(string Model, string Task), TaskResult> Results { get; }

    /// <summary>Borda votes per model.</summary>
    public IReadOnlyDictionary<string, double> Borda { get; }

    /// <summary>Tasks with a score per model (a task run whose score is undefined does not count).</summary>
    public IReadOnlyDictionary<string, int> TasksScored { get; }

    /// <summary>Borda rank per model (1 = best): by votes, equal votes by <see cref="TasksScored"/>.</summary>
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

    /// <summary>
    /// Languages, sorted: a bitext pair counts for each side ("da-sv"), a task over several languages for each of them
    /// ("nb,da,nn,sv"), as SEB counts a task in every language it holds (its per-language tables take each task whose
    /// languages include the language); a task in language "auto" counts for none.
    /// </summary>
    /// <remarks>
    /// Upstream: <c>get_main_score</c> in docs/update_benchmark_tables.py and <c>TaskResult.get_main_score</c> in
    /// src/seb/result_dataclasses.py, KennethEnevoldsen/scandinavian-embedding-benchmark at 11734d01ddec0df478c6e85e161965248deb11fd.
    /// SEB scores each language's part of such a task; a task here has one score (its mixed corpus), which counts for each language.
    /// </remarks>
    public IReadOnlyList<string> Languages => [.. Tasks.SelectMany(t => SplitLanguage(t.Language)).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Task types, in first-appearance order.</summary>
    public IReadOnlyList<string> Types => [.. Tasks.Select(t => t.Type).Distinct()];

    /// <summary>Whether a task counts for a language.</summary>
    public static bool HasLanguage((string Task, string Type, string Language) t, string language) => SplitLanguage(t.Language).Contains(language);

    /// <summary>
    /// Borda votes: for each task, n − (the model's average rank among all n models, those without a score sharing the
    /// last places), summed.
    /// </summary>
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
            int missing = n - present.Count; // tied last: the average of places present+1 … n
            foreach (var m in models)
                if (score(m, task) is null) votes[m] += n - (present.Count + (missing + 1) / 2.0);
        }
        return votes;
    }

    private static Dictionary<string, int> RankMin(IReadOnlyList<string> models, IReadOnlyDictionary<string, double> votes,
        IReadOnlyDictionary<string, int> scored) =>
        models.ToDictionary(m => m, m => 1 + models.Count(o => votes[o] > votes[m] || (votes[o] == votes[m] && scored[o] > scored[m])));

    /// <summary>
    /// A task's language codes: "da" → da, "da-sv" → da, sv, "nb, da,nn" → nb, da, nn (each once); "auto" (each
    /// document's own, guessed) names none.
    /// </summary>
    private static string[] SplitLanguage(string language) =>
    [
        .. language.Split(['-', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(code => code != Skald.Retrieval.Index.Bm25Fields.PerDocument).Distinct(StringComparer.Ordinal),
    ];
}
