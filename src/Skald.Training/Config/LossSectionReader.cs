namespace Skald.Training.Config;

/// <summary>
/// Reads the <c>loss</c> section: every key with its default and range, and the one-line refusals of a key the chosen
/// loss does not read or of a combination it cannot train (with the model section, for what depends on it).
/// </summary>
internal static class LossSectionReader
{
    /// <summary>The <c>loss.type</c> values, the default first.</summary>
    private static readonly string[] Types =
    [
        "mnrl", "cached_mnrl", "triplet", "cosent", "simcse", "matryoshka", "mlm", "mntp", "causal_lm", "bce", "ce_mnrl", "cross_entropy", "margin_mse", "mse", "gist", "angle", "contrastive", "online_contrastive", "splade", "distill_kl", "csr", "cosine_similarity", "softmax", "batch_hard_triplet",
        "batch_hard_soft_margin_triplet", "batch_all_triplet", "batch_semi_hard_triplet", "tsdae", "mega_batch_margin", "contrastive_tension", "contrastive_tension_pairs",
        "ce_mse", "ce_margin_mse", "listnet", "listmle", "plistmle", "lambda", "ranknet", "colbert_contrastive", "colbert_distillation", "bge_m3",
    ];

    /// <summary>The loss section read through <paramref name="l"/>.</summary>
    public static LossSection Read(SectionReader l, ModelSection model)
    {
        if (l.Str("type") is { } given && !Types.Contains(given) && UpstreamLossNames.For(given) is { } ours)
            throw new TrainingException($"{l.Where("type")}: loss.type '{given}' is the Python class; Skald's loss.type for it is {ours}");
        // sentence-transformers wraps a Cached* loss (MatryoshkaLoss(CachedMultipleNegativesRankingLoss), SpladeLoss(...)):
        // here the wrapped loss is named plainly and loss.cached runs the whole through GradCache.
        foreach (var inner in new[] { "matryoshka_inner", "splade_inner", "csr_inner" })
            if (l.Str(inner) == "cached_mnrl")
                throw new TrainingException($"{l.Where(inner)}: loss.{inner} cached_mnrl is {inner}: mnrl with loss.cached: true (sentence-transformers' CachedMultipleNegativesRankingLoss inside the wrapper)");
        var loss = new LossSection
        {
            Type = l.Choice("type", "mnrl", Types),
            MaskProbability = l.Str("mask_probability") is null ? null : l.Float("mask_probability", 0.15f, 0, 1),
            MaskCollator = l.Choice("mask_collator", "default", "default", "all_mask"),
            Scale = l.Float("scale", l.Str("type") switch { "ce_mnrl" => 10f, "gist" => 100f, "splade" or "csr" => 1f, _ => 20f }, 0),
            Symmetric = l.Bool("symmetric", false),
            MiniBatchSize = l.Int("mini_batch_size", 32, 1),
            Margin = l.Float("margin", l.Str("type") switch { "gist" => 0f, "contrastive" or "online_contrastive" => 0.5f, _ => 5f }, 0),
            MatryoshkaInner = l.Choice("matryoshka_inner", "mnrl", "mnrl", "cosent", "triplet", "margin_mse", "angle"),
            MatryoshkaDims = l.IntList("matryoshka_dims"),
            MatryoshkaWeights = l.FloatList("matryoshka_weights"),
            MaxSeqLength = l.IntOrNull("max_seq_length", 2),
            PosWeight = l.Float("pos_weight", 1f, 0),
            NumNegatives = l.Str("num_negatives") is "all" ? null : l.Int("num_negatives", 4, 0),
            NumLabels = l.IntOrNull("num_labels", 2),
            Teacher = l.Path("teacher"),
            Guide = l.Path("guide"),
            MarginStrategy = l.Choice("margin_strategy", "absolute", "absolute", "relative"),
            ContrastAnchors = l.Bool("contrast_anchors", true),
            ContrastPositives = l.Bool("contrast_positives", true),
            SpladeInner = l.Choice("splade_inner", "mnrl", "mnrl", "margin_mse", "distill_kl"),
            // The listwise losses' mini_batch_size (upstream: pairs per forward chunk) runs them through GradCache.
            Cached = l.Bool("cached", false) || (LossSection.ListwiseTypes.Contains(l.Str("type") ?? "") && l.Str("mini_batch_size") is not null),
            DeletionRatio = l.Float("deletion_ratio", 0.6f, 0, 0.99f),
            PositiveMargin = l.Float("positive_margin", 0.8f, -1, 1),
            NegativeMargin = l.Float("negative_margin", 0.3f, -1, 1),
            AdaptiveLayer = l.Bool("adaptive_layer", false),
            LayersPerStep = l.Int("n_layers_per_step", 1, int.MinValue),
            LastLayerWeight = l.Float("last_layer_weight", 1f, 0),
            PriorLayersWeight = l.Float("prior_layers_weight", 1f, 0),
            KlDivWeight = l.Float("kl_div_weight", 1f, 0),
            KlTemperature = l.Float("kl_temperature", 0.3f, 0),
            CsrInner = l.Choice("csr_inner", "mnrl", "mnrl", "margin_mse", "distill_kl"),
            CsrSimilarity = l.Choice("csr_similarity", "dot", "dot", "cosine"),
            CsrBeta = l.Float("csr_beta", 0.1f, 0),
            CsrGamma = l.Float("csr_gamma", 1f, 0),
            Temperature = l.Float("temperature", l.Str("type") == "bge_m3" ? 0.02f : 1f, 0),
            UnifiedFinetuning = l.Bool("unified_finetuning", true),
            UseSelfDistill = l.Bool("use_self_distill", false),
            SelfDistillStartStep = l.Int("self_distill_start_step", -1, -1),
            KdLossType = l.Choice("kd_loss_type", "kl_div", "kl_div", "m3_kd_loss"),
            QueryMaxLen = l.Int("query_max_len", 32, 3),
            ColbertDim = l.Int("colbert_dim", -1, int.MinValue),
            PassageMaxLen = l.Int("passage_max_len", 128, 3),
            DocumentRegularizerWeight = l.Float("document_regularizer_weight", 3e-5f, 0),
            QueryRegularizerWeight = l.Float("query_regularizer_weight", 5e-5f, 0),
            DocumentRegularizerOnly = l.Bool("use_document_regularizer_only", false),
            DocumentRegularizerThreshold = l.IntOrNull("document_regularizer_threshold", 0),
            QueryRegularizerThreshold = l.IntOrNull("query_regularizer_threshold", 0),
            Activation = l.Choice("activation", "identity", "identity", "sigmoid"),
            WeightingScheme = l.Choice("weighting_scheme", "ndcg_loss2pp", "ndcg_loss2pp", "ndcg_loss2", "ndcg_loss1", "lambda_rank", "none"),
            K = l.IntOrNull("k", 1),
            Sigma = l.Float("sigma", 1f, 0),
            Mu = l.Float("mu", 10f, 0),
            ReductionLog = l.Choice("reduction_log", "binary", "binary", "natural"),
            RespectInputOrder = l.Bool("respect_input_order", true),
            PositionWeights = l.FloatList("position_weights"),
            PosNegRatio = l.Int("pos_neg_ratio", 8, 1),
            TieEncoderDecoder = l.Bool("tie_encoder_decoder", true),
            Decoder = l.Path("decoder"),
            SizeAverage = l.Bool("size_average", true),
            NormalizeScores = l.Bool("normalize_scores", true),
        };
        if (model.Type == "colbert" && !Losses.ColbertLoss.IsColbert(loss.Type))
            throw new TrainingException($"{l.Where("type")}: a ColBERT (model.type: colbert) trains with loss.type colbert_contrastive or colbert_distillation, not {loss.Type}");
        if (l.Str("size_average") is not null && !Losses.ColbertLoss.IsColbert(loss.Type))
            throw new TrainingException($"{l.Where("size_average")}: loss.size_average is PyLate's (loss.type: colbert_contrastive or colbert_distillation)");
        if (l.Str("normalize_scores") is not null && loss.Type != "colbert_distillation")
            throw new TrainingException($"{l.Where("normalize_scores")}: loss.normalize_scores is PyLate's Distillation's (loss.type: colbert_distillation)");
        RankingLossKeys.Check(l, loss);
        LossKeys.Check(l, loss);
        foreach (var key in new[] { "splade_inner", "document_regularizer_weight", "query_regularizer_weight", "use_document_regularizer_only",
                     "document_regularizer_threshold", "query_regularizer_threshold" })
        {
            if (l.Str(key) is not null && loss.Type != "splade")
                throw new TrainingException($"{l.Where(key)}: loss.{key} is SpladeLoss's (loss.type: splade)");
        }
        if (loss.Cached && loss.Type == "colbert_distillation")
            throw new TrainingException($"{l.Where("cached")}: loss.cached runs loss.type colbert_contrastive (PyLate's CachedContrastive); PyLate has no cached Distillation, so neither does Skald");
        if (loss.Cached && loss.Type is "mlm" or "mntp" or "causal_lm" or "cached_mnrl" or "mse" or "simcse" or "tsdae" or "contrastive_tension" or "contrastive_tension_pairs")
            throw new TrainingException($"{l.Where("cached")}: loss.cached takes a loss over embeddings (mnrl, cosent, matryoshka, splade, ...) or a cross-encoder's, not loss.type {loss.Type}" +
                (loss.Type == "cached_mnrl" ? " (it is cached already)" : ""));
        foreach (var key in new[] { "positive_margin", "negative_margin" })
        {
            if (l.Str(key) is not null && loss.Type != "mega_batch_margin")
                throw new TrainingException($"{l.Where(key)}: loss.{key} is MegaBatchMarginLoss's (loss.type: mega_batch_margin)");
        }
        foreach (var key in new[] { "unified_finetuning", "use_self_distill", "self_distill_start_step", "kd_loss_type", "query_max_len", "passage_max_len", "colbert_dim" })
        {
            if (l.Str(key) is not null && loss.Type != "bge_m3")
                throw new TrainingException($"{l.Where(key)}: loss.{key} is BGE-M3 fine-tuning's (loss.type: bge_m3)");
        }
        if (loss.Type == "bge_m3" && !loss.UnifiedFinetuning && loss.UseSelfDistill)
            throw new TrainingException($"{l.Where("use_self_distill")}: self-distillation teaches the sparse and ColBERT outputs; it needs loss.unified_finetuning: true");
        if (loss.Type == "bge_m3" && l.Str("scale") is not null)
            throw new TrainingException($"{l.Where("scale")}: loss.type bge_m3 divides its scores by loss.temperature (0.02, a scale of 50); set that instead");
        if (l.Str("self_distill_start_step") is not null && !loss.UseSelfDistill)
            throw new TrainingException($"{l.Where("self_distill_start_step")}: loss.self_distill_start_step is for loss.use_self_distill: true");
        if (l.Str("pos_neg_ratio") is not null && loss.Type != "contrastive_tension_pairs")
            throw new TrainingException($"{l.Where("pos_neg_ratio")}: loss.pos_neg_ratio is the pair-sampling ContrastiveTensionLoss's (loss.type: contrastive_tension_pairs)");
        foreach (var key in new[] { "deletion_ratio", "tie_encoder_decoder", "decoder" })
        {
            if (l.Str(key) is not null && loss.Type != "tsdae")
                throw new TrainingException($"{l.Where(key)}: loss.{key} is TSDAE's (loss.type: tsdae)");
        }
        if (loss.Decoder is not null && loss.TieEncoderDecoder)
            throw new TrainingException($"{l.Where("decoder")}: loss.decoder is an untied decoder's folder; set loss.tie_encoder_decoder: false (a tied decoder is the encoder itself)");
        foreach (var key in new[] { "n_layers_per_step", "last_layer_weight", "prior_layers_weight", "kl_div_weight", "kl_temperature" })
        {
            if (l.Str(key) is not null && !loss.AdaptiveLayer)
                throw new TrainingException($"{l.Where(key)}: loss.{key} is AdaptiveLayerLoss's (loss.adaptive_layer: true)");
        }
        if (loss.AdaptiveLayer && (loss.Cached || loss.CrossEncoder || loss.Type is "bge_m3" or "mlm" or "mntp" or "causal_lm" or "cached_mnrl" or "csr" or "splade" or "gist" or "mse" or "simcse" or "tsdae" or "contrastive_tension" or "contrastive_tension_pairs" or "colbert_contrastive" or "colbert_distillation"))
            throw new TrainingException($"{l.Where("adaptive_layer")}: loss.adaptive_layer takes a loss over a dense model's embeddings (mnrl, cosent, matryoshka, triplet, ...), " +
                (loss.Cached || loss.Type == "cached_mnrl" ? "not a cached one (upstream refuses it too: every layer's activations are kept)" : $"not loss.type {loss.Type}"));
        if (loss.AdaptiveLayer && model.FreezeTransformer)
            throw new TrainingException($"{l.Where("adaptive_layer")}: loss.adaptive_layer trains the transformer's layers; model.freeze_transformer leaves them out");
        foreach (var key in new[] { "csr_inner", "csr_similarity", "csr_beta", "csr_gamma" })
        {
            if (l.Str(key) is not null && loss.Type != "csr")
                throw new TrainingException($"{l.Where(key)}: loss.{key} is CSRLoss's (loss.type: csr)");
        }
        if (l.Str("csr_similarity") is not null && loss.CsrInner != "mnrl")
            throw new TrainingException($"{l.Where("csr_similarity")}: loss.csr_similarity is for csr_inner: mnrl");
        if (l.Str("temperature") is not null && loss.Type is not ("distill_kl" or "colbert_contrastive" or "bge_m3") && !(loss.Type == "splade" && loss.SpladeInner == "distill_kl")
            && !(loss.Type == "csr" && loss.CsrInner == "distill_kl"))
            throw new TrainingException($"{l.Where("temperature")}: loss.temperature is DistillKLDivLoss's (loss.type: distill_kl, or splade / csr with its inner loss distill_kl) or PyLate Contrastive's (colbert_contrastive) or BGE-M3's (bge_m3)");
        if (loss.Temperature <= 0) throw new TrainingException($"{l.Where("temperature")}: loss.temperature must be above 0");
        if (loss.DocumentRegularizerOnly && l.Str("query_regularizer_weight") is not null)
            throw new TrainingException($"{l.Where("query_regularizer_weight")}: with use_document_regularizer_only every column is a document; there is no query term to weigh");
        if (loss.Type == "gist" && loss.Margin >= 1)
            throw new TrainingException($"{l.Where("margin")}: loss.margin {loss.Margin.ToString(System.Globalization.CultureInfo.InvariantCulture)} would drop every gist negative " +
                "(its margins are gaps between cosine similarities, below 1; 0 drops what the guide rates above the positive)");
        if (loss.Type == "gist" && loss.Guide is null)
            throw new TrainingException($"{l.Where("type")}: loss.type gist screens negatives with a guide model: set loss.guide to its model folder");
        if (loss.Type == "mse" && loss.Teacher is null)
            throw new TrainingException($"{l.Where("type")}: loss.type mse distils a teacher: set loss.teacher to its model folder");
        if (loss.PosWeight <= 0) throw new TrainingException($"{l.Where("pos_weight")}: loss.pos_weight must be above 0");
        return loss;
    }
}
