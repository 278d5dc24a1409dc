using System.Text.Json;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Evaluation.Data;

/// <summary>One task: what to evaluate and where its data lives.</summary>
public sealed record TaskDefinition
{
    /// <summary>Task name in results (default: the folder or file name without extension).</summary>
    public required string Name { get; init; }

    /// <summary>Task type.</summary>
    public required TaskKind Kind { get; init; }

    /// <summary>Folder or file of the data.</summary>
    public required string Path { get; init; }

    /// <summary>Language code(s), e.g. "da", "nb", or "da-sv" for bitext; "" when unknown.</summary>
    public string Language { get; init; } = "";

    /// <summary>Evaluate at most this many queries/pairs/items (quick runs; a labelled or scored task keeps a <see cref="LimitedSample"/>); null = all.</summary>
    public int? Limit { get; init; }

    /// <summary>
    /// A paraphrase-mining task only: every two texts joined by a chain of known duplicates count as duplicates too
    /// (sentence-transformers' <c>add_transitive_closure</c>; <c>skald evaluate --add-transitive-closure</c>).
    /// </summary>
    public bool AddTransitiveClosure { get; init; }

    /// <summary>
    /// A triplets task only: a triplet counts as right when sim(anchor, positive) exceeds sim(anchor, negative) by more
    /// than this (sentence-transformers' TripletEvaluator <c>margin</c>, one for every similarity; 0 by default).
    /// </summary>
    public double Margin { get; init; }

    /// <summary>The lowercase type name used in results ("retrieval", "sts", ..., "paraphrase-mining").</summary>
    public string TypeName => Kind == TaskKind.ParaphraseMining ? "paraphrase-mining" : Kind.ToString().ToLowerInvariant();

    /// <summary>
    /// The task type as MTEB spells it, the key a model's task-type prompts use (<c>Retrieval</c>, <c>Reranking</c>,
    /// <c>STS</c>, <c>PairClassification</c>, <c>Classification</c>, <c>Clustering</c>, <c>BitextMining</c>); null for
    /// triplets, which MTEB has no type for.
    /// </summary>
    public string? MtebTypeName => Kind switch
    {
        TaskKind.Retrieval => "Retrieval",
        TaskKind.Reranking => "Reranking",
        TaskKind.Sts => "STS",
        TaskKind.Pairs => "PairClassification",
        TaskKind.Classification => "Classification",
        TaskKind.Clustering => "Clustering",
        TaskKind.Bitext => "BitextMining",
        _ => null,
    };

    /// <summary>Parses a type name.</summary>
    public static TaskKind ParseKind(string name) => name.ToLowerInvariant() switch
    {
        "retrieval" => TaskKind.Retrieval,
        "sts" => TaskKind.Sts,
        "pairs" or "pair-classification" or "pairclassification" => TaskKind.Pairs,
        "triplets" => TaskKind.Triplets,
        "classification" => TaskKind.Classification,
        "clustering" => TaskKind.Clustering,
        "bitext" or "bitext-mining" or "bitextmining" => TaskKind.Bitext,
        "reranking" => TaskKind.Reranking,
        "mse" => TaskKind.Mse,
        "paraphrase-mining" or "paraphrasemining" or "paraphrases" => TaskKind.ParaphraseMining,
        _ => throw new EvaluationException($"unknown task type \"{name}\" (retrieval, reranking, sts, pairs, triplets, classification, clustering, bitext, mse, paraphrase-mining)"),
    };

    /// <summary>A task for a path, inferring the type from the layout when <paramref name="kind"/> is null.</summary>
    public static TaskDefinition FromPath(string path, TaskKind? kind = null, string? name = null, string? language = null, int? limit = null)
    {
        var k = kind ?? Infer(path);
        string baseName = System.IO.Path.GetFileNameWithoutExtension(System.IO.Path.TrimEndingDirectorySeparator(path));
        return new TaskDefinition
        {
            Name = name ?? (k == TaskKind.Clustering && Directory.Exists(path) ? baseName + "-clustering" : baseName),
            Kind = k,
            Path = path,
            Language = language ?? GuessLanguage(baseName),
            Limit = limit,
        };
    }

    /// <summary>
    /// Infers the type from the layout of ../shared/data: a folder with corpus.jsonl → retrieval (reranking when it has top_ranked); with train.jsonl and
    /// test.jsonl → classification; a .tsv whose header has "label" → pairs, "score" → sts; a .jsonl whose first object
    /// has "duplicates" → paraphrase-mining, a list of texts → reranking (<see cref="RerankingLists"/>), "anchor" → triplets, "source" → bitext (an mse task, of the same shape, is never inferred), "text" + "label" → clustering. Each .jsonl may be a .parquet with the
    /// same columns, and a .parquet file is told by its columns as the .tsv and .jsonl ones are.
    /// </summary>
    public static TaskKind Infer(string path)
    {
        if (Directory.Exists(path))
        {
            if (File.Exists(DataFiles.InFolder(path, "corpus")) || Directory.Exists(System.IO.Path.Combine(path, "qrels")))
                return RetrievalData.HasCandidates(path) ? TaskKind.Reranking : TaskKind.Retrieval;
            if (File.Exists(DataFiles.InFolder(path, "train")) && File.Exists(DataFiles.InFolder(path, "test")))
                return TaskKind.Classification;
            if (File.Exists(DataFiles.InFolder(path, "test"))) return TaskKind.Clustering;
            throw new EvaluationException($"{path}: cannot tell the task type (no corpus.jsonl, qrels/, train.jsonl or test.jsonl); pass --type");
        }
        if (!File.Exists(path)) throw new EvaluationException($"{path}: task folder or file not found");
        if (DataFiles.IsParquet(path)) return InferParquet(path);
        var (first, firstLine) = TextFile.ReadLines(path).Select((l, i) => (l, i + 1)).FirstOrDefault(x => x.l.Trim().Length > 0);
        first ??= "";
        firstLine = Math.Max(firstLine, 1);
        if (path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase))
        {
            var cols = first.TrimEnd('\r').Split('\t');
            if (cols.Contains("label")) return TaskKind.Pairs;
            if (cols.Contains("score")) return TaskKind.Sts;
            throw new EvaluationException($"{path}:1: a .tsv task needs a header with sentence1, sentence2 and score (sts) or label (pairs)");
        }
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var doc = JsonDocument.Parse(first);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw DataFiles.NotAnObject(path, firstLine); // (its keys tell the type)
                if (root.TryGetProperty("duplicates", out _)) return TaskKind.ParaphraseMining; // before reranking: a list of ids is a list of texts there
                if (RerankingLists.IsListRow(root)) return TaskKind.Reranking;
                if (root.TryGetProperty("anchor", out _)) return TaskKind.Triplets;
                if (root.TryGetProperty("source", out _)) return TaskKind.Bitext;
                if (root.TryGetProperty("text", out _) && root.TryGetProperty("label", out _)) return TaskKind.Clustering;
            }
            catch (JsonException e)
            {
                throw new EvaluationException($"{path}:{firstLine}: {JsonLineError.Describe(e, first)}");
            }
        }
        throw new EvaluationException($"{path}: cannot tell the task type from its layout; pass --type");
    }

    private static TaskKind InferParquet(string path)
    {
        var cols = ParquetTableReader.Columns(path);
        if (cols.Contains("duplicates")) return TaskKind.ParaphraseMining;
        if (RerankingLists.HasTextLists(path)) return TaskKind.Reranking;
        if (cols.Contains("anchor")) return TaskKind.Triplets;
        if (cols.Contains("source")) return TaskKind.Bitext;
        if (cols.Contains("sentence1") && cols.Contains("label")) return TaskKind.Pairs;
        if (cols.Contains("sentence1") && cols.Contains("score")) return TaskKind.Sts;
        if (cols.Contains("text") && cols.Contains("label")) return TaskKind.Clustering;
        throw new EvaluationException($"{path}: cannot tell the task type from its columns ({string.Join(", ", cols)}); pass --type");
    }

    /// <summary>Language codes at the end of a name: "xquad-da" → "da", "flores-da-sv" → "da-sv".</summary>
    public static string GuessLanguage(string name)
    {
        string[] known = ["da", "nb", "nn", "no", "sv", "en", "is", "fo", "fi", "de"];
        var parts = name.Split('-', '_', '.');
        var tail = new List<string>();
        for (int i = parts.Length - 1; i >= 0 && known.Contains(parts[i]); i--) tail.Insert(0, parts[i]);
        return string.Join("-", tail);
    }
}
