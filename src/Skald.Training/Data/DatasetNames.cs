namespace Skald.Training.Data;

/// <summary>
/// How a run names its datasets to a reader (the model card, the start line): each by the shortest end of its path that
/// no other dataset's path ends with — the file name when that alone tells them apart (<c>pairs.jsonl</c>,
/// <c>nli.jsonl</c>), more folders when not (<c>data-llm/pairs.jsonl</c>, <c>data-ict/pairs.jsonl</c>, not
/// <c>pairs.jsonl</c> twice).
/// </summary>
public static class DatasetNames
{
    /// <summary>The short name of each of <paramref name="names"/>, in order; a name given twice is shown whole.</summary>
    public static IReadOnlyList<string> Short(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var parts = names.Select(n => n.Replace('\\', '/').TrimEnd('/').Split('/')).ToList();
        var shortNames = new string[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            var own = parts[i];
            int take = 1;
            while (take < own.Length && Enumerable.Range(0, names.Count).Any(j => j != i && EndsWith(parts[j], own, take))) take++;
            shortNames[i] = take < own.Length ? string.Join('/', own[^take..]) : names[i];
        }
        return shortNames;
    }

    // Whether the last `take` segments of `path` are those of `other`.
    private static bool EndsWith(string[] path, string[] other, int take) =>
        path.Length >= take && path.AsSpan(path.Length - take).SequenceEqual(other.AsSpan(other.Length - take));
}
