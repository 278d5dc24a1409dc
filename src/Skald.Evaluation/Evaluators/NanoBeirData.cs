using System.Text.Json;
using Skald.Evaluation.Data;
using Skald.Hub;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// One NanoBEIR dataset read as sentence-transformers reads it: documents and queries with empty text are dropped,
/// every qrels row marks a relevant document whatever its score (a <c>score</c> column need not exist), and the
/// queries evaluated are those with text and at least one judgement, in the queries' order.
/// </summary>
public sealed record NanoBeirData
{
    /// <summary>The name its metrics carry (<c>NanoMSMARCO</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The documents with text.</summary>
    public required IReadOnlyList<CorpusDocument> Corpus { get; init; }

    /// <summary>The queries evaluated: with text and judged.</summary>
    public required IReadOnlyList<(string Id, string Text)> Queries { get; init; }

    /// <summary>Each evaluated query's relevant document ids (<see cref="Queries"/>' order).</summary>
    public required IReadOnlyList<IReadOnlySet<string>> Relevant { get; init; }

    /// <summary>
    /// The language a first stage's BM25 stems it in (<see cref="CrossEncoderNanoBeirEvaluator"/>; a task's language
    /// as a suite names it); null: unstemmed.
    /// </summary>
    public string? Language { get; init; }

    /// <summary>
    /// A local retrieval task (a BEIR folder, as <c>skald evaluate --type retrieval</c> reads it: its split, at most its
    /// <see cref="TaskDefinition.Limit"/> queries) in the shape of a NanoBEIR dataset, named after the task and in its
    /// language: the queries with a document judged relevant (grade 1 up), those documents their relevant ones. A task of
    /// another kind, or a folder without a judged query, is one line naming it.
    /// </summary>
    public static NanoBeirData FromTask(TaskDefinition task, string split = RetrievalData.DefaultSplit)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.Kind is not (TaskKind.Retrieval or TaskKind.Reranking) || !Directory.Exists(task.Path))
            throw new EvaluationException($"{task.Path}: a {task.TypeName} task; a first stage's candidates are retrieved from a retrieval task's folder (corpus, queries, qrels)");
        var data = RetrievalData.Load(task.Path, split, task.Limit);
        var judged = data.Queries.Select(q => (q.Id, q.Text, Relevant: data.Qrels[q.Id].Where(j => j.Value >= 1).Select(j => j.Key).ToHashSet(StringComparer.Ordinal)))
            .Where(q => q.Relevant.Count > 0).ToList();
        if (judged.Count == 0) throw new EvaluationException($"{task.Path}: no query has a document judged relevant (grade 1 up) in split {split}");
        return new NanoBeirData
        {
            Name = task.Name, Corpus = data.Corpus, Queries = [.. judged.Select(q => (q.Id, q.Text))],
            Relevant = [.. judged.Select(q => (IReadOnlySet<string>)q.Relevant)], Language = task.Language.Length == 0 ? null : task.Language,
        };
    }

    /// <summary>Fetches <paramref name="dataset"/> through the hub cache (settings from the environment) and reads it.</summary>
    public static NanoBeirData FromHub(NanoBeirDataset dataset, IProgress<HubProgress>? progress = null)
    {
        var reference = DatasetRef.TryParse($"{dataset.HubId}:{NanoBeirDataset.Split}")!;
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        HubTaskFiles files;
        try
        {
            files = resolver.ResolveTask(reference, NanoBeirDataset.Split, progress);
        }
        catch (HubException e)
        {
            throw new EvaluationException($"NanoBEIR {dataset.ShortName}: {e.Message}");
        }
        if (!files.IsRetrieval || files.Files.Count == 0)
            throw new EvaluationException($"{dataset.HubId}: not a NanoBEIR dataset (expected corpus/, queries/ and qrels/ files of split {NanoBeirDataset.Split})");
        return Read(dataset.DisplayName, files.Corpus, files.Queries, files.Files);
    }

    /// <summary>
    /// Fetches <paramref name="dataset"/> from <paramref name="datasetId"/>, a repository in the single-repo layout of
    /// sentence-transformers' NanoBEIR sets (<c>sentence-transformers/NanoBEIR-en</c>, translated ones such as
    /// <c>lightonai/NanoBEIR-de</c>): subsets <c>corpus</c>, <c>queries</c> and <c>qrels</c>, each with one split per
    /// dataset named as its metrics are (<c>corpus/NanoMSMARCO-00000-of-00001.parquet</c>), as upstream's
    /// <c>dataset_id</c> reads it. Null <paramref name="datasetId"/>: Zeta Alpha's repository per dataset
    /// (<see cref="FromHub(NanoBeirDataset, IProgress{HubProgress}?)"/>).
    /// </summary>
    /// <remarks>Upstream: https://github.com/huggingface/sentence-transformers/blob/769cc4727dc3204da00faa8aaa4922a302737564/sentence_transformers/evaluation/NanoEvaluator.py (<c>_load_dataset</c>)</remarks>
    public static NanoBeirData FromHub(NanoBeirDataset dataset, string? datasetId, IProgress<HubProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (datasetId is null) return FromHub(dataset, progress);
        if (DatasetRef.TryParse(datasetId) is not { Split: null } reference)
            throw new EvaluationException($"NanoBEIR dataset id \"{datasetId}\" is not a hub dataset id (org/name[@revision])");
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        IReadOnlyList<string> Part(string subset)
        {
            try
            {
                return resolver.ResolveDataset(reference with { Subset = subset, Split = dataset.DisplayName }, dataset.DisplayName, progress);
            }
            catch (HubException e)
            {
                throw new EvaluationException($"NanoBEIR {dataset.ShortName} from {datasetId} (subset {subset}, split {dataset.DisplayName}): {e.Message}");
            }
        }
        var corpus = Part("corpus");
        var queries = Part("queries");
        return Read(dataset.DisplayName, corpus, queries, Part("qrels"));
    }

    /// <summary>
    /// Reads the shards of the corpus, queries and qrels (Parquet or JSON lines; <c>_id</c>/<c>text</c>,
    /// <c>query-id</c>/<c>corpus-id</c>). A qrels row's <c>corpus-id</c> is one id, as BEIR's and MTEB's qrels have it
    /// (a row per judgement), or a list of ids, each judged relevant to the row's query.
    /// </summary>
    public static NanoBeirData Read(string name, IReadOnlyList<string> corpus, IReadOnlyList<string> queries, IReadOnlyList<string> qrels)
    {
        var docs = new List<CorpusDocument>();
        foreach (string shard in corpus)
        {
            DataFiles.RequireText(shard, "text");
            docs.AddRange(DataFiles.ReadJsonLines(shard, (e, line) => new CorpusDocument(
                DataFiles.String(e, "_id", shard, line), "", DataFiles.Text(e, "text", shard, line, allowEmpty: true)), "_id", "text"));
        }
        docs.RemoveAll(d => d.Text.Length == 0);
        if (docs.Count == 0) throw new EvaluationException($"{name}: the corpus has no document with text");
        var texts = new List<(string Id, string Text)>();
        foreach (string shard in queries)
        {
            DataFiles.RequireText(shard, "text");
            texts.AddRange(DataFiles.ReadJsonLines(shard, (e, line) =>
                (DataFiles.String(e, "_id", shard, line), DataFiles.Text(e, "text", shard, line, allowEmpty: true)), "_id", "text"));
        }
        var judged = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string shard in qrels)
        {
            foreach (var (q, ids) in DataFiles.ReadJsonLines(shard, (e, line) =>
                (DataFiles.String(e, "query-id", shard, line), CorpusIds(e, shard, line)), "query-id", "corpus-id"))
            {
                if (!judged.TryGetValue(q, out var set)) judged[q] = set = new HashSet<string>(StringComparer.Ordinal);
                set.UnionWith(ids);
            }
        }
        var kept = texts.Where(q => q.Text.Length > 0 && judged.ContainsKey(q.Id)).DistinctBy(q => q.Id).ToList();
        if (kept.Count == 0) throw new EvaluationException($"{name}: no query with text has a judgement in {string.Join(", ", qrels.Select(Path.GetFileName))}");
        return new NanoBeirData { Name = name, Corpus = docs, Queries = kept, Relevant = [.. kept.Select(q => (IReadOnlySet<string>)judged[q.Id])] };
    }

    /// <summary>
    /// A qrels row's <c>corpus-id</c>: one id (a string or a number), or a non-empty list of them; anything else (a
    /// missing field, an empty list, a list holding an object, null or empty text) is one line naming the file and line.
    /// </summary>
    private static IEnumerable<string> CorpusIds(JsonElement row, string path, int line)
    {
        if (!row.TryGetProperty("corpus-id", out var v) || v.ValueKind != JsonValueKind.Array) return [DataFiles.String(row, "corpus-id", path, line)];
        if (v.GetArrayLength() == 0) throw new EvaluationException($"{path}:{line}: field \"corpus-id\" is an empty list (expected a document id or a list of them)");
        var ids = new List<string>(v.GetArrayLength());
        foreach (var id in v.EnumerateArray())
        {
            string? text = id.ValueKind switch
            {
                JsonValueKind.String => DataFiles.TextOrNull(id),
                JsonValueKind.Number => id.GetRawText(),
                _ => null,
            };
            if (string.IsNullOrWhiteSpace(text))
                throw new EvaluationException($"{path}:{line}: field \"corpus-id\" lists {id.GetRawText()}, not a document id (expected a document id or a list of them)");
            ids.Add(text);
        }
        return ids;
    }
}
