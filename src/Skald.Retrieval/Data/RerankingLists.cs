using System.Globalization;
using System.Text.Json;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Data;

/// <summary>
/// A reranking task in one file (JSONL or Parquet), one query per row with the documents to order:
/// MTEB v1's reranking rows and sentence-transformers' CrossEncoderRerankingEvaluator samples,
/// <c>{"query": "...", "positive": ["..."], "negative": ["..."]}</c> (positives grade 1, negatives 0), the same
/// evaluator's ranked form, a first stage's documents best first with the positives among them or not,
/// <c>{"query": "...", "positive": ["..."], "documents": ["..."]}</c> (the documents are the candidates, in their order,
/// <see cref="RetrievalData.CandidatesRanked"/>; a positive they lack is judged but not a candidate; a lone positive may
/// be a string in either form, as upstream's), or
/// sentence-transformers' listwise rows as <c>mine_hard_negatives(output_format="labeled-list")</c> writes them, one text
/// field, one list of texts and a label list of the same length, <c>{"query": "...", "docs": [...], "labels": [1, 0]}</c>
/// (whole non-negative labels are grades, as in qrels; other labels, e.g. a teacher's scores, count as relevant (1) from
/// 0.5 up). A document listed twice for a row is one candidate with the higher grade; a row with no relevant document
/// is left out, as MTEB leaves out a sample without positives. Queries are numbered by row (<c>q1</c>, …), documents
/// by their text across the file.
/// </summary>
public static class RerankingLists
{
    private static readonly string[] LabelNames = ["labels", "label", "scores", "score"];

    /// <summary>Whether a task file's first row (<paramref name="first"/>) is such a row: it holds a list of texts.</summary>
    public static bool IsListRow(JsonElement first) =>
        first.ValueKind == JsonValueKind.Object && first.EnumerateObject().Any(p => IsTextList(p.Value));

    /// <summary>Whether the Parquet file at <paramref name="path"/> has a column of lists of texts.</summary>
    public static bool HasTextLists(string path) => ParquetTableReader.TextListColumns(path).Count > 0;

    /// <summary>The reranking task in <paramref name="path"/>: its rows' queries, their candidates and grades (at most <paramref name="limit"/> queries).</summary>
    public static RetrievalData Load(string path, int? limit = null)
    {
        if (!File.Exists(path)) throw new EvaluationException(DataFiles.NotAFile(path));
        var numeric = NumericColumns(path);
        var rows = DataFiles.ReadJsonLines(path, (e, line) => Row(e, path, line, numeric));
        var corpus = new List<CorpusDocument>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var queries = new List<(string Id, string Text)>();
        var qrels = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        var candidates = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var (line, query, documents, listed, _) in rows)
        {
            if (!documents.Any(d => d.Grade > 0)) continue;
            string qid = "q" + line.ToString(CultureInfo.InvariantCulture);
            var grades = new Dictionary<string, int>(StringComparer.Ordinal);
            var order = new List<int>();
            for (int j = 0; j < documents.Count; j++)
            {
                var (text, grade) = documents[j];
                if (!ids.TryGetValue(text, out var id))
                {
                    ids[text] = id = "d" + corpus.Count.ToString(CultureInfo.InvariantCulture);
                    corpus.Add(new CorpusDocument(id, "", text));
                }
                if (grades.TryGetValue(id, out int had)) grades[id] = Math.Max(had, grade);
                else
                {
                    grades[id] = grade;
                    if (j < listed) order.Add(int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture));
                }
            }
            queries.Add((qid, query));
            qrels[qid] = grades;
            candidates[qid] = [.. order];
        }
        if (queries.Count == 0) throw new EvaluationException($"{path}: no row has a relevant document");
        return RetrievalData.CreateReranking(corpus, queries, qrels, candidates, limit, ranked: rows.All(r => r.Ranked));
    }

    /// <summary>
    /// The columns of a Parquet task file that hold no text (numbers: an id, a score), which its rows give as strings
    /// but which are not the query, as a JSON number is not; when no column is left to be the query and one of them would
    /// be it (<c>query</c>, else the first that is not a label), one line naming the file, the column and its type.
    /// Nothing for a JSONL file.
    /// </summary>
    private static HashSet<string> NumericColumns(string path)
    {
        if (!DataFiles.IsParquet(path)) return [];
        var nonText = ParquetTableReader.NonTextColumns(path);
        var lists = ParquetTableReader.TextListColumns(path);
        var scalars = ParquetTableReader.Columns(path).Where(c => !lists.Contains(c) && !LabelNames.Contains(c)).ToList();
        if (scalars.Count > 0 && scalars.All(nonText.ContainsKey))
        {
            string query = scalars.Contains("query") ? "query" : scalars[0];
            throw new EvaluationException(DataFiles.NotText(path, query, nonText[query]));
        }
        return [.. nonText.Keys];
    }

    /// <summary>
    /// One row: its query and judged documents, of which the first <c>Listed</c> are its candidates (all but a
    /// <c>documents</c> row's positives it lacks), and whether they are a first stage's ranking (<c>Ranked</c>).
    /// </summary>
    private static (int Line, string Query, List<(string Text, int Grade)> Documents, int Listed, bool Ranked) Row(JsonElement e, string path, int line, HashSet<string> numeric)
    {
        var pos = Property(e, "positive");
        var neg = Property(e, "negative");
        var ranked = Property(e, "documents");
        if (!IsTextList(neg)) neg = default;
        if (!IsTextList(ranked)) ranked = default;
        bool pairedLists = (IsTextList(pos) || pos.ValueKind == JsonValueKind.String) && (neg.ValueKind != JsonValueKind.Undefined || ranked.ValueKind != JsonValueKind.Undefined);
        var texts = e.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String && !LabelNames.Contains(p.Name) && !numeric.Contains(p.Name)
            && !(pairedLists && p.Name == "positive")).ToList();
        var lists = e.EnumerateObject().Where(p => IsTextList(p.Value)).ToList();
        if (texts.Count != 1)
            throw new EvaluationException($"{path}:{line}: a reranking row needs one text field, the query (found {texts.Count}: {string.Join(", ", texts.Select(t => t.Name))})");
        string query = Text(texts[0].Value, texts[0].Name, path, line);
        var documents = new List<(string Text, int Grade)>();
        if (pairedLists)
        {
            if (neg.ValueKind != JsonValueKind.Undefined && ranked.ValueKind != JsonValueKind.Undefined)
                throw new EvaluationException($"{path}:{line}: a reranking row gives \"negative\" or \"documents\" beside \"positive\", not both");
            var positives = pos.ValueKind == JsonValueKind.String ? [Text(pos, "positive", path, line)]
                : pos.EnumerateArray().Select(d => Text(d, "positive", path, line)).ToList();
            if (ranked.ValueKind == JsonValueKind.Undefined)
            {
                documents.AddRange(positives.Select(p => (p, 1)));
                foreach (var d in neg.EnumerateArray()) documents.Add((Text(d, "negative", path, line), 0));
                return (line, query, documents, documents.Count, false);
            }
            var relevant = positives.ToHashSet(StringComparer.Ordinal);
            foreach (var d in ranked.EnumerateArray())
            {
                string text = Text(d, "documents", path, line);
                documents.Add((text, relevant.Contains(text) ? 1 : 0));
            }
            int listed = documents.Count;
            documents.AddRange(positives.Select(p => (p, 1))); // (those listed already are the same candidate)
            return (line, query, documents, listed, true);
        }
        if (lists.Count != 1)
            throw new EvaluationException($"{path}:{line}: a reranking row needs \"positive\" and \"negative\" lists, or one list of documents with a label list (found lists {string.Join(", ", lists.Select(l => l.Name))})");
        var labels = LabelNames.Select(n => e.TryGetProperty(n, out var v) ? Numbers(v) : default).FirstOrDefault(v => v.ValueKind == JsonValueKind.Array);
        var docs = lists[0].Value;
        if (labels.ValueKind != JsonValueKind.Array || labels.GetArrayLength() != docs.GetArrayLength()
            || labels.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !double.IsFinite(x.GetDouble())))
            throw new EvaluationException($"{path}:{line}: the {docs.GetArrayLength()} documents of \"{lists[0].Name}\" need a \"labels\" list of as many numbers");
        var values = labels.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        bool grades = values.All(v => v >= 0 && v == Math.Floor(v));
        int j = 0;
        foreach (var d in docs.EnumerateArray())
        {
            double y = values[j++];
            documents.Add((Text(d, lists[0].Name, path, line), grades ? (int)y : y >= 0.5 ? 1 : 0));
        }
        return (line, query, documents, documents.Count, false);
    }

    /// <summary>The field <paramref name="name"/> of <paramref name="e"/>; an undefined element when it has none.</summary>
    private static JsonElement Property(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v : default;

    /// <summary>A label list: a JSON array, or (a Parquet list of numbers, read as text) a string holding one.</summary>
    private static JsonElement Numbers(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.String || DataFiles.TextOrNull(v) is not { } s || !s.StartsWith('[')) return v; // (a lone surrogate: no list)
        try
        {
            using var doc = JsonDocument.Parse(s);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return v;
        }
    }

    private static bool IsTextList(JsonElement v) =>
        v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String);

    private static string Text(JsonElement v, string field, string path, int line)
    {
        string? text = DataFiles.TextOrNull(v) ?? throw new EvaluationException($"{path}:{line}: {DataFiles.LoneSurrogate(field)}");
        if (string.IsNullOrWhiteSpace(text)) throw new EvaluationException($"{path}:{line}: an empty text in \"{field}\"");
        return text;
    }
}
