using Skald.Models.Modules;

namespace Skald.Training.Evaluation;

/// <summary>
/// How an evaluator during training names its keys after the similarity it scores by. sentence-transformers'
/// evaluators score with the model's own <c>similarity_fn_name</c> by default and put it in every key
/// (<c>{name}_{fn}_ndcg@10</c>, <c>{fn}_accuracy</c>, <c>{fn}_ap</c>, <c>spearman_{fn}</c>). Skald keeps the keys a
/// cosine model has always had (so <c>metric_for_best_model</c> settings keep working) and names the model's
/// function in them for a dot, Euclidean or Manhattan model, as upstream does.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/InformationRetrievalEvaluator.py
/// (and BinaryClassificationEvaluator.py, EmbeddingSimilarityEvaluator.py, TripletEvaluator.py beside it).
/// </remarks>
internal static class SimilarityKeys
{
    /// <summary>Before a metric: nothing for cosine, else <c>{fn}_</c> (<c>dot_</c> in <c>eval_retrieval_dot_ndcg@10</c>).</summary>
    public static string Prefix(SimilarityFunction f) => f == SimilarityFunction.Cosine ? "" : Similarities.Name(f) + "_";

    /// <summary>After a metric: nothing for cosine, else <c>_{fn}</c> (<c>_dot</c> in <c>eval_sts_spearman_dot</c>).</summary>
    public static string Suffix(SimilarityFunction f) => f == SimilarityFunction.Cosine ? "" : "_" + Similarities.Name(f);
}
