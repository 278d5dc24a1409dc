using System.Text.Json;
using Skald.Training.Config;

namespace Skald.Training.Evaluation;

/// <summary>Reads a BEIR folder (<c>corpus.jsonl</c>, <c>queries.jsonl</c>, <c>qrels/test.tsv</c>) into a <see cref="RetrievalEvaluator"/>.</summary>
public static class BeirReader
{
    /// <summary>Loads <paramref name="folder"/>, keeping at most <paramref name="maxQueries"/> queries (those with relevant documents).</summary>
    public static RetrievalEvaluator Load(string folder, int? maxQueries, string name = "retrieval")
    {
        string corpusPath = Path.Combine(folder, "corpus.jsonl"), queriesPath = Path.Combine(folder, "queries.jsonl");
        string qrelsPath = Path.Combine(folder, "qrels", "test.tsv");
        foreach (var f in new[] { corpusPath, queriesPath, qrelsPath })
        {
            if (!File.Exists(f)) throw new TrainingException($"{f}: not found (evaluation.retrieval needs a BEIR folder)");
        }
        var rel = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(qrelsPath);
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split('\t');
            if (f.Length < 3) throw new TrainingException($"{qrelsPath}:{i + 1}: expected query-id, corpus-id, score");
            if (!double.TryParse(f[2], System.Globalization.CultureInfo.InvariantCulture, out double s) || s <= 0) continue;
            if (!rel.TryGetValue(f[0], out var set)) rel[f[0]] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(f[1]);
        }
        var queries = ReadJsonl(queriesPath, withTitle: false).Where(q => rel.ContainsKey(q.Id)).Take(maxQueries ?? int.MaxValue).ToList();
        var corpus = ReadJsonl(corpusPath, withTitle: true);
        return new RetrievalEvaluator(queries, corpus, rel, name);
    }

    private static List<(string Id, string Text)> ReadJsonl(string path, bool withTitle)
    {
        var list = new List<(string, string)>();
        int line = 0;
        foreach (var l in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(l)) continue;
            try
            {
                using var doc = JsonDocument.Parse(l);
                var r = doc.RootElement;
                string id = r.GetProperty("_id").ToString();
                string text = r.GetProperty("text").GetString() ?? "";
                if (withTitle && r.TryGetProperty("title", out var t) && t.GetString() is { Length: > 0 } title) text = title + " " + text;
                list.Add((id, text));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new TrainingException($"{path}:{line}: expected {{\"_id\", \"text\"}} ({e.Message})");
            }
        }
        return list;
    }
}
