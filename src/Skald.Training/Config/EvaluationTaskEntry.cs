namespace Skald.Training.Config;

/// <summary>
/// The options of an <c>evaluation.tasks</c> entry given as a mapping <c>{path: TASK, ...}</c>, the arguments
/// sentence-transformers' evaluators take besides their data.
/// </summary>
public sealed record EvaluationTaskEntry
{
    /// <summary>
    /// <c>teacher</c>: the teacher model folder of an mse task (sentence-transformers' MSEEvaluator, whose constructor is
    /// given the teacher), which embeds the task's sources once per run; null for any other task.
    /// </summary>
    public string? Teacher { get; init; }

    /// <summary>
    /// <c>add_transitive_closure</c>: a paraphrase-mining task counts every two texts joined by a chain of duplicates as
    /// duplicates too (ParaphraseMiningEvaluator's <c>add_transitive_closure</c>; off by default, as upstream's).
    /// </summary>
    public bool AddTransitiveClosure { get; init; }

    /// <summary>
    /// <c>truncate_dim</c>: an mse task compares the first N values of the teacher's and of the model's embeddings
    /// (MSEEvaluator's <c>truncate_dim</c>, both sides cut, as <c>skald evaluate --type mse --truncate-dim N</c>); null: all.
    /// </summary>
    public int? TruncateDim { get; init; }

    /// <summary>
    /// <c>margin</c>: a triplets task counts a triplet as right only when the positive's similarity exceeds the
    /// negative's by more than this (TripletEvaluator's <c>margin</c>; 0 by default, as upstream's).
    /// </summary>
    public double Margin { get; init; }

    /// <summary>
    /// <c>at_k</c>: a cross-encoder's reranking task cuts MRR and nDCG at this rank (CrossEncoderRerankingEvaluator's
    /// <c>at_k</c>, 10 when null, the keys <c>eval_TASK_mrr@K</c> and <c>eval_TASK_ndcg@K</c>).
    /// </summary>
    public int? AtK { get; init; }

    /// <summary>
    /// <c>always_rerank_positives</c>: a cross-encoder's reranking task of a first stage's <c>documents</c> lets the model
    /// order every positive, listed or not (true, upstream's default, when null), or only the listed documents (false).
    /// </summary>
    public bool? AlwaysRerankPositives { get; init; }

    /// <summary>
    /// <c>rerank_k</c>: a cross-encoder's retrieval task (a BEIR folder without a first stage's candidates) reranks
    /// each query's first K BM25 documents (CrossEncoderNanoBEIREvaluator's <c>rerank_k</c>, 100 when null).
    /// </summary>
    public int? RerankK { get; init; }
}
