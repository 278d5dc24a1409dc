using System.Text.Json.Serialization;

namespace Skald.Evaluation.Data;

/// <summary>Task types.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TaskKind>))]
public enum TaskKind
{
    /// <summary>BEIR retrieval folder.</summary>
    Retrieval,
    /// <summary>Semantic textual similarity TSV.</summary>
    Sts,
    /// <summary>Pair classification TSV (label 0/1).</summary>
    Pairs,
    /// <summary>Triplets JSONL.</summary>
    Triplets,
    /// <summary>Classification folder (train.jsonl, test.jsonl).</summary>
    Classification,
    /// <summary>Clustering of labelled texts (a classification folder's test split, or a JSONL file).</summary>
    Clustering,
    /// <summary>Bitext mining JSONL.</summary>
    Bitext,
    /// <summary>
    /// Reranking: a BEIR retrieval folder with each query's candidates (<c>top_ranked</c>, MTEB v2's reranking layout);
    /// the model orders only those.
    /// </summary>
    Reranking,
    /// <summary>
    /// Knowledge distillation (sentence-transformers' MSEEvaluator): a bitext-shaped JSONL, a teacher model embedding the
    /// sources and the model the targets; never inferred from the files (<c>--type mse</c>).
    /// </summary>
    Mse,
    /// <summary>Paraphrase mining JSONL: <c>{"id","text","duplicates"}</c> (sentence-transformers' ParaphraseMiningEvaluator).</summary>
    ParaphraseMining,
}
