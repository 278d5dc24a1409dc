namespace Skald.Retrieval.Data;

/// <summary>Loaders for the non-retrieval formats of ../shared/data (see its README); each also reads a .parquet file with the same columns.</summary>
public static class Datasets
{
    /// <summary>STS TSV: header <c>sentence1 sentence2 score</c>.</summary>
    public static List<ScoredPair> LoadSts(string path, int? limit = null) =>
        Limit(DataFiles.ReadTsv(Texts(path, "sentence1", "sentence2"), "sentence1", "sentence2", "score")
            .Select(r => new ScoredPair(NonEmpty(r.Values[0], path, r.Line), NonEmpty(r.Values[1], path, r.Line),
                DataFiles.Number(r.Values[2], path, r.Line, "score"))), limit, path);

    /// <summary>Pair-classification TSV: header <c>sentence1 sentence2 label</c>, label 0 or 1.</summary>
    public static List<ScoredPair> LoadPairs(string path, int? limit = null) =>
        Limit(DataFiles.ReadTsv(Texts(path, "sentence1", "sentence2"), "sentence1", "sentence2", "label").Select(r =>
        {
            double label = DataFiles.Number(r.Values[2], path, r.Line, "label");
            if (label is not (0 or 1)) throw new EvaluationException($"{path}:{r.Line}: label must be 0 or 1, got {r.Values[2]}");
            return new ScoredPair(NonEmpty(r.Values[0], path, r.Line), NonEmpty(r.Values[1], path, r.Line), label);
        }), limit, path);

    /// <summary>Triplets JSONL: <c>{"anchor","positive","negative"}</c>.</summary>
    public static List<Triplet> LoadTriplets(string path, int? limit = null) =>
        Limit(DataFiles.ReadJsonLines(Texts(path, "anchor", "positive", "negative"), (e, line) => new Triplet(DataFiles.Text(e, "anchor", path, line),
            DataFiles.Text(e, "positive", path, line), DataFiles.Text(e, "negative", path, line)), "anchor", "positive", "negative"), limit, path);

    /// <summary>Bitext JSONL: <c>{"source","target"}</c>, line i translating line i.</summary>
    public static List<(string Source, string Target)> LoadBitext(string path, int? limit = null) =>
        Limit(DataFiles.ReadJsonLines(Texts(path, "source", "target"), (e, line) => (DataFiles.Text(e, "source", path, line), DataFiles.Text(e, "target", path, line)), "source", "target"), limit, path);

    /// <summary>Labelled JSONL: <c>{"text","label"}</c> (label a string or a number).</summary>
    public static List<LabelledText> LoadLabelled(string path, int? limit = null) =>
        Limit(DataFiles.ReadJsonLines(Texts(path, "text"), (e, line) => new LabelledText(DataFiles.Text(e, "text", path, line),
            DataFiles.String(e, "label", path, line)), "text", "label"), limit, path);

    /// <summary>
    /// Paraphrase-mining JSONL: <c>{"id","text","duplicates"}</c>, <c>duplicates</c> (optional) listing the ids of other
    /// rows that paraphrase this one (either row may name the pair). With <paramref name="limit"/>, the first rows and
    /// the pairs among them. An id named twice, or a duplicate naming no row or its own, is one line naming the file and line.
    /// </summary>
    public static ParaphraseSet LoadParaphrases(string path, int? limit = null)
    {
        var rows = Limit(DataFiles.ReadJsonLines(Texts(path, "text"), (e, line) => (Id: DataFiles.String(e, "id", path, line),
            Text: DataFiles.Text(e, "text", path, line), Duplicates: IdList(e, path, line), Line: line), "id", "text"), limit, path);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Count; i++)
        {
            if (!index.TryAdd(rows[i].Id, i)) throw new EvaluationException($"{path}:{rows[i].Line}: id \"{rows[i].Id}\" is used by an earlier row");
        }
        var pairs = new SortedSet<(int, int)>();
        foreach (var row in rows)
        {
            int self = index[row.Id];
            foreach (string other in row.Duplicates)
            {
                if (other == row.Id) throw new EvaluationException($"{path}:{row.Line}: field \"duplicates\" names the row's own id \"{other}\"");
                if (!index.TryGetValue(other, out int j))
                {
                    if (limit is null) throw new EvaluationException($"{path}:{row.Line}: field \"duplicates\" names \"{other}\", the id of no row");
                    continue; // a row past the limit
                }
                pairs.Add((Math.Min(self, j), Math.Max(self, j)));
            }
        }
        if (pairs.Count == 0) throw new EvaluationException($"{path}: no duplicate pairs (field \"duplicates\": the ids of a row's paraphrases)");
        return new ParaphraseSet([.. rows.Select(r => r.Text)], [.. pairs]);
    }

    private static string[] IdList(System.Text.Json.JsonElement e, string path, int line)
    {
        if (!e.TryGetProperty("duplicates", out var v) || v.ValueKind == System.Text.Json.JsonValueKind.Null) return [];
        if (v.ValueKind != System.Text.Json.JsonValueKind.Array)
            throw new EvaluationException($"{path}:{line}: field \"duplicates\" must be a list of ids");
        return [.. v.EnumerateArray().Select(x => x.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => DataFiles.TextOrNull(x)
                ?? throw new EvaluationException($"{path}:{line}: {DataFiles.LoneSurrogate("duplicates")}"),
            System.Text.Json.JsonValueKind.Number => x.GetRawText(),
            _ => throw new EvaluationException($"{path}:{line}: field \"duplicates\" must be a list of ids"),
        })];
    }

    /// <summary><paramref name="path"/>, once <see cref="DataFiles.RequireText"/> has found its <paramref name="columns"/> hold texts.</summary>
    private static string Texts(string path, params string[] columns)
    {
        DataFiles.RequireText(path, columns);
        return path;
    }

    private static List<T> Limit<T>(IEnumerable<T> items, int? limit, string path)
    {
        var list = limit is int n ? items.Take(n).ToList() : items.ToList();
        if (list.Count == 0) throw new EvaluationException($"{path}: no data rows");
        return list;
    }

    private static string NonEmpty(string s, string path, int line) =>
        string.IsNullOrWhiteSpace(s) ? throw new EvaluationException($"{path}:{line}: empty sentence") : s;
}
