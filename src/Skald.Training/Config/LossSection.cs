namespace Skald.Training.Config;

/// <summary><c>loss</c>: the objective.</summary>
public sealed record LossSection
{
    /// <summary><c>mnrl</c>, <c>cached_mnrl</c>, <c>triplet</c>, <c>cosent</c>, <c>simcse</c>, <c>matryoshka</c>, <c>mlm</c>, <c>mntp</c>, <c>causal_lm</c>, <c>margin_mse</c>, <c>mse</c> (distillation from <see cref="Teacher"/>), <c>gist</c> (MNRL screened by <see cref="Guide"/>), <c>angle</c>, <c>contrastive</c>, <c>online_contrastive</c>, <c>distill_kl</c> (KL divergence to a teacher's scores of the positive and negatives), <c>splade</c> (a sparse encoder: <see cref="SpladeInner"/> plus FLOPS regularisers), or for a cross-encoder <c>bce</c>, <c>ce_mnrl</c>, (more than one label) <c>cross_entropy</c>, distillation <c>ce_mse</c> / <c>ce_margin_mse</c>, or learning to rank over lists of documents <c>listnet</c>, <c>listmle</c>, <c>plistmle</c>, <c>lambda</c>, <c>ranknet</c>; <c>contrastive_tension</c> (ContrastiveTensionLossInBatchNegatives), <c>contrastive_tension_pairs</c> (ContrastiveTensionLoss over sampled pairs), <c>tsdae</c> (DenoisingAutoEncoderLoss: plain sentences, a tied BERT decoder rebuilds each from the embedding of its damaged copy), <c>bge_m3</c> (BGE-M3's unified fine-tuning of its dense, sparse and ColBERT outputs); for a ColBERT <c>colbert_contrastive</c> / <c>colbert_distillation</c> (PyLate's Contrastive and Distillation over MaxSim scores).</summary>
    public string Type { get; init; } = "mnrl";

    /// <summary><c>mse</c>: the teacher model folder whose embeddings of column 0 the student learns (same width).</summary>
    public string? Teacher { get; init; }

    /// <summary><c>gist</c>: the guide model folder whose similarities screen the in-batch negatives.</summary>
    public string? Guide { get; init; }

    /// <summary><c>gist</c>: <c>absolute</c> (drop a candidate the guide rates above its positive − margin) or <c>relative</c>
    /// (above positive · (1 − margin)).</summary>
    public string MarginStrategy { get; init; } = "absolute";

    /// <summary><c>gist</c>: also contrast each anchor with the other anchors.</summary>
    public bool ContrastAnchors { get; init; } = true;

    /// <summary><c>gist</c>: also contrast each positive with the other positives.</summary>
    public bool ContrastPositives { get; init; } = true;

    /// <summary>Masked-LM / MNTP: share of non-special tokens selected for prediction (null: 0.15 for mlm, 0.2 for mntp).</summary>
    public float? MaskProbability { get; init; }

    /// <summary>MNTP: <c>default</c> (80% mask, 10% random, 10% kept, as BERT) or <c>all_mask</c> (LLM2Vec's second collator).</summary>
    public string MaskCollator { get; init; } = "default";

    /// <summary>Similarity scale (inverse temperature) of MNRL, cached MNRL, SimCSE, CoSENT and GISTEmbed (its temperature 0.01 is scale 100, the default for gist).</summary>
    public float Scale { get; init; } = 20f;

    /// <summary>MNRL: also rank anchors given the positive.</summary>
    public bool Symmetric { get; init; }

    /// <summary>Cached MNRL, <see cref="Cached"/> (a dense loss, colbert_contrastive or bge_m3): rows per forward/backward chunk.</summary>
    public int MiniBatchSize { get; init; } = 32;

    /// <summary>Triplet loss margin (Euclidean distance); gist: the false-negative margin (default 0); contrastive and
    /// online_contrastive: the cosine distance dissimilar pairs are pushed beyond (default 0.5).</summary>
    public float Margin { get; init; } = 5f;

    /// <summary>Matryoshka: the loss applied to every truncated embedding (<c>mnrl</c>, <c>cosent</c>, <c>triplet</c>).</summary>
    public string MatryoshkaInner { get; init; } = "mnrl";

    /// <summary>Matryoshka: embedding widths (null: full, half, quarter, ...).</summary>
    public IReadOnlyList<int>? MatryoshkaDims { get; init; }

    /// <summary>Matryoshka: weight per width (null: all 1).</summary>
    public IReadOnlyList<float>? MatryoshkaWeights { get; init; }

    /// <summary>distill_kl: the temperature the student's and the teacher's scores are divided by before their softmax; colbert_contrastive: the MaxSim scores' (PyLate's, 1); bge_m3: every score's (FlagEmbedding's temperature, 0.02).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>bge_m3: train the sparse and ColBERT outputs with the dense one (FlagEmbedding's unified_finetuning; false: the dense term only, the heads kept as they are).</summary>
    public bool UnifiedFinetuning { get; init; } = true;

    /// <summary>bge_m3: add the self-distillation terms, the ensemble score teaching each output (use_self_distill).</summary>
    public bool UseSelfDistill { get; init; }

    /// <summary>bge_m3: self-distillation starts after this many batches (self_distill_start_step; −1: from the first).</summary>
    public int SelfDistillStartStep { get; init; } = -1;

    /// <summary>bge_m3 with a teacher's scores in the label column: <c>kl_div</c> or <c>m3_kd_loss</c> (kd_loss_type).</summary>
    public string KdLossType { get; init; } = "kl_div";

    /// <summary>bge_m3 from a base without the heads: colbert_linear's width (FlagEmbedding's colbert_dim; 0 or below, the default −1: the hidden size).</summary>
    public int ColbertDim { get; init; } = -1;

    /// <summary>bge_m3: queries are cut to this many tokens, specials included (FlagEmbedding's query_max_len, 32).</summary>
    public int QueryMaxLen { get; init; } = 32;

    /// <summary>bge_m3: passages are cut to this many tokens, specials included (FlagEmbedding's passage_max_len, 128).</summary>
    public int PassageMaxLen { get; init; } = 128;

    /// <summary>colbert_contrastive / colbert_distillation: the mean over the batch's rows (PyLate's size_average, true) or their sum.</summary>
    public bool SizeAverage { get; init; } = true;

    /// <summary>colbert_distillation: min-max normalise each row's MaxSim scores before the softmax (PyLate's normalize_scores, true).</summary>
    public bool NormalizeScores { get; init; } = true;

    /// <summary>splade: the loss the FLOPS regularisers are added to: <c>mnrl</c> (SparseMultipleNegativesRankingLoss: dot product, scale 1 by default), <c>margin_mse</c> or <c>distill_kl</c>.</summary>
    public string SpladeInner { get; init; } = "mnrl";

    /// <summary>
    /// Any loss over embeddings, colbert_contrastive over token vectors (PyLate's CachedContrastive) or bge_m3 over its three outputs, through
    /// GradCache (sentence-transformers' Cached* losses): the batch is embedded in
    /// chunks of <see cref="MiniBatchSize"/> rows without activations, the loss and its gradient taken over the whole
    /// batch, then each chunk embedded again and backpropagated; the same gradients as without it, in a chunk's memory.
    /// </summary>
    public bool Cached { get; init; }

    /// <summary>mega_batch_margin: positives below this cosine similarity are pulled up (positive_margin, 0.8).</summary>
    public float PositiveMargin { get; init; } = 0.8f;

    /// <summary>mega_batch_margin: hardest in-batch negatives above this cosine similarity are pushed down (negative_margin, 0.3).</summary>
    public float NegativeMargin { get; init; } = 0.3f;

    /// <summary>tsdae: share of each sentence's words deleted before it is embedded (DenoisingAutoEncoderDataset's del_ratio, 0.6).</summary>
    public float DeletionRatio { get; init; } = 0.6f;

    /// <summary>
    /// sentence-transformers' AdaptiveLayerLoss around the loss (around <c>matryoshka</c>: Matryoshka2dLoss): the loss
    /// is also taken over the embeddings of earlier layers' outputs, with a KL term pulling them towards the last
    /// layer's, so the model can later run with fewer layers (<c>skald truncate-layers</c>).
    /// </summary>
    public bool AdaptiveLayer { get; init; }

    /// <summary>adaptive_layer: earlier layers sampled per step (upstream's n_layers_per_step, 1; ≤ 0: all).</summary>
    public int LayersPerStep { get; init; } = 1;

    /// <summary>adaptive_layer: weight of the last layer's loss (last_layer_weight, 1).</summary>
    public float LastLayerWeight { get; init; } = 1f;

    /// <summary>adaptive_layer: weight of the earlier layers' losses (prior_layers_weight, 1).</summary>
    public float PriorLayersWeight { get; init; } = 1f;

    /// <summary>adaptive_layer: weight of the KL terms (kl_div_weight, 1).</summary>
    public float KlDivWeight { get; init; } = 1f;

    /// <summary>adaptive_layer: softmax temperature of the KL terms (kl_temperature, 0.3; 0: no KL term).</summary>
    public float KlTemperature { get; init; } = 0.3f;

    /// <summary>csr: the loss over the sparse codes: <c>mnrl</c> (SparseMultipleNegativesRankingLoss: dot product, scale 1 by default), <c>margin_mse</c> or <c>distill_kl</c>.</summary>
    public string CsrInner { get; init; } = "mnrl";

    /// <summary>csr: mnrl's similarity, <c>dot</c> (SparseMNRL's default) or <c>cosine</c> (sentence-transformers' CSR example, with scale 20).</summary>
    public string CsrSimilarity { get; init; } = "dot";

    /// <summary>csr: β, the weight of the auxiliary reconstruction term (CSRLoss beta, 0.1).</summary>
    public float CsrBeta { get; init; } = 0.1f;

    /// <summary>csr: γ, the weight of the loss over the sparse codes (CSRLoss gamma, 1).</summary>
    public float CsrGamma { get; init; } = 1f;

    /// <summary>splade: λ_d, the weight of the documents' FLOPS term (document_regularizer_weight).</summary>
    public float DocumentRegularizerWeight { get; init; } = 3e-5f;

    /// <summary>splade: λ_q, the weight of the queries' FLOPS term (query_regularizer_weight); 0: none.</summary>
    public float QueryRegularizerWeight { get; init; } = 5e-5f;

    /// <summary>splade: rows with at most this many active entries leave the documents' FLOPS term (FlopsLoss threshold; null: none).</summary>
    public int? DocumentRegularizerThreshold { get; init; }

    /// <summary>splade: the same for the queries' FLOPS term.</summary>
    public int? QueryRegularizerThreshold { get; init; }

    /// <summary>splade: regularise every column as documents, no query term (use_document_regularizer_only, for symmetric pairs).</summary>
    public bool DocumentRegularizerOnly { get; init; }

    /// <summary>causal_lm: longest training sequence in tokens (prompt + response + EOS); null: the model's max_seq_length.</summary>
    public int? MaxSeqLength { get; init; }

    /// <summary>ce_mnrl: in-batch negatives drawn per anchor (null: every other candidate of the batch).</summary>
    public int? NumNegatives { get; init; } = 4;

    /// <summary>cross_entropy: the classifier's number of labels (null: the model folder's classifier's).</summary>
    public int? NumLabels { get; init; }

    /// <summary>bce: the weight of the positive term (torch's pos_weight; above 1 favours recall of relevant pairs).</summary>
    public float PosWeight { get; init; } = 1f;

    /// <summary>Cross-encoder distillation and listwise losses: <c>identity</c> or <c>sigmoid</c> on the logits before the loss (upstream's activation_fn).</summary>
    public string Activation { get; init; } = "identity";

    /// <summary>lambda: <c>ndcg_loss2pp</c>, <c>ndcg_loss2</c>, <c>ndcg_loss1</c>, <c>lambda_rank</c> or <c>none</c>.</summary>
    public string WeightingScheme { get; init; } = "ndcg_loss2pp";

    /// <summary>lambda / ranknet: only the first k positions of each list (by score) count; null: all.</summary>
    public int? K { get; init; }

    /// <summary>lambda / ranknet: the sharpness σ of the pair probability σ(σ·(x_i − x_j)).</summary>
    public float Sigma { get; init; } = 1f;

    /// <summary>lambda with ndcg_loss2pp: the weight μ of NDCGLoss2 beside LambdaRank.</summary>
    public float Mu { get; init; } = 10f;

    /// <summary>lambda / ranknet: <c>binary</c> (log2) or <c>natural</c> logarithm of the pair terms.</summary>
    public string ReductionLog { get; init; } = "binary";

    /// <summary>
    /// plistmle: a weight per list position (first document first), normalised per list, instead of the default
    /// 2^(n − i) − 1 (a custom rank_discount_fn of fixed weights); null: the default.
    /// </summary>
    public IReadOnlyList<float>? PositionWeights { get; init; }

    /// <summary>listmle / plistmle: the documents are given most relevant first (false: sorted by label).</summary>
    public bool RespectInputOrder { get; init; } = true;

    /// <summary>contrastive_tension_pairs: one pair of a sentence with itself in every this many pairs (upstream's pos_neg_ratio).</summary>
    public int PosNegRatio { get; init; } = 8;

    /// <summary>tsdae: the decoder shares every weight with the encoder (false: a BERT of its own, from <see cref="Decoder"/>).</summary>
    public bool TieEncoderDecoder { get; init; } = true;

    /// <summary>tsdae with an untied decoder: the folder it is read from (null: model.path); upstream's decoder_name_or_path.</summary>
    public string? Decoder { get; init; }

    /// <summary>The loss types that train a cross-encoder.</summary>
    public static readonly IReadOnlySet<string> CrossEncoderTypes = new HashSet<string>(StringComparer.Ordinal)
        { "bce", "ce_mnrl", "cross_entropy", "ce_mse", "ce_margin_mse", "listnet", "listmle", "plistmle", "lambda", "ranknet" };

    /// <summary>The cross-encoder losses over lists of documents (sentence-transformers' learning-to-rank losses).</summary>
    public static readonly IReadOnlySet<string> ListwiseTypes = new HashSet<string>(StringComparer.Ordinal)
        { "listnet", "listmle", "plistmle", "lambda", "ranknet" };

    /// <summary>Whether this loss trains a cross-encoder.</summary>
    public bool CrossEncoder => CrossEncoderTypes.Contains(Type);
}
