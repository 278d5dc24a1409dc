using System.Text.Json;
using Skald.Retrieval;
using Skald.Retrieval.Data;

namespace Skald.Evaluation.Generation;

/// <summary>
/// Reads the JSONL files of <c>skald evaluate --type generation</c>: task rows (<see cref="GenerationRow"/>), predictions
/// (<c>{"id", "text"}</c>) and human preferences (<see cref="HumanPreference"/>). A bad row is an
/// <see cref="EvaluationException"/> naming the file and line.
/// </summary>
public static class GenerationFiles
{
    /// <summary>The task rows of <paramref name="path"/> (at least one; each id once).</summary>
    public static IReadOnlyList<GenerationRow> ReadTask(string path)
    {
        var rows = new List<GenerationRow>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in Rows(path, "id", "prompt", "reference"))
        {
            if (!ids.Add(r.Values[0])) throw new EvaluationException($"{path}:{r.Line}: id '{r.Values[0]}' appears twice");
            rows.Add(new GenerationRow(r.Values[0], r.Values[1], r.Values[2], r.Optional.GetValueOrDefault("task") ?? "all"));
        }
        return rows.Count > 0 ? rows : throw new EvaluationException($"{path}: the file is empty (no task rows)");
    }

    /// <summary>Prediction text by row id.</summary>
    public static IReadOnlyDictionary<string, string> ReadPredictions(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in Rows(path, "id", "text"))
        {
            if (!result.TryAdd(r.Values[0], r.Values[1])) throw new EvaluationException($"{path}:{r.Line}: id '{r.Values[0]}' appears twice");
        }
        return result;
    }

    /// <summary>
    /// The human preferences of <paramref name="path"/>, each knowing its <c>FILE:LINE</c>; a winner that is none of
    /// <c>a</c>, <c>b</c>, <c>tie</c> and the two systems' names (a typo would count as a tie), or a row comparing a
    /// system with itself, is an error naming the line.
    /// </summary>
    public static IReadOnlyList<HumanPreference> ReadPreferences(string path)
    {
        var preferences = new List<HumanPreference>();
        foreach (var r in Rows(path, "id", "a", "b", "winner"))
        {
            var preference = new HumanPreference(r.Values[0], r.Values[1], r.Values[2], r.Values[3], $"{path}:{r.Line}");
            preference.Outcome();
            preferences.Add(preference);
        }
        return preferences;
    }

    private static IEnumerable<(int Line, string[] Values, Dictionary<string, string> Optional)> Rows(string path, params string[] keys)
    {
        if (Directory.Exists(path)) throw new EvaluationException($"{path}: is a folder, expected a file");
        List<string> lines;
        try
        {
            lines = [.. TextFile.ReadLines(path)]; // strictly UTF-8: a bad byte is not read as U+FFFD into an id or a reference
        }
        catch (TextFileException e)
        {
            throw new EvaluationException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EvaluationException($"{path}: cannot read the file ({e.Message})");
        }
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new EvaluationException($"{path}:{i + 1}: invalid JSON ({e.Message.Split(" Path:")[0]})");
            }
            if (root.ValueKind != JsonValueKind.Object) throw new EvaluationException($"{path}:{i + 1}: expected a JSON object");
            var values = new string[keys.Length];
            for (int k = 0; k < keys.Length; k++)
            {
                if (!root.TryGetProperty(keys[k], out var v) || v.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                    throw new EvaluationException($"{path}:{i + 1}: missing '{keys[k]}' (rows need {string.Join(", ", keys)})");
                values[k] = v.ValueKind == JsonValueKind.Number ? v.GetRawText()
                    : DataFiles.TextOrNull(v) ?? throw new EvaluationException($"{path}:{i + 1}: {DataFiles.LoneSurrogate(keys[k])}");
            }
            var optional = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String && !keys.Contains(p.Name)))
                optional[p.Name] = DataFiles.TextOrNull(p.Value) ?? throw new EvaluationException($"{path}:{i + 1}: {DataFiles.LoneSurrogate(p.Name)}");
            yield return (i + 1, values, optional);
        }
    }
}
