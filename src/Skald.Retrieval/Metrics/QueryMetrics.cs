namespace Skald.Retrieval.Metrics;

/// <summary>Per-query retrieval metrics at one cut-off <c>k</c>.</summary>
/// <param name="Ndcg">nDCG@k (trec_eval <c>ndcg_cut</c>).</param>
/// <param name="Map">AP@k (trec_eval <c>map_cut</c>).</param>
/// <param name="Recall">Recall@k (trec_eval <c>recall</c>).</param>
/// <param name="Precision">Precision@k (trec_eval <c>P</c>).</param>
/// <param name="Mrr">Reciprocal rank of the first relevant document within the top k (MTEB's <c>mrr</c>).</param>
/// <param name="Accuracy">1 when a relevant document is within the top k, else 0 (MTEB's top-k accuracy, a.k.a. hit rate).</param>
public readonly record struct QueryMetrics(double Ndcg, double Map, double Recall, double Precision, double Mrr, double Accuracy);
