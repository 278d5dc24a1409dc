using Skald.Models;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Trainer;

/// <summary>
/// The losses <c>loss.type</c> names (<see cref="LossSection"/>), built for a model: the embedding losses, their
/// Matryoshka, cached (GradCache) and adaptive-layer wrappers, the token-level objectives (MLM, MNTP, causal LM, TSDAE)
/// and the frozen teacher or guide models some of them consult. <see cref="TrainingRun"/> picks one per run.
/// </summary>
public static class LossFactory
{
    /// <summary>
    /// The loss named by <c>loss.type</c> for <paramref name="model"/> (causal_lm with the config's length and prompt
    /// format). The frozen models it loads (a teacher, a guide) go to <paramref name="frozen"/>, whose owner disposes
    /// them when the run is done; without it nothing disposes them.
    /// </summary>
    public static ILoss CreateLoss(TrainingConfig config, TrainableEncoder model, FrozenModels? frozen = null)
    {
        if (config.Loss.Type == "bge_m3") return BgeM3(config.Loss, model, config.Training.Seed);
        if (config.Loss.Type != "causal_lm") return CreateLoss(config.Loss, model, frozen);
        if (model.Source.IsStatic) throw new TrainingException("loss.type causal_lm needs a decoder, not a static model");
        try
        {
            return new CausalLmLoss(model, config.Loss.MaxSeqLength ?? model.Model.MaxSeqLength, addSpecialPrefix: TrainingRun.ChatFormat(config) is null);
        }
        catch (ArgumentException e)
        {
            throw new TrainingException(e.Message, e);
        }
    }

    // BGE-M3's unified fine-tuning; new heads (a base without them) are drawn from the run's seed.
    private static BgeM3Loss BgeM3(LossSection l, TrainableEncoder model, ulong seed)
    {
        try
        {
            return new BgeM3Loss(model, l.Temperature, l.UnifiedFinetuning, l.UseSelfDistill, l.SelfDistillStartStep, l.KdLossType == "m3_kd_loss",
                l.ColbertDim, seed)
            {
                QueryMaxLength = l.QueryMaxLen,
                PassageMaxLength = l.PassageMaxLen,
                MiniBatchSize = l.Cached ? l.MiniBatchSize : null,
            };
        }
        catch (ModelFormatException e)
        {
            throw new TrainingException($"loss.type bge_m3: {e.Message}", e);
        }
    }

    /// <summary>The loss named by <c>loss.type</c> for <paramref name="model"/>; frozen models it loads go to <paramref name="frozen"/>.</summary>
    public static ILoss CreateLoss(LossSection l, TrainableEncoder model, FrozenModels? frozen = null)
    {
        if (ColbertLoss.IsColbert(l.Type))
        {
            if (model.Model.LateInteraction is null)
                throw new TrainingException($"{model.Source.Path}: loss.type {l.Type} trains a ColBERT (one vector per token); set model.type: colbert (or start from a PyLate folder)");
            return ColbertLoss.Create(l);
        }
        if (l.Type == "bge_m3") return BgeM3(l, model, 42);
        if (l.AdaptiveLayer)
        {
            if (!model.Model.Transformer.ReportsHiddenStates || model.Model.IsSparse || model.Model.StaticQuery is not null)
                throw new TrainingException($"loss.adaptive_layer needs a dense model on a BERT, XLM-R, ModernBERT, Llama-family or Gemma transformer, not {model.Source.Path} " +
                    (model.Model.IsSparse || model.Model.StaticQuery is not null ? "(a sparse encoder)" : $"({model.Config.ModelType})"));
            if (CreateLoss(l, model.Dimension, frozen) is not IEmbeddingLoss inner)
                throw new TrainingException($"loss.adaptive_layer takes a loss over embeddings, not loss.type {l.Type}");
            return new AdaptiveLayerLoss(inner, l.LayersPerStep, l.LastLayerWeight, l.PriorLayersWeight, l.KlDivWeight, l.KlTemperature);
        }
        if (l.Cached && l.Type == "csr") // GradCache at the autoencoder's input: the chain in chunks, the autoencoder over the batch
            return CreateLoss(l, model.Dimension, frozen) is CsrLoss csr ? new CsrLoss(csr.Inner, csr.Beta, csr.Gamma) { MiniBatchSize = l.MiniBatchSize }
                : throw new TrainingException("loss.type csr: no CSRLoss");
        if (l.Cached && l.Type == "gist") // CachedGISTEmbedLoss: the guide embeds each batch, the student in chunks
            return CreateLoss(l, model.Dimension, frozen) is GistEmbedLoss gist ? new CachedLoss(gist.Guided, gist.Name, l.MiniBatchSize)
                : throw new TrainingException("loss.type gist: no GISTEmbedLoss");
        if (l.Cached && !l.CrossEncoder)
        {
            if (l.Type is "mlm" or "mntp" or "causal_lm" or "tsdae" or "contrastive_tension" or "contrastive_tension_pairs" || CreateLoss(l, model.Dimension, frozen) is not IEmbeddingLoss inner)
                throw new TrainingException($"loss.cached takes a loss over embeddings (mnrl, cosent, matryoshka, splade, ...), not loss.type {l.Type}" +
                    (l.Type == "cached_mnrl" ? " (it is cached already)" : ""));
            return new CachedLoss(inner, l.MiniBatchSize);
        }
        if (!l.CrossEncoder && l.Type is not ("mlm" or "mntp" or "tsdae" or "contrastive_tension" or "contrastive_tension_pairs")) return CreateLoss(l, model.Dimension, frozen);
        if (model.Source.IsStatic) throw new TrainingException($"loss.type {l.Type} needs a transformer, not a static model");
        try
        {
            ILoss loss = l.Type switch
            {
                "mlm" => new MaskedLanguageModelingLoss(model, l.MaskProbability ?? 0.15f, seed: 42),
                "bce" => new BinaryCrossEntropyLoss(model, l.PosWeight, seed: 42, numLabels: l.NumLabels ?? 1),
                "ce_mnrl" => new CrossEncoderMnrlLoss(model, l.NumNegatives, l.Scale, seed: 42),
                "cross_entropy" => new CrossEncoderCrossEntropyLoss(model, l.NumLabels, seed: 42),
                _ when l.CrossEncoder => RankingLosses.Create(l, model),
                "tsdae" => new DenoisingAutoEncoderLoss(model, l.DeletionRatio, seed: 42, l.TieEncoderDecoder, l.Decoder),
                "contrastive_tension" => new ContrastiveTensionLoss(model, l.Scale),
                "contrastive_tension_pairs" => new ContrastiveTensionPairsLoss(model, l.PosNegRatio),
                _ => new MaskedNextTokenLoss(model, l.MaskProbability ?? 0.2f, l.MaskCollator == "all_mask"),
            };
            if (loss is CrossEncoderLoss crossEncoder && l.Cached) crossEncoder.MiniBatchSize = l.MiniBatchSize; // GradCache over the pairs
            return loss;
        }
        catch (ArgumentException e)
        {
            throw new TrainingException(e.Message, e);
        }
        catch (ModelFormatException e) when (l.CrossEncoder || l.Type == "tsdae")
        {
            throw new TrainingException($"loss.type {l.Type}: {e.Message}", e);
        }
    }

    /// <summary>The embedding loss named by <c>loss.type</c>; frozen models it loads go to <paramref name="frozen"/>.</summary>
    public static ILoss CreateLoss(LossSection l, int dimension, FrozenModels? frozen = null) => l.Type switch
    {
        "mnrl" => new MultipleNegativesRankingLoss(l.Scale, l.Symmetric),
        "cached_mnrl" => new CachedMultipleNegativesRankingLoss(l.Scale, l.MiniBatchSize),
        "triplet" => new TripletLoss(l.Margin),
        "cosent" => new CoSENTLoss(l.Scale),
        "cosine_similarity" => new CosineSimilarityLoss(),
        "mega_batch_margin" => new MegaBatchMarginLoss(l.PositiveMargin, l.NegativeMargin),
        "batch_hard_triplet" => new BatchTripletLoss(BatchTripletMode.Hard, l.Margin),
        "batch_hard_soft_margin_triplet" => new BatchTripletLoss(BatchTripletMode.HardSoftMargin),
        "batch_all_triplet" => new BatchTripletLoss(BatchTripletMode.All, l.Margin),
        "batch_semi_hard_triplet" => new BatchTripletLoss(BatchTripletMode.SemiHard, l.Margin),
        "softmax" => new SoftmaxLoss(dimension, l.NumLabels ?? throw new TrainingException("loss.type softmax needs loss.num_labels (the classes of the label column: 3 for NLI)")),
        "angle" => new AnglELoss(l.Scale),
        "contrastive" => new ContrastiveLoss(l.Margin),
        "online_contrastive" => new OnlineContrastiveLoss(l.Margin),
        "margin_mse" => new MarginMseLoss(),
        "distill_kl" => new DistillKLDivLoss(l.Temperature),
        "mse" => new MseLoss(Frozen(l.Teacher ?? throw new TrainingException("loss.type mse needs loss.teacher"), "loss.teacher", dimension, frozen)),
        "gist" => new GistEmbedLoss(Frozen(l.Guide ?? throw new TrainingException("loss.type gist needs loss.guide"), "loss.guide", null, frozen),
            1f / l.Scale, l.Margin, l.MarginStrategy == "relative", l.ContrastAnchors, l.ContrastPositives),
        "simcse" => new SimCseLoss(new MultipleNegativesRankingLoss(l.Scale)),
        "matryoshka" => new MatryoshkaLoss(Inner(l), MatryoshkaDims(l, dimension), l.MatryoshkaWeights?.ToArray()),
        "csr" => new CsrLoss(l.CsrInner switch
            {
                "margin_mse" => new MarginMseLoss(),
                "distill_kl" => new DistillKLDivLoss(l.Temperature),
                _ => new MultipleNegativesRankingLoss(l.Scale, l.Symmetric, dot: l.CsrSimilarity == "dot"),
            }, l.CsrBeta, l.CsrGamma),
        "splade" => new SpladeLoss(l.SpladeInner switch
            {
                "margin_mse" => new MarginMseLoss(),
                "distill_kl" => new DistillKLDivLoss(l.Temperature),
                _ => new MultipleNegativesRankingLoss(l.Scale, l.Symmetric, dot: true),
            },
            l.DocumentRegularizerWeight, l.DocumentRegularizerOnly ? null : l.QueryRegularizerWeight, l.DocumentRegularizerOnly,
            l.DocumentRegularizerThreshold, l.QueryRegularizerThreshold),
        _ => throw new TrainingException($"loss.type '{l.Type}' is not supported"),
    };

    /// <summary>
    /// A frozen model the loss consults (<c>loss.teacher</c> of mse, <c>loss.guide</c> of gist): its embeddings of a
    /// batch's texts (no prompt), by the inference engine; <paramref name="dimension"/>: the width it must have, if any.
    /// The model goes to <paramref name="owner"/> to be disposed when the run is done (one of the wrong width at once).
    /// </summary>
    private static Func<IReadOnlyList<string>, float[][]> Frozen(string folder, string key, int? dimension, FrozenModels? owner)
    {
        if (!Directory.Exists(folder)) throw new TrainingException($"{folder}: {key} model folder not found");
        SentenceEncoder frozen;
        try
        {
            frozen = SentenceEncoder.Load(folder);
        }
        catch (ModelFormatException e)
        {
            throw new TrainingException($"{key}: {e.Message}", e);
        }
        if (dimension is int d && frozen.Dimension != d)
        {
            frozen.Dispose();
            throw new TrainingException($"{key} {folder} makes {frozen.Dimension}-d embeddings, the student {d}-d (MSE distillation needs the same width)");
        }
        owner?.Add(frozen);
        return texts => frozen.Encode(texts);
    }

    private static IEmbeddingLoss Inner(LossSection l) => l.MatryoshkaInner switch
    {
        "cosent" => new CoSENTLoss(l.Scale),
        "triplet" => new TripletLoss(l.Margin),
        "margin_mse" => new MarginMseLoss(),
        "angle" => new AnglELoss(l.Scale),
        _ => new MultipleNegativesRankingLoss(l.Scale, l.Symmetric),
    };

    /// <summary>The widths MatryoshkaLoss trains: <c>loss.matryoshka_dims</c>, or the full width and its halves down to 1/8.</summary>
    public static int[] MatryoshkaDims(LossSection l, int dimension)
    {
        ArgumentNullException.ThrowIfNull(l);
        if (l.MatryoshkaDims is { } dims)
        {
            foreach (int d in dims)
            {
                if (d > dimension) throw new TrainingException($"loss.matryoshka_dims: {d} is wider than the model's {dimension} dimensions");
            }
            return [.. dims];
        }
        return new[] { dimension, dimension / 2, dimension / 4, dimension / 8 }.Where(d => d >= 1).Distinct().ToArray();
    }

    /// <summary>Unsupervised SimCSE: each text of column 0 paired with itself; dropout makes the two views differ.</summary>
    private sealed class SimCseLoss(MultipleNegativesRankingLoss inner) : ILoss
    {
        public string Name => "simcse";

        public bool SpansRanks => true;

        public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f) =>
            inner.ComputeAndBackward(model, UnsupervisedSimCse.Pairs(batch.Columns[0]), gradientScale);
    }
}
