namespace Skald.Training.Config;

/// <summary>
/// Loss classes as a Python user names them — sentence-transformers' <c>sentence_transformers.losses</c>, its
/// cross-encoder and sparse-encoder losses, PyLate's ColBERT losses — and the <c>loss.type</c> (with the keys, where one
/// class is a Skald loss plus a setting) that trains the same thing. A class name given as <c>loss.type</c> is far from
/// every Skald value by spelling, so the "did you mean" of a typo cannot find it; this points at Skald's name instead.
/// Class names as of sentence-transformers v5.1 (sentence_transformers/losses/__init__.py,
/// cross_encoder/losses/__init__.py, sparse_encoder/losses/__init__.py) and PyLate 1.2 (pylate/losses).
/// </summary>
internal static class UpstreamLossNames
{
    // upstream class name -> Skald's loss.type (and keys); matched ignoring case
    private static readonly Dictionary<string, string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MultipleNegativesRankingLoss"] = "'mnrl' (a cross-encoder's: 'ce_mnrl')",
        ["CachedMultipleNegativesRankingLoss"] = "'cached_mnrl'",
        ["MultipleNegativesSymmetricRankingLoss"] = "'mnrl' with loss.symmetric: true",
        ["CachedMultipleNegativesSymmetricRankingLoss"] = "'mnrl' with loss.symmetric: true and loss.cached: true",
        ["GISTEmbedLoss"] = "'gist'",
        ["CachedGISTEmbedLoss"] = "'gist' with loss.cached: true",
        ["MatryoshkaLoss"] = "'matryoshka' (the loss it wraps as loss.matryoshka_inner)",
        ["Matryoshka2dLoss"] = "'matryoshka' with loss.adaptive_layer: true",
        ["AdaptiveLayerLoss"] = "the loss it wraps, with loss.adaptive_layer: true",
        ["TripletLoss"] = "'triplet'",
        ["CoSENTLoss"] = "'cosent'",
        ["AnglELoss"] = "'angle'",
        ["CosineSimilarityLoss"] = "'cosine_similarity'",
        ["SoftmaxLoss"] = "'softmax'",
        ["ContrastiveLoss"] = "'contrastive'",
        ["OnlineContrastiveLoss"] = "'online_contrastive'",
        ["MSELoss"] = "'mse' (a cross-encoder's: 'ce_mse')",
        ["MarginMSELoss"] = "'margin_mse' (a cross-encoder's: 'ce_margin_mse')",
        ["DistillKLDivLoss"] = "'distill_kl'",
        ["BatchHardTripletLoss"] = "'batch_hard_triplet'",
        ["BatchHardSoftMarginTripletLoss"] = "'batch_hard_soft_margin_triplet'",
        ["BatchAllTripletLoss"] = "'batch_all_triplet'",
        ["BatchSemiHardTripletLoss"] = "'batch_semi_hard_triplet'",
        ["DenoisingAutoEncoderLoss"] = "'tsdae'",
        ["MegaBatchMarginLoss"] = "'mega_batch_margin'",
        ["ContrastiveTensionLoss"] = "'contrastive_tension_pairs'",
        ["ContrastiveTensionLossInBatchNegatives"] = "'contrastive_tension'",
        ["SpladeLoss"] = "'splade'",
        ["CSRLoss"] = "'csr'",
        ["BinaryCrossEntropyLoss"] = "'bce'",
        ["CrossEntropyLoss"] = "'cross_entropy'",
        ["ListNetLoss"] = "'listnet'",
        ["ListMLELoss"] = "'listmle'",
        ["PListMLELoss"] = "'plistmle'",
        ["LambdaLoss"] = "'lambda'",
        ["RankNetLoss"] = "'ranknet'",
        ["Contrastive"] = "'colbert_contrastive' (PyLate's; sentence-transformers' ContrastiveLoss is 'contrastive')",
        ["CachedContrastive"] = "'colbert_contrastive' with loss.cached: true (PyLate's)",
        ["Distillation"] = "'colbert_distillation' (PyLate's)",
    };

    /// <summary>
    /// Skald's <c>loss.type</c> (and keys) for the Python class named <paramref name="value"/>, written for a message;
    /// null when it names none.
    /// </summary>
    public static string? For(string value) => Names.GetValueOrDefault(value);
}
