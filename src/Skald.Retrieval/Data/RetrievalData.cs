using Skald.Retrieval.Models;

namespace Skald.Retrieval.Data;

/// <summary>
/// A retrieval task — a BEIR folder (<see cref="Load"/>) or data held in memory (<see cref="Create"/>): corpus, queries
/// (only those judged in qrels) and graded relevance.
/// </summary>
public sealed class RetrievalData
{
    /// <summary>The fields a corpus or query row's id may be in, preferred first (BEIR's <c>_id</c>; <c>id</c> in some hub datasets).</summary>
    private static readonly string[] IdFields = ["_id", "id"];

    private RetrievalData(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<(string Id, string Text)> queries,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> qrels, int unjudgedQueries, IReadOnlyList<int[]>? candidates = null,
        bool candidatesRanked = false)
    {
        Corpus = corpus;
        Queries = queries;
        Qrels = qrels;
        UnjudgedQueries = unjudgedQueries;
        Candidates = candidates;
        CandidatesRanked = candidatesRanked;
    }

    /// <summary>
    /// A reranking task's candidates (MTEB's <c>top_ranked</c>): for each of <see cref="Queries"/>, the corpus indices
    /// the model is to order, in the file's order (empty for a query the file does not list, which then scores 0, as in
    /// MTEB); null for a plain retrieval task, where the whole corpus is searched.
    /// </summary>
    public IReadOnlyList<int[]>? Candidates { get; }

    /// <summary>
    /// Whether <see cref="Candidates"/> are a first stage's ranking, best first (a reranking file's
    /// <c>{"query", "positive", "documents"}</c> rows, <see cref="RerankingLists"/>), so that their own order can be
    /// scored as the baseline a reranker improves on (sentence-transformers' CrossEncoderRerankingEvaluator's
    /// <c>base_*</c> metrics); false for candidates in no particular order (positives then negatives, a top_ranked file).
    /// </summary>
    public bool CandidatesRanked { get; }

    /// <summary>
    /// Whether <paramref name="folder"/> is a reranking task: a retrieval folder with <c>top_ranked/SPLIT.jsonl</c> or
    /// <c>top_ranked.jsonl</c>.
    /// </summary>
    public static bool HasCandidates(string folder) =>
        Directory.Exists(System.IO.Path.Combine(folder, "top_ranked")) || File.Exists(System.IO.Path.Combine(folder, "top_ranked.jsonl"));

    /// <summary>Corpus in file order.</summary>
    public IReadOnlyList<CorpusDocument> Corpus { get; }

    /// <summary>Queries that appear in the qrels, in file order.</summary>
    public IReadOnlyList<(string Id, string Text)> Queries { get; }

    /// <summary>query id → (document id → grade). A query may have only grade-0 entries (it then scores 0).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Qrels { get; }

    /// <summary>Queries in queries.jsonl without any qrels line (not evaluated, as in MTEB).</summary>
    public int UnjudgedQueries { get; }

    /// <summary>
    /// A BEIR <c>corpus.jsonl</c> (<c>_id</c> — or <c>id</c>, as some hub datasets name it —, optional <c>title</c>,
    /// <c>text</c>); missing, empty or duplicate ids throw <see cref="EvaluationException"/>, and so does a Parquet
    /// <c>text</c> or <c>title</c> column of numbers (a numeric id is read as its digits).
    /// </summary>
    public static List<CorpusDocument> LoadCorpus(string corpusPath)
    {
        DataFiles.RequireText(corpusPath, "text", "title");
        var corpus = DataFiles.ReadJsonLines(corpusPath, (e, line) =>
            new CorpusDocument(Id(e, corpusPath, line), DataFiles.OptionalText(e, "title", corpusPath, line),
                DataFiles.Text(e, "text", corpusPath, line, allowEmpty: true)), "text");
        if (corpus.Count == 0) throw new EvaluationException($"{corpusPath}: the corpus is empty");
        var docIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in corpus)
        {
            if (!docIds.Add(d.Id)) throw new EvaluationException($"{corpusPath}: duplicate document id \"{d.Id}\"");
        }
        return corpus;
    }

    /// <summary>
    /// Loads <c>corpus.jsonl</c> (<c>_id</c>, <c>text</c>, optional <c>title</c>), <c>queries.jsonl</c> (<c>_id</c>,
    /// <c>text</c>; in both an <c>id</c> field stands in for a missing <c>_id</c>) and <c>qrels/SPLIT.tsv</c>
    /// (<c>query-id corpus-id score</c>; the header is optional; when the split file is missing and qrels/ holds exactly
    /// one .tsv, that one). Every qrels id must exist in the corpus/queries. <paramref name="limit"/> keeps a seeded random
    /// sample of N judged queries (<see cref="LimitedSample"/>), in file order. Each file may be Parquet instead, with the same columns: <c>corpus.parquet</c>,
    /// <c>queries.parquet</c>, <c>qrels/SPLIT.parquet</c> (as the hub publishes BEIR data).
    /// </summary>
    public static RetrievalData Load(string folder, string split = "test", int? limit = null)
    {
        if (!Directory.Exists(folder)) throw new EvaluationException($"{folder}: retrieval folder not found");
        string corpusPath = DataFiles.InFolder(folder, "corpus"), queriesPath = DataFiles.InFolder(folder, "queries");
        string qrelsPath = FindQrels(folder, split);
        var corpus = LoadCorpus(corpusPath);
        var docIds = corpus.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        DataFiles.RequireText(queriesPath, "text");
        var queries = DataFiles.ReadJsonLines(queriesPath, (e, line) =>
            (Id(e, queriesPath, line), DataFiles.Text(e, "text", queriesPath, line)), "text");
        var queryIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var q in queries)
        {
            if (!queryIds.Add(q.Item1)) throw new EvaluationException($"{queriesPath}: duplicate query id \"{q.Item1}\"");
        }
        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var (p0, line) in ReadQrelsLines(qrelsPath))
        {
            var p = p0;
            if (p.Length == 4) p = [p[0], p[2], p[3]]; // TREC layout: qid iter docid grade
            if (p.Length != 3) throw new EvaluationException($"{qrelsPath}:{line}: expected 3 tab-separated fields (query-id corpus-id score), found {p.Length}");
            if (!int.TryParse(p[2], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int grade))
            {
                if (!double.TryParse(p[2], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var dg) || dg != Math.Floor(dg))
                    throw new EvaluationException($"{qrelsPath}:{line}: score \"{p[2]}\" is not an integer");
                grade = (int)dg;
            }
            if (!queryIds.Contains(p[0])) throw new EvaluationException($"{qrelsPath}:{line}: query id \"{p[0]}\" is not in {queriesPath}");
            if (!docIds.Contains(p[1])) throw new EvaluationException($"{qrelsPath}:{line}: corpus id \"{p[1]}\" is not in {corpusPath}");
            if (!qrels.TryGetValue(p[0], out var judged)) qrels[p[0]] = judged = new Dictionary<string, int>(StringComparer.Ordinal);
            judged[p[1]] = grade;
        }
        if (qrels.Count == 0) throw new EvaluationException($"{qrelsPath}: no relevance judgements");
        var data = Judged(corpus, queries, id => qrels.TryGetValue(id, out var j) ? j : null, limit);
        return HasCandidates(folder) ? data.WithCandidates(FindTopRanked(folder, split), queryIds) : data;
    }

    /// <summary>
    /// This data with the candidates of <paramref name="path"/>: JSON lines <c>{"query-id": ID, "corpus-ids": [ID, ...]}</c>
    /// (MTEB v2's top_ranked columns). Every id must be in the queries (<paramref name="queryIds"/>) and the corpus;
    /// a query listed twice or a document listed twice for one query is an error naming the line.
    /// </summary>
    private RetrievalData WithCandidates(string path, HashSet<string> queryIds)
    {
        var docIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Corpus.Count; i++) docIndex[Corpus[i].Id] = i;
        var byQuery = new Dictionary<string, int[]>(StringComparer.Ordinal);
        DataFiles.ReadJsonLines(path, (e, line) =>
        {
            string qid = DataFiles.String(e, "query-id", path, line);
            if (!queryIds.Contains(qid)) throw new EvaluationException($"{path}:{line}: query id \"{qid}\" is not in the queries");
            if (!e.TryGetProperty("corpus-ids", out var ids) || ids.ValueKind != System.Text.Json.JsonValueKind.Array)
                throw new EvaluationException($"{path}:{line}: missing field \"corpus-ids\" (an array of corpus ids)");
            var seen = new HashSet<int>();
            var list = new List<int>(ids.GetArrayLength());
            foreach (var id in ids.EnumerateArray())
            {
                string? docId = id.ValueKind == System.Text.Json.JsonValueKind.String
                    ? DataFiles.TextOrNull(id) ?? throw new EvaluationException($"{path}:{line}: {DataFiles.LoneSurrogate("corpus-ids")}")
                    : null;
                if (docId is null || !docIndex.TryGetValue(docId, out int d))
                    throw new EvaluationException($"{path}:{line}: corpus id {id.GetRawText()} is not in the corpus");
                if (!seen.Add(d)) throw new EvaluationException($"{path}:{line}: corpus id \"{docId}\" is listed twice");
                list.Add(d);
            }
            if (!byQuery.TryAdd(qid, [.. list])) throw new EvaluationException($"{path}:{line}: query id \"{qid}\" is listed twice");
            return 0;
        }, "query-id", "corpus-ids");
        return new RetrievalData(Corpus, Queries, Qrels, UnjudgedQueries, [.. Queries.Select(q => byQuery.GetValueOrDefault(q.Id) ?? [])]);
    }

    private static string FindTopRanked(string folder, string split)
    {
        string single = System.IO.Path.Combine(folder, "top_ranked.jsonl"), dir = System.IO.Path.Combine(folder, "top_ranked");
        string path = System.IO.Path.Combine(dir, split + ".jsonl");
        if (File.Exists(path)) return path;
        if (File.Exists(single)) return single;
        var all = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.jsonl") : [];
        if (all.Length == 1) return all[0];
        throw new EvaluationException($"{folder}: no top_ranked/{split}.jsonl" + (all.Length > 1 ? $" among {string.Join(", ", all.Select(System.IO.Path.GetFileName))}; choose a split" : ""));
    }

    /// <summary>
    /// Retrieval data held in memory (e.g. built from training pairs), kept as <see cref="Load"/> keeps a folder: the
    /// queries that have an entry in <paramref name="qrels"/> (query id → document id → grade), in order, at most
    /// <paramref name="limit"/> (a <see cref="LimitedSample"/>). Ids must be unique and every judged id must be in the corpus and the queries.
    /// </summary>
    public static RetrievalData Create(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<(string Id, string Text)> queries,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> qrels, int? limit = null)
    {
        var docIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in corpus)
        {
            if (!docIds.Add(d.Id)) throw new ArgumentException($"duplicate document id \"{d.Id}\"", nameof(corpus));
        }
        var queryIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var q in queries)
        {
            if (!queryIds.Add(q.Id)) throw new ArgumentException($"duplicate query id \"{q.Id}\"", nameof(queries));
        }
        foreach (var (qid, judged) in qrels)
        {
            if (!queryIds.Contains(qid)) throw new ArgumentException($"judged query id \"{qid}\" is not among the queries", nameof(qrels));
            foreach (var docId in judged.Keys)
            {
                if (!docIds.Contains(docId)) throw new ArgumentException($"judged document id \"{docId}\" is not in the corpus", nameof(qrels));
            }
        }
        return Judged(corpus, queries, id => qrels.GetValueOrDefault(id), limit);
    }

    /// <summary>
    /// A reranking task held in memory: <see cref="Create"/>'s data with each kept query's candidates, the corpus
    /// indices in <paramref name="candidates"/> (query id → indices, in the order to be listed); <paramref name="ranked"/>:
    /// that order is a first stage's ranking (<see cref="CandidatesRanked"/>).
    /// </summary>
    public static RetrievalData CreateReranking(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<(string Id, string Text)> queries,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> qrels, IReadOnlyDictionary<string, int[]> candidates, int? limit = null,
        bool ranked = false)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var data = Create(corpus, queries, qrels, limit);
        foreach (var c in candidates.Values.SelectMany(c => c))
        {
            if (c < 0 || c >= corpus.Count) throw new ArgumentException($"candidate {c} is not in the corpus of {corpus.Count}", nameof(candidates));
        }
        return new RetrievalData(data.Corpus, data.Queries, data.Qrels, data.UnjudgedQueries, [.. data.Queries.Select(q => candidates.GetValueOrDefault(q.Id) ?? [])], ranked);
    }

    /// <summary>A corpus or query row's id: its <c>_id</c> field, else its <c>id</c> field; neither is one line naming the file and row.</summary>
    private static string Id(System.Text.Json.JsonElement e, string path, int line)
    {
        foreach (string field in IdFields)
        {
            if (e.TryGetProperty(field, out var v) && v.ValueKind != System.Text.Json.JsonValueKind.Null) return DataFiles.String(e, field, path, line);
        }
        throw new EvaluationException($"{path}:{line}: missing field \"_id\" (or \"id\")");
    }

    private static RetrievalData Judged(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<(string Id, string Text)> queries,
        Func<string, IReadOnlyDictionary<string, int>?> judgementsOf, int? limit)
    {
        var judgedQueries = queries.Where(q => judgementsOf(q.Id) is not null).ToList();
        int unjudged = queries.Count - judgedQueries.Count;
        judgedQueries = LimitedSample.Take(judgedQueries, limit);
        var kept = judgedQueries.ToDictionary(q => q.Id, q => judgementsOf(q.Id)!, StringComparer.Ordinal);
        return new RetrievalData(corpus, judgedQueries, kept, unjudged);
    }

    /// <summary>The split read when none is named; the only one that falls back to a task's single qrels file.</summary>
    public const string DefaultSplit = "test";

    private static string FindQrels(string folder, string split)
    {
        string dir = Path.Combine(folder, "qrels");
        string path = Path.Combine(dir, split + ".tsv");
        if (File.Exists(path)) return path;
        if (File.Exists(Path.ChangeExtension(path, ".parquet"))) return Path.ChangeExtension(path, ".parquet");
        var all = Directory.Exists(dir) ? [.. Directory.GetFiles(dir, "*.tsv"), .. Directory.GetFiles(dir, "*.parquet")] : Array.Empty<string>();
        // The default split falls back to a task's only qrels file (a task published with dev judgements alone); a
        // split asked for by name does not, so a result never says one split while it scored another.
        if (all.Length == 1 && split == DefaultSplit) return all[0];
        throw new EvaluationException(all.Length == 0
            ? $"{folder}: missing qrels (expected {path})"
            : all.Length == 1
                ? $"{folder}: no qrels/{split}.tsv; its split is {Path.GetFileNameWithoutExtension(all[0])}"
                : $"{folder}: no qrels/{split}.tsv and several others ({string.Join(", ", all.Select(Path.GetFileName))}); choose a split");
    }

    private static IEnumerable<(string[] Fields, int Number)> ReadQrelsLines(string path)
    {
        if (DataFiles.IsParquet(path))
        {
            foreach (var row in DataFiles.ReadTsv(path, "query-id", "corpus-id", "score")) yield return row;
            yield break;
        }
        int n = 0;
        foreach (var raw in TextFile.ReadLines(path))
        {
            n++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            if (n == 1 && line.StartsWith("query-id", StringComparison.Ordinal)) continue;
            yield return (line.Split('\t'), n);
        }
    }
}
