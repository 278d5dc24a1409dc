using System.Globalization;
using System.Text;
using Skald.Models.Modules;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Output;

/// <summary>
/// The model card (<c>README.md</c>) in the shape sentence-transformers' trainer writes: YAML front matter (base model,
/// tags, library), model description, full architecture, usage, evaluation metrics, training dataset, loss,
/// non-default hyper-parameters, training logs and framework versions.
/// </summary>
public static class ModelCard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Builds the card text for a finished run.</summary>
    public static string Build(TrainerSetup setup, IReadOnlyList<Dictionary<string, double>> logs,
        IReadOnlyDictionary<string, double> finalMetrics, TrainerState state, int steps)
    {
        var c = setup.Config;
        string baseModel = c.Model.Path.Length > 0 && !Directory.Exists(c.Model.Path) && Skald.Hub.HubId.TryParse(c.Model.Path) is { } hubId
            ? hubId.Repo
            : c.Model.Path.Length > 0
            ? Path.GetFileName(Path.GetFullPath(c.Model.Path).TrimEnd('/', '\\'))
            : $"a new StaticEmbedding over {Path.GetFileName(c.Model.Tokenizer)}";
        string name = c.Output.ModelName ?? $"{(setup.Model.Source.Llm2Vec is null ? "SentenceTransformer" : "LLM2Vec model")} based on {baseModel}";
        int rows = setup.Train.Sum(d => d.Count);
        string lossName = c.Loss.AdaptiveLayer ? (c.Loss.Type == "matryoshka" ? "Matryoshka2dLoss" : "AdaptiveLayerLoss")
            : c.Loss.Cached && c.Loss.Type == "ce_mnrl" ? "CachedMultipleNegativesRankingLoss (cross-encoder)" : LossClass(c.Loss.Type);
        var sb = new StringBuilder();
        if (setup.Loss is CrossEncoders.CrossEncoderLoss crossEncoder)
        {
            string title = c.Output.ModelName ?? $"CrossEncoder based on {baseModel}";
            CrossEncoders.CrossEncoderCard.WriteIntro(sb, setup, crossEncoder, baseModel, c.Output.ModelName, rows, lossName, finalMetrics.Keys,
                ModelIndex.Yaml(title, setup.Evaluators, finalMetrics));
        }
        else WriteIntro(sb, setup, baseModel, name, rows, lossName, finalMetrics.Keys, ModelIndex.Yaml(name, setup.Evaluators, finalMetrics));
        sb.AppendLine("## Evaluation");
        sb.AppendLine();
        sb.AppendLine("### Metrics");
        sb.AppendLine();
        if (finalMetrics.Count == 0) sb.AppendLine("No evaluator was configured.");
        else
        {
            sb.AppendLine("| Metric | Value |");
            sb.AppendLine("|:-------|:------|");
            foreach (var (k, v) in finalMetrics) sb.AppendLine($"| {k} | {v.ToString("F4", Inv)} |");
            if (state.BestMetric is { } best)
                sb.AppendLine().AppendLine($"Best `{state.BestMetricName}`: {best.ToString("F4", Inv)} at step {state.BestStep}" +
                                           (c.Evaluation.LoadBestModelAtEnd ? " (these weights were saved)." : "."));
        }
        sb.AppendLine();
        sb.AppendLine("## Training Details");
        sb.AppendLine();
        sb.AppendLine("### Training Dataset");
        sb.AppendLine();
        var shortNames = DatasetNames.Short([.. setup.Train.Select(d => d.Name)]);
        foreach (var (d, shortName) in setup.Train.Zip(shortNames))
        {
            sb.AppendLine($"#### {shortName}");
            sb.AppendLine();
            sb.AppendLine($"* Size: {d.Count:N0} training samples");
            sb.AppendLine($"* Columns: {string.Join(", ", d.Columns.Concat(d.LabelColumn is null ? [] : [d.LabelColumn]).Select(x => $"<code>{x}</code>"))}");
            sb.AppendLine($"* Loss: <code>{lossName}</code> with these parameters:");
            sb.AppendLine("  ```json");
            sb.AppendLine($"  {LossParameters(c.Loss, setup.Model.Dimension)}");
            sb.AppendLine("  ```");
            sb.AppendLine();
        }
        if (BgeM3HeadFiles.Note(setup) is { } heads)
        {
            sb.AppendLine("### BGE-M3 heads");
            sb.AppendLine();
            sb.AppendLine(heads);
            sb.AppendLine();
        }
        CardHyperparameters.Write(sb, c, steps, setup.Communicator.Size, setup.Evaluators.Count > 0);
        sb.AppendLine("### Training Logs");
        sb.AppendLine();
        var evalKeys = logs.SelectMany(r => r.Keys).Where(k => k.StartsWith("eval_", StringComparison.Ordinal)).Distinct().ToList();
        sb.AppendLine("| Epoch | Step | Training Loss | " + string.Join(" | ", evalKeys) + (evalKeys.Count > 0 ? " |" : ""));
        sb.AppendLine("|:-----:|:----:|:-------------:|" + string.Concat(evalKeys.Select(_ => ":------:|")));
        foreach (var r in logs.TakeLast(50))
        {
            string Cell(string k) => r.TryGetValue(k, out var v) ? v.ToString("F4", Inv) : "-";
            sb.AppendLine($"| {Cell("epoch")} | {(int)r["step"]} | {Cell("loss")} | " + string.Join(" | ", evalKeys.Select(Cell)) + (evalKeys.Count > 0 ? " |" : ""));
        }
        sb.AppendLine();
        sb.AppendLine("### Framework Versions");
        sb.AppendLine($"- Skald: {typeof(ModelCard).Assembly.GetName().Version?.ToString(3) ?? "0.1.0"}");
        sb.AppendLine($"- .NET: {Environment.Version}");
        sb.AppendLine(setup.Model.Source.Llm2Vec is null
            ? $"- Format: sentence-transformers {ModelSaver.SentenceTransformersVersion} folder layout"
            : setup.Model is Modeling.TrainableEncoder { Lora: not null, SaveMerged: false }
                ? "- Format: peft adapter folder with LLM2Vec's llm2vec_config.json"
                : "- Format: transformers model folder with LLM2Vec's llm2vec_config.json");
        return sb.ToString();
    }

    /// <summary>The front matter, description, architecture and usage of an embedding model's card.</summary>
    private static void WriteIntro(StringBuilder sb, TrainerSetup setup, string baseModel, string name, int rows, string lossName,
        IEnumerable<string> metrics, string? modelIndex)
    {
        var src = setup.Model.Source;
        var llm2vec = src.Llm2Vec;
        var trained = setup.Model as Modeling.TrainableEncoder;
        bool adapterFolder = trained is { Lora: not null, SaveMerged: false };
        // An LLM2Vec folder is no sentence-transformers model (loaded as one it runs causally): the hub is told the library
        // that reads its files, peft for an adapter, transformers for merged weights, so its "use this model" snippet is not
        // a SentenceTransformer load that embeds otherwise.
        string library = llm2vec is null ? "sentence-transformers" : adapterFolder ? "peft" : "transformers";
        string[] kindTags = llm2vec is null
            ? ["sentence-transformers", "sentence-similarity", "feature-extraction"]
            : ["llm2vec", "sentence-similarity", "feature-extraction"];
        FrontMatter(sb, baseModel, "sentence-similarity", kindTags, rows, lossName, metrics, modelIndex, library);
        sb.AppendLine($"# {name}");
        sb.AppendLine();
        sb.AppendLine($"This is {(llm2vec is null ? "a [sentence-transformers](https://www.SBERT.net)" : "an [LLM2Vec](https://github.com/McGill-NLP/llm2vec)")} " +
                      $"model finetuned from `{baseModel}` with Skald " +
                      $"on {rows:N0} training rows. It maps sentences & paragraphs to a {setup.Model.Dimension}-dimensional dense vector " +
                      "space and can be used for semantic textual similarity, semantic search, paraphrase mining, text classification, " +
                      "clustering, and more.");
        sb.AppendLine();
        sb.AppendLine("## Model Details");
        sb.AppendLine();
        sb.AppendLine("### Model Description");
        sb.AppendLine(llm2vec is null ? "- **Model Type:** Sentence Transformer" : "- **Model Type:** LLM2Vec (a decoder with bidirectional attention)");
        sb.AppendLine($"- **Base model:** `{baseModel}`");
        if (trained is { SourceAdapters: { Count: > 0 } merged } && !adapterFolder)
        {
            // a whole model (a full fine-tune, or lora.save: merged): the earlier adapters are in its weights already
            sb.AppendLine($"- **Adapters merged into the base before training:** {string.Join(", ", merged.Select(a => $"`{a}`"))}, in this order; " +
                          "they are in this folder's weights, which load alone");
        }
        if (adapterFolder && trained!.Lora!.BaseAdapters is { Count: > 0 } earlier)
        {
            // peft records only the base; without these the adapter loads onto the wrong weights
            sb.AppendLine($"- **Adapters merged into the base before training:** {string.Join(", ", earlier.Select(a => $"`{a}`"))}, in this order: " +
                          $"apply them before this adapter (`skald encode --model BASE --adapters {string.Join(',', earlier)},path/to/this/folder`; " +
                          $"Skald reads them from `{Models.Adapters.AdapterBase.ChainFile}` when this folder is given as the model; with peft, " +
                          "load each onto the base and `merge_and_unload()` in turn, then load this adapter)");
        }
        // sentence-transformers' card gives the first module's max_seq_length; a static model reads every token (it has none)
        if (trained is not null && !src.IsStatic) sb.AppendLine($"- **Maximum Sequence Length:** {trained.MaxSeqLength} tokens");
        sb.AppendLine($"- **Output Dimensionality:** {setup.Model.Dimension} dimensions");
        sb.AppendLine($"- **Similarity Function:** {SimilarityName(src.Similarity)}");
        sb.AppendLine($"- **Training Dataset{(setup.Train.Count > 1 ? "s" : "")}:** {string.Join(", ", DatasetNames.Short([.. setup.Train.Select(d => d.Name)]))}");
        sb.AppendLine();
        sb.AppendLine("### Full Model Architecture");
        sb.AppendLine();
        if (llm2vec is not null)
        {
            // the max_length the saved llm2vec_config.json holds (ModelSaver.WriteLlm2VecConfig): what the model reads
            Llm2VecCard.WriteArchitecture(sb, llm2vec.ModelType ?? trained?.Config.ModelType,
                trained is null ? llm2vec : llm2vec with { MaxLength = trained.MaxSeqLength });
            sb.AppendLine();
            sb.AppendLine("## Usage");
            sb.AppendLine();
            Llm2VecCard.WriteUsage(sb, baseModel, adapterFolder, trained?.Lora?.BaseAdapters ?? [], trained?.QueryInstruction);
            return;
        }
        sb.AppendLine("```");
        sb.AppendLine("SentenceTransformer(");
        // str(model) as sentence-transformers prints it: each module's repr of its config dict (models/Transformer.py,
        // Pooling.py, Dense.py __repr__ at 85ec64559f4414aa536eca4bf53538291e0a333f)
        if (src.IsStatic) sb.AppendLine($"  (0): StaticEmbedding({{'embedding_dim': {setup.Model.Dimension}}})");
        else if (trained is null) sb.AppendLine("  (0): Transformer()");
        else sb.AppendLine($"  (0): Transformer({{'max_seq_length': {trained.MaxSeqLength}, 'do_lower_case': {CardHyperparameters.Py(src.DoLowerCase)}, " +
                           $"'architecture': '{Skald.Models.Architectures.AutoModelClass.ForFolder(src.TransformerPath, trained.Config.ModelType)}'}})");
        if (!src.IsStatic && (trained?.Model.Pooling ?? src.Pooling) is { } pool)
            sb.AppendLine($"  (1): Pooling({{'word_embedding_dimension': {pool.Dimension}, " + string.Join(", ",
                new[] { PoolingMode.Cls, PoolingMode.Mean, PoolingMode.Max, PoolingMode.MeanSqrtLen, PoolingMode.WeightedMean, PoolingMode.LastToken }
                    .Select(m => $"'{PoolingConfig.Keys.Single(k => k.Mode == m).Key}': {CardHyperparameters.Py(pool.Modes.HasFlag(m))}")) +
                $", 'include_prompt': {CardHyperparameters.Py(pool.IncludePrompt)}}})");
        int idx = src.IsStatic ? 1 : 2;
        if (trained is not null)
        {
            foreach (var d in trained.Model.Dense)
                sb.AppendLine($"  ({idx++}): Dense({{'in_features': {d.InFeatures}, 'out_features': {d.OutFeatures}, 'bias': {CardHyperparameters.Py(d.Bias is not null)}, " +
                              $"'activation_function': '{d.ActivationFunction}'}})");
        }
        else foreach (var d in src.DensePaths) sb.AppendLine($"  ({idx++}): Dense('{Path.GetFileName(d)}')");
        if (src.Normalize) sb.AppendLine($"  ({idx}): Normalize()");
        sb.AppendLine(")");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("## Usage");
        sb.AppendLine();
        sb.AppendLine("### Direct Usage (Sentence Transformers)");
        sb.AppendLine();
        sb.AppendLine("```python");
        sb.AppendLine("from sentence_transformers import SentenceTransformer");
        sb.AppendLine();
        sb.AppendLine("model = SentenceTransformer(\"path/to/this/folder\")");
        sb.AppendLine("embeddings = model.encode([\"Hvor ligger legekontoret?\", \"Legekontoret ligger i sentrum.\"])");
        sb.AppendLine("similarities = model.similarity(embeddings, embeddings)");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("### Direct Usage (Skald)");
        sb.AppendLine();
        sb.AppendLine("```csharp");
        sb.AppendLine("var model = Skald.Models.SentenceEncoder.Load(\"path/to/this/folder\");");
        sb.AppendLine("float[][] embeddings = model.Encode([\"Hvor ligger legekontoret?\", \"Legekontoret ligger i sentrum.\"]);");
        sb.AppendLine("```");
        sb.AppendLine();
    }

    /// <summary>
    /// The YAML front matter of a card as sentence-transformers writes it: base model (only a hub id, as
    /// sentence-transformers writes it only for a model on the hub: a local folder's name would make the hub refuse the
    /// card on upload), library, pipeline tag, the kind's tags with the trainer's, and the metric names; then a blank line.
    /// </summary>
    internal static void FrontMatter(StringBuilder sb, string baseModel, string pipelineTag, IEnumerable<string> kindTags, int rows, string lossName,
        IEnumerable<string> metrics, string? modelIndex, string library = "sentence-transformers")
    {
        sb.AppendLine("---");
        if (Skald.Hub.HubId.IsRepoId(baseModel)) sb.AppendLine($"base_model: {baseModel}"); // the hub refuses a card whose base_model is no model id
        sb.AppendLine($"library_name: {library}");
        sb.AppendLine($"pipeline_tag: {pipelineTag}");
        sb.AppendLine("tags:");
        foreach (var tag in kindTags.Concat(["generated_from_trainer", $"dataset_size:{rows}", $"loss:{lossName}", "skald"]))
            sb.AppendLine($"- {tag}");
        if (metrics.Any())
        {
            sb.AppendLine("metrics:");
            foreach (var k in metrics) sb.AppendLine($"- {k}");
        }
        if (modelIndex is not null) sb.Append(modelIndex.ReplaceLineEndings(Environment.NewLine));
        sb.AppendLine("---");
        sb.AppendLine();
    }

    /// <summary>sentence-transformers' class name for a config loss type.</summary>
    public static string LossClass(string type) => type switch
    {
        "mnrl" => "MultipleNegativesRankingLoss",
        "cached_mnrl" => "CachedMultipleNegativesRankingLoss",
        "triplet" => "TripletLoss",
        "cosent" => "CoSENTLoss",
        "angle" => "AnglELoss",
        "contrastive" => "ContrastiveLoss",
        "online_contrastive" => "OnlineContrastiveLoss",
        "margin_mse" => "MarginMSELoss",
        "mse" => "MSELoss (distilled from a teacher)",
        "gist" => "GISTEmbedLoss",
        "simcse" => "MultipleNegativesRankingLoss (unsupervised SimCSE)",
        "matryoshka" => "MatryoshkaLoss",
        "bce" => "BinaryCrossEntropyLoss",
        "ce_mnrl" => "MultipleNegativesRankingLoss (cross-encoder)",
        "cross_entropy" => "CrossEntropyLoss",
        "splade" => "SpladeLoss",
        "distill_kl" => "DistillKLDivLoss",
        "bge_m3" => "EncoderOnlyEmbedderM3Model (FlagEmbedding)",
        "tsdae" => "DenoisingAutoEncoderLoss",
        "mega_batch_margin" => "MegaBatchMarginLoss",
        "contrastive_tension" => "ContrastiveTensionLossInBatchNegatives",
        "contrastive_tension_pairs" => "ContrastiveTensionLoss",
        "ce_mse" => "MSELoss (cross-encoder)",
        "ce_margin_mse" => "MarginMSELoss (cross-encoder)",
        "listnet" => "ListNetLoss",
        "listmle" => "ListMLELoss",
        "plistmle" => "PListMLELoss",
        "lambda" => "LambdaLoss",
        "ranknet" => "RankNetLoss",
        "softmax" => "SoftmaxLoss",
        "cosine_similarity" => "CosineSimilarityLoss",
        "batch_hard_triplet" => "BatchHardTripletLoss",
        "batch_hard_soft_margin_triplet" => "BatchHardSoftMarginTripletLoss",
        "batch_semi_hard_triplet" => "BatchSemiHardTripletLoss",
        "batch_all_triplet" => "BatchAllTripletLoss",
        "csr" => "CSRLoss",
        _ => type,
    };

    private static string SchemeClass(Config.LossSection l) => "sentence_transformers.cross_encoder.losses.LambdaLoss." + l.WeightingScheme switch
    {
        "none" => "NoWeightingScheme",
        "ndcg_loss1" => "NDCGLoss1Scheme",
        "ndcg_loss2" => "NDCGLoss2Scheme",
        "lambda_rank" => "LambdaRankScheme",
        _ => $"NDCGLoss2PPScheme(mu={F(l.Mu)})",
    };

    private static string MiniBatch(Config.LossSection l) => l.Cached ? l.MiniBatchSize.ToString(Inv) : "null";

    private static string Activation(Config.LossSection l) =>
        l.Activation == "sigmoid" ? "torch.nn.modules.activation.Sigmoid" : "torch.nn.modules.linear.Identity";

    private static string LossParameters(Config.LossSection l, int dimension) => l.AdaptiveLayer
        ? $"{{\"loss\": \"{LossClass(l.Type)}\", \"n_layers_per_step\": {l.LayersPerStep.ToString(Inv)}, \"last_layer_weight\": {F(l.LastLayerWeight)}, " +
          $"\"prior_layers_weight\": {F(l.PriorLayersWeight)}, \"kl_div_weight\": {F(l.KlDivWeight)}, \"kl_temperature\": {F(l.KlTemperature)}}}"
        : InnerLossParameters(l, dimension);

    private static string InnerLossParameters(Config.LossSection l, int dimension) => l.Type switch
    {
        "ce_mnrl" => $"{{\"scale\": {F(l.Scale)}, \"num_negatives\": {(l.NumNegatives is int k ? k.ToString(Inv) : "null")}, \"activation_fn\": \"torch.nn.modules.activation.Sigmoid\"" +
                     (l.Cached ? $", \"mini_batch_size\": {l.MiniBatchSize.ToString(Inv)}}}" : "}"),
        "bce" => $"{{\"activation_fn\": \"torch.nn.modules.linear.Identity\", \"pos_weight\": {(l.PosWeight == 1f ? "null" : F(l.PosWeight))}}}",
        "cross_entropy" => "{\"activation_fn\": \"torch.nn.modules.linear.Identity\"}",
        "ce_mse" or "ce_margin_mse" => $"{{\"activation_fn\": \"{Activation(l)}\"}}",
        "listnet" => $"{{\"activation_fn\": \"{Activation(l)}\", \"mini_batch_size\": {MiniBatch(l)}}}",
        "listmle" or "plistmle" => $"{{\"activation_fn\": \"{Activation(l)}\", \"mini_batch_size\": {MiniBatch(l)}, \"respect_input_order\": {B(l.RespectInputOrder)}}}",
        "lambda" or "ranknet" => $"{{{(l.Type == "lambda" ? $"\"weighting_scheme\": \"{SchemeClass(l)}\", " : "")}\"k\": {(l.K is int k2 ? k2.ToString(Inv) : "null")}, " +
                                 $"\"sigma\": {F(l.Sigma)}, \"reduction_log\": \"{l.ReductionLog}\", \"activation_fn\": \"{Activation(l)}\", \"mini_batch_size\": {MiniBatch(l)}}}",
        "mnrl" or "simcse" => $"{{\"scale\": {F(l.Scale)}, \"similarity_fct\": \"cos_sim\", \"symmetric\": {B(l.Symmetric)}}}",
        "cached_mnrl" => $"{{\"scale\": {F(l.Scale)}, \"similarity_fct\": \"cos_sim\", \"mini_batch_size\": {l.MiniBatchSize}}}",
        "triplet" => $"{{\"distance_metric\": \"TripletDistanceMetric.EUCLIDEAN\", \"triplet_margin\": {F(l.Margin)}}}",
        "cosent" => $"{{\"scale\": {F(l.Scale)}, \"similarity_fct\": \"pairwise_cos_sim\"}}",
        "angle" => $"{{\"scale\": {F(l.Scale)}, \"similarity_fct\": \"pairwise_angle_sim\"}}",
        "contrastive" => $"{{\"distance_metric\": \"SiameseDistanceMetric.COSINE_DISTANCE\", \"margin\": {F(l.Margin)}, \"size_average\": true}}",
        "online_contrastive" => $"{{\"distance_metric\": \"SiameseDistanceMetric.COSINE_DISTANCE\", \"margin\": {F(l.Margin)}}}",
        "margin_mse" => "{\"similarity_fct\": \"pairwise_dot_score\"}",
        "mse" => "{}",
        "contrastive_tension" => $"{{\"scale\": {F(l.Scale)}, \"similarity_fct\": \"cos_sim\"}}",
        "contrastive_tension_pairs" => $"{{\"pos_neg_ratio\": {l.PosNegRatio.ToString(Inv)}}}",
        "mega_batch_margin" => $"{{\"positive_margin\": {F(l.PositiveMargin)}, \"negative_margin\": {F(l.NegativeMargin)}, \"use_mini_batched_version\": false}}",
        "tsdae" => $"{{\"decoder_name_or_path\": {(l.Decoder is null ? "null" : System.Text.Json.JsonSerializer.Serialize(l.Decoder))}, \"tie_encoder_decoder\": {B(l.TieEncoderDecoder)}, \"del_ratio\": {F(l.DeletionRatio)}}}",
        "distill_kl" => $"{{\"similarity_fct\": \"pairwise_dot_score\", \"temperature\": {F(l.Temperature)}}}",
        "bge_m3" => $"{{\"temperature\": {F(l.Temperature)}, \"unified_finetuning\": {B(l.UnifiedFinetuning)}, \"use_self_distill\": {B(l.UseSelfDistill)}, " +
                    $"\"self_distill_start_step\": {l.SelfDistillStartStep.ToString(Inv)}, \"kd_loss_type\": \"{l.KdLossType}\"}}",
        "splade" => $"{{\"loss\": \"{l.SpladeInner switch { "margin_mse" => "SparseMarginMSELoss", "distill_kl" => $"SparseDistillKLDivLoss(temperature={F(l.Temperature)})", _ => $"SparseMultipleNegativesRankingLoss(scale={F(l.Scale)}, similarity_fct='dot_score')" }}\", " +
                    $"\"document_regularizer_weight\": {F(l.DocumentRegularizerWeight)}" +
                    (l.DocumentRegularizerThreshold is int dt ? $", \"document_regularizer_threshold\": {dt}" : "") +
                    (l.QueryRegularizerThreshold is int qt ? $", \"query_regularizer_threshold\": {qt}" : "") +
                    (l.DocumentRegularizerOnly ? ", \"use_document_regularizer_only\": true}" : $", \"query_regularizer_weight\": {F(l.QueryRegularizerWeight)}}}"),
        "gist" => $"{{\"temperature\": {F(1f / l.Scale)}, \"margin_strategy\": \"{l.MarginStrategy}\", \"margin\": {F(l.Margin)}, " +
                  $"\"contrast_anchors\": {B(l.ContrastAnchors)}, \"contrast_positives\": {B(l.ContrastPositives)}}}",
        // The widths and weights trained, as sentence-transformers lists them (the defaults written out, not []).
        "matryoshka" => $"{{\"loss\": \"{LossClass(l.MatryoshkaInner)}\", \"matryoshka_dims\": [{string.Join(", ", Trainer.LossFactory.MatryoshkaDims(l, dimension))}], " +
             $"\"matryoshka_weights\": [{string.Join(", ", (l.MatryoshkaWeights ?? Trainer.LossFactory.MatryoshkaDims(l, dimension).Select(_ => 1f).ToList()).Select(F))}]}}",
        "softmax" => $"{{\"num_labels\": {(l.NumLabels ?? 0).ToString(Inv)}}}",
        "cosine_similarity" => "{\"loss_fct\": \"torch.nn.modules.loss.MSELoss\"}",
        "batch_hard_triplet" or "batch_semi_hard_triplet" or "batch_all_triplet" => $"{{\"margin\": {F(l.Margin)}}}",
        "csr" => $"{{\"loss\": \"{LossClass(l.CsrInner)}\", \"beta\": {F(l.CsrBeta)}, \"gamma\": {F(l.CsrGamma)}}}",
        "mlm" => $"{{\"mask_probability\": {F(l.MaskProbability ?? 0.15f)}}}",
        "mntp" => $"{{\"mask_probability\": {F(l.MaskProbability ?? 0.2f)}, \"mask_collator\": \"{l.MaskCollator}\"}}",
        "causal_lm" => $"{{\"max_seq_length\": {(l.MaxSeqLength is int n ? n.ToString(Inv) : "null")}}}",
        _ => "{}", // (batch_hard_soft_margin_triplet: no parameter)
    };

    private static string F(float v) => v.ToString("R", Inv);

    private static string B(bool v) => v ? "true" : "false";

    private static string SimilarityName(SimilarityFunction f) => f switch
    {
        SimilarityFunction.Cosine => "Cosine Similarity",
        SimilarityFunction.Dot => "Dot Product",
        SimilarityFunction.Euclidean => "Euclidean Distance",
        _ => "Manhattan Distance",
    };
}
