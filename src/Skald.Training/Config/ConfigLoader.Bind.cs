namespace Skald.Training.Config;

// ConfigLoader, continued: binding the read sections into a TrainingConfig, each key with its default and bounds.
public static partial class ConfigLoader
{
    private static TrainingConfig Bind(Dictionary<string, Dictionary<string, ConfigEntry>> tree, string origin)
    {
        SectionReader S(string name) => new(name, tree.TryGetValue(name, out var k) ? k : [], origin);

        var m = S("model");
        string modelType = m.Choice("type", "transformer", "transformer", "static", "splade", "csr", "colbert");
        var model = new ModelSection(m.Path("path") ?? "", m.Float("dropout", 0.1f, 0, 1))
        {
            Type = modelType, Tokenizer = m.Path("tokenizer"), Dimension = m.Int("dim", 256, 1), Normalize = m.Bool("normalize", true),
            Adapters = m.PathList("adapters"), AdaptersWhere = m.Where("adapters"), PathWhere = m.Where("path"),
            Attention = m.Str("attention") is null ? null : m.Choice("attention", "causal", "causal", "bidirectional"),
            Weights = m.Choice("weights", "f32", "f32", "bf16", "f16", "int8", "auto"),
            PoolingStrategy = m.Choice("pooling_strategy", "max", "max", "sum"),
            ActivationFunction = m.Choice("activation_function", "relu", "relu", "log1p_relu"),
            InferenceFree = m.Bool("inference_free", false),
            CsrHiddenDim = m.IntOrNull("csr_hidden_dim", 1),
            CsrK = m.IntOrNull("csr_k", 1),
            CsrKAux = m.IntOrNull("csr_k_aux", 1),
            CsrDeadThreshold = m.Int("csr_dead_threshold", 30, 0),
            FreezeTransformer = m.Bool("freeze_transformer", false),
            MaxSeqLength = m.IntOrNull("max_seq_length", 2),
            Colbert = ColbertModelKeys.Read(m, modelType),
        };
        foreach (var key in new[] { "csr_hidden_dim", "csr_k", "csr_k_aux", "csr_dead_threshold" })
        {
            if (m.Str(key) is not null && modelType != "csr")
                throw new TrainingException($"{m.Where(key)}: model.{key} is the SparseAutoEncoder's (model.type: csr)");
        }
        foreach (var key in new[] { "pooling_strategy", "activation_function", "inference_free" })
        {
            if (m.Str(key) is not null && modelType != "splade")
                throw new TrainingException($"{m.Where(key)}: model.{key} is SpladePooling's (model.type: splade)");
        }
        if (model.Dropout >= 1) throw new TrainingException($"{m.Where("dropout")}: model.dropout must be below 1");
        if (modelType is "transformer" or "splade" or "csr" or "colbert")
        {
            if (model.Path.Length == 0) throw m.Missing("path");
            foreach (var key in new[] { "tokenizer", "dim", "normalize" })
            {
                if (m.Str(key) is not null)
                    throw new TrainingException($"{m.Where(key)}: model.{key} is for a new static model (model.type: static)");
            }
        }
        else if ((model.Path.Length == 0) == (model.Tokenizer is null))
        {
            throw new TrainingException($"{m.Where("type")}: model.type static needs either model.path (an existing static model) " +
                "or model.tokenizer (and model.dim) for a new one");
        }
        m.Done();

        var d = S("data");
        var train = d.PathList("train", required: true);
        var data = new DataSection(train,
            d.Choice("sampling", "round_robin", "round_robin", "proportional"),
            d.IntOrNull("max_train_samples", 1),
            d.Path("eval"),
            d.Double("eval_split", 0, 0),
            d.IntOrNull("max_eval_samples", 1),
            d.NameList("columns") is { Count: > 0 } cols ? cols : null)
        {
            Instruction = d.Str("instruction"), PromptFormat = d.Choice("prompt_format", "auto", "auto", "alpaca", "chat_template"),
            TrainGroupSize = d.IntOrNull("train_group_size", 1), NoInBatchNeg = d.Bool("no_in_batch_neg", false), SameDatasetWithinBatch = d.Bool("same_dataset_within_batch", false),
            FlagEmbedding = FlagEmbeddingKeys.Read(d),
            SmallThreshold = d.Int("small_threshold", 0, 0), DropThreshold = d.Int("drop_threshold", 0, 0),
            Queries = d.Path("queries"), Documents = d.Path("documents"), NWays = d.Int("n_ways", 32, 1),
            EvalColumns = d.NameList("eval_columns") is { Count: > 0 } evalCols ? evalCols : null,
        };
        if (data.EvalColumns is not null && data.Eval is null) // (held-out rows are the training file's: data.columns picks them)
            throw new TrainingException($"{d.Where("eval_columns")}: data.eval_columns picks the columns of data.eval, which is not given" +
                (data.EvalSplit > 0 ? " (data.eval_split holds out training rows, whose columns data.columns picks)" : ""));
        if ((data.Queries is null) != (data.Documents is null)) // PyLate's KDProcessing takes both
            throw new TrainingException($"{d.Where(data.Queries is null ? "documents" : "queries")}: data.queries and data.documents go together (PyLate's KDProcessing: the texts the rows' query_id and document_ids name)");
        if (data.Queries is null && d.Str("n_ways") is not null)
            throw new TrainingException($"{d.Where("n_ways")}: data.n_ways is PyLate's KDProcessing's; it needs data.queries and data.documents");
        foreach (string key in new[] { "small_threshold", "drop_threshold" })
        {
            if (!data.SameDatasetWithinBatch && d.Str(key) is not null) // upstream reads them only in its same-dataset loader
                throw new TrainingException($"{d.Where(key)}: data.{key} is FlagEmbedding's option for batches of one file; it needs data.same_dataset_within_batch: true");
        }
        if (data.EvalSplit >= 1 && data.EvalSplit != Math.Floor(data.EvalSplit))
            throw new TrainingException($"{d.Where("eval_split")}: data.eval_split must be a fraction in (0, 1) or a whole number of rows");
        if (data.EvalSplit > 0 && data.Eval is not null) // (the split was ignored: only data.eval was evaluated)
            throw new TrainingException($"{d.Where("eval_split")}: data.eval_split holds out training rows for evaluation, and data.eval gives the evaluation rows already; set one of them");
        d.Done();

        var t = S("training");
        // transformers' num_train_epochs is a float: 0.5 trains half an epoch's steps (rounded up), 3.0 three passes
        double epochs = t.Double("epochs", 1, 0);
        if (epochs <= 0) throw new TrainingException($"{t.Where("epochs")}: training.epochs must be above 0, got {t.Str("epochs")}");
        if (epochs > int.MaxValue) throw new TrainingException($"{t.Where("epochs")}: training.epochs must be at most {int.MaxValue}, got {t.Str("epochs")}");
        var training = new TrainingSection
        {
            BatchSize = t.Int("batch_size", 32, 1),
            LearningRate = t.Float("learning_rate", 2e-5f, 0),
            Epochs = epochs,
            MaxSteps = t.Int("max_steps", -1, int.MinValue),
            WarmupSteps = t.Int("warmup_steps", 0, 0),
            WarmupRatio = t.Float("warmup_ratio", 0f, 0, 1),
            // transformers' constant_with_warmup is Skald's constant (which warms up when asked to; transformers' constant never does)
            Scheduler = t.Choice("scheduler", "linear", "linear", "cosine", "constant", "constant_with_warmup", "polynomial",
                "cosine_with_restarts", "cosine_with_min_lr", "inverse_sqrt", "warmup_stable_decay") switch
            {
                "constant_with_warmup" => "constant",
                var kind => kind,
            },
            WeightDecay = t.Float("weight_decay", 0.01f, 0),
            AdamBeta1 = t.Float("adam_beta1", 0.9f, 0, 1),
            AdamBeta2 = t.Float("adam_beta2", 0.999f, 0, 1),
            AdamEpsilon = t.Float("adam_epsilon", 1e-8f, 0),
            MaxGradNorm = t.Float("max_grad_norm", 1f, 0),
            GradientAccumulationSteps = t.Int("gradient_accumulation_steps", 1, 1),
            Seed = (ulong)t.Long("seed", 42, 0),
            Shuffle = t.Bool("shuffle", true),
            NoDuplicates = t.Bool("no_duplicates", true),
            LoggingSteps = t.Int("logging_steps", 10, 1),
            GradientCheckpointing = t.Bool("gradient_checkpointing", false),
            GroupByLength = t.Bool("group_by_length", false),
            GroupByLabel = t.Bool("group_by_label", false),
            LearningRateMapping = t.NumberMap("learning_rate_mapping", 0),
            Prompts = TrainingPrompts.Read(t),
        };
        foreach (var (pattern, _) in training.LearningRateMapping)
        {
            try { _ = new System.Text.RegularExpressions.Regex(pattern); }
            catch (ArgumentException bad) { throw new TrainingException($"{t.Where("learning_rate_mapping")}: training.learning_rate_mapping: '{pattern}' is not a regular expression ({bad.Message})"); }
        }
        training = training with { SchedulerKwargs = SchedulerKwargsReader.Read(t, training.Scheduler, training.LearningRate, origin) };
        bool noDuplicatesSet = t.Str("no_duplicates") is not null;
        if (training.MaxSteps == 0 || training.MaxSteps < -1)
            throw new TrainingException(
                $"{t.Where("max_steps")}: training.max_steps must be a positive number of steps, or -1 to train for training.epochs");
        t.Done();

        // A 16-bit or int8 base is frozen (Parameter keeps no float32 copy to update): only LoRA adapters can train on it.
        if (model.Weights is "bf16" or "f16" or "int8" && (!tree.ContainsKey("lora") || modelType == "static"))
            throw new TrainingException($"{m.Where("weights")}: model.weights {model.Weights} keeps the base frozen in " +
                (model.Weights == "int8" ? "int8" : "16 bits") + ", so it " +
                (modelType == "static" ? "is not for a static model" : "needs a lora section (LoRA adapters train on the frozen base)") +
                "; use model.weights: f32 to train the weights themselves");

        var l = S("loss");
        var loss = LossSectionReader.Read(l, model);
        MaxSeqLengthKey.Check(m, model, loss);
        // A cross-encoder's rows repeat their query (one per candidate): that is no in-batch duplicate to avoid.
        if ((loss.Type is "bce" or "cross_entropy" or "ce_mse" or "ce_margin_mse" || LossSection.ListwiseTypes.Contains(loss.Type)) && !noDuplicatesSet)
            training = training with { NoDuplicates = false };

        // Supervised fine-tuning has no in-batch negatives: repeated prompts in a batch are fine unless asked otherwise.
        if (loss.Type == "causal_lm" && !noDuplicatesSet) training = training with { NoDuplicates = false };
        // Instruction rows' keys: other losses read plain text columns and ignored them without a word.
        if (training.GroupByLength && loss.Type != "causal_lm")
            throw new TrainingException($"{t.Where("group_by_length")}: training.group_by_length batches instruction rows by their length (loss.type: causal_lm), not loss.type {loss.Type}'s");
        if (d.Str("prompt_format") is not null && loss.Type != "causal_lm")
            throw new TrainingException($"{d.Where("prompt_format")}: data.prompt_format writes the prompts of instruction rows (loss.type: causal_lm), not loss.type {loss.Type}'s");
        // LLM2Vec's unsupervised steps take no instruction: run_mntp.py masks plain text and run_simcse.py's collator
        // tokenizes each sentence alone (experiments/ in McGill-NLP/llm2vec at 267299de and 8ff00424); the instruction is
        // its supervised step's (run_supervised.py), and a run would save it as the model's query instruction.
        if (data.Instruction is not null && loss.Type is "mntp" or "simcse")
            throw new TrainingException($"{d.Where("instruction")}: data.instruction is the query instruction of LLM2Vec's supervised step (loss.type mnrl); " +
                $"loss.type {loss.Type} trains without one, as LLM2Vec's {(loss.Type == "mntp" ? "run_mntp.py masks plain text" : "run_simcse.py embeds each sentence alone")}, and the model would save it as its query instruction");
        // Batches grouped by label follow sentence-transformers' GroupByLabelBatchSampler (no duplicate avoidance), which
        // needs an even batch size.
        if (training.GroupByLabel)
        {
            if (training.BatchSize % 2 != 0)
                throw new TrainingException($"{t.Where("group_by_label")}: training.group_by_label needs an even training.batch_size, not {training.BatchSize}");
            if (noDuplicatesSet && training.NoDuplicates)
                throw new TrainingException($"{t.Where("group_by_label")}: training.group_by_label and no_duplicates are two batch samplers; choose one");
            training = training with { NoDuplicates = false };
        }
        if (data.SameDatasetWithinBatch) // upstream's batches of one file avoid no duplicates
            training = noDuplicatesSet && training.NoDuplicates ? throw new TrainingException($"{t.Where("no_duplicates")}: data.same_dataset_within_batch batches as FlagEmbedding does, without avoiding duplicates; leave no_duplicates out") : training with { NoDuplicates = false };
        if (loss.MatryoshkaWeights is not null && loss.MatryoshkaDims is not null && loss.MatryoshkaWeights.Count != loss.MatryoshkaDims.Count)
            throw new TrainingException($"{l.Where("matryoshka_weights")}: loss.matryoshka_weights needs one weight per entry of loss.matryoshka_dims");
        if (loss.MaskProbability is { } mp && mp is <= 0 or >= 1)
            throw new TrainingException($"{l.Where("mask_probability")}: loss.mask_probability must be between 0 and 1 (exclusive)");
        l.Done();

        LoraSection? lora = null;
        if (tree.ContainsKey("lora"))
        {
            var r = S("lora");
            string? targetPattern = TargetPattern(r);
            lora = new LoraSection
            {
                R = r.Int("r", 16, 1),
                Alpha = r.Float("alpha", 32f, 0),
                UseRsLora = r.Bool("use_rslora", false),
                UseDora = r.Bool("use_dora", false),
                Dropout = r.Float("dropout", 0.05f, 0, 1),
                TargetModules = targetPattern is not null ? [] : r.NameList("target_modules") is { Count: > 0 } targets ? targets : Models.Adapters.LoraConfig.DecoderProjections,
                TargetPattern = targetPattern,
                Save = r.Choice("save", "adapter", "adapter", "merged"),
            };
            if (lora.Dropout >= 1) throw new TrainingException($"{r.Where("dropout")}: lora.dropout must be below 1");
            if (lora.Save == "merged" && model.Weights == "int8")
                throw new TrainingException($"{r.Where("save")}: lora.save merged writes float32 weights, which an int8 base " +
                    "(model.weights: int8) no longer holds; save the adapter and merge it onto the float32 base when loading " +
                    "(skald encode --adapter, SentenceEncoder.Load(path, [adapter]))");
            r.Done();
        }

        var e = S("evaluation");
        var (tasks, entries) = EvaluationTaskKeys.Read(e, origin, loss.CrossEncoder);
        var evaluation = new EvaluationSection
        {
            Steps = e.Int("steps", 0, 0),
            Retrieval = e.Path("retrieval"),
            RetrievalMaxQueries = e.IntOrNull("retrieval_max_queries", 1),
            Tasks = tasks,
            TaskEntries = entries,
            TaskLimit = e.IntOrNull("task_limit", 1),
            MetricForBestModel = e.Str("metric_for_best_model"),
            GreaterIsBetter = e.Str("greater_is_better") is null ? null : e.Bool("greater_is_better", true),
            LoadBestModelAtEnd = e.Bool("load_best_model_at_end", false),
            BatchSize = e.Int("batch_size", 64, 1),
            CrossEncoder = e.Choice("cross_encoder", "auto", "auto", "classification", "correlation", "reranking"),
        };
        if (evaluation.CrossEncoder != "auto" && !loss.CrossEncoder)
            throw new TrainingException($"{e.Where("cross_encoder")}: evaluation.cross_encoder picks a cross-encoder's evaluator; loss.type {loss.Type} trains an embedding model");
        // The task files score an embedding model's embeddings (skald evaluate's kinds), or, under a cross-encoder loss,
        // are reranking tasks the cross-encoder scores (CrossEncoderTaskEvaluator, which refuses any other kind); a
        // causal LM has nothing to score them with, and its run left the key unread.
        if (tasks.Count > 0 && loss.Type == "causal_lm")
            throw new TrainingException($"{e.Where("tasks")}: evaluation.tasks scores an embedding model's embeddings or a cross-encoder's rankings; " +
                $"a causal LM (loss.type {loss.Type}) is evaluated on its eval rows (data.eval or data.eval_split)");
        e.Done();

        var o = S("output");
        var output = new OutputSection
        {
            Dir = o.Path("dir", required: true)!,
            SaveSteps = o.Int("save_steps", 500, 0),
            SaveTotalLimit = o.IntOrUnlimited("save_total_limit", 2, 1) ?? int.MaxValue, // null: keep every checkpoint
            Resume = o.Bool("resume", true),
            Tensorboard = o.Bool("tensorboard", true),
            ModelName = o.Str("model_name"),
            PushToHub = o.Bool("push_to_hub", false),
            HubModelId = o.Str("hub_model_id"),
            HubPrivateRepo = o.Bool("hub_private_repo", false),
            HubStrategy = o.Choice("hub_strategy", "every_save", "every_save", "end", "checkpoint", "all_checkpoints"),
        };
        bool pushesCheckpoints = o.Str("hub_strategy") is not null && output.HubStrategy is "checkpoint" or "all_checkpoints";
        if (pushesCheckpoints && !output.PushToHub)
            throw new TrainingException($"{o.Where("hub_strategy")}: output.hub_strategy says what goes to the hub during training; set output.push_to_hub: true");
        if (pushesCheckpoints && output.SaveSteps == 0)
            throw new TrainingException($"{o.Where("hub_strategy")}: output.hub_strategy {output.HubStrategy} pushes checkpoints, and output.save_steps 0 writes none");
        if (output.PushToHub && output.HubModelId is null)
            throw new TrainingException($"{o.Where("push_to_hub")}: output.push_to_hub needs output.hub_model_id, the repository (org/name) the final model goes to");
        if (output.HubModelId is { } hubId && !Skald.Hub.HubId.IsRepoId(hubId))
            throw new TrainingException($"{o.Where("hub_model_id")}: output.hub_model_id \"{hubId}\" is not a hub repository id (org/name)");
        o.Done();

        return new TrainingConfig
        {
            SourcePath = origin, Model = model, Data = data, Training = training, Loss = loss, Lora = lora, Evaluation = evaluation,
            Output = output,
        };
    }

    // peft's LoraConfig takes target_modules as a list of names or one string, a regular expression over whole module
    // names (all-linear being its own keyword); a string that is no regular expression is one line naming the key.
    private static string? TargetPattern(SectionReader r)
    {
        if (r.Node("target_modules") is not YamlDotNet.RepresentationModel.YamlScalarNode { Value: { Length: > 0 } pattern }
            || string.Equals(pattern, Models.Adapters.PeftAdapters.AllLinear, StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new TrainingException($"{r.Where("target_modules")}: lora.target_modules '{pattern}' is one string, which peft reads as a " +
                $"regular expression over whole module names, and it is not one ({e.Message}); give a list of names instead, e.g. [query, value]");
        }
        return pattern;
    }
}
