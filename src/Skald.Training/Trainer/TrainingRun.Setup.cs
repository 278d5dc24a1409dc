using Skald.Distributed;
using Skald.Hub;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;

namespace Skald.Training.Trainer;

// TrainingRun, continued: the setup around the loaded student (attention, sparse heads, LoRA, freezing, the loss, the
// evaluators and AdamW), checked against the config.
public static partial class TrainingRun
{
    // The setup around the student loaded from model.path, which it owns (OwnsModel): disposed with it.
    private static TrainerSetup Assemble(TrainingConfig config, IReadOnlyList<TextDataset> train, TextDataset? eval,
        Action<TrainingProgress>? progress, Action<string>? log, ICommunicator comm, SentenceEncoder encoder)
    {
        var loadedAdapters = encoder.Adapters;
        if (config.Model.Attention is { } attention)
        {
            var requested = attention == "bidirectional" ? AttentionMode.Bidirectional : AttentionMode.Causal;
            var loaded = (encoder.Transformer as IDecoder)?.AttentionMode;
            try
            {
                encoder = encoder.WithAttention(requested);
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException($"model.attention: {e.Message}", e);
            }
            RefuseAttentionNotSaved(config, encoder, requested, loaded);
        }
        if (config.Model.Type == "splade" && !encoder.IsSparse)
        {
            try
            {
                encoder = encoder.AsSparse(new SpladeConfig(
                    SpladeConfig.ParseStrategy(config.Model.PoolingStrategy, "model.pooling_strategy"),
                    SpladeConfig.ParseActivation(config.Model.ActivationFunction, "model.activation_function")), config.Training.Seed);
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException($"model.type splade: {e.Message}", e);
            }
        }
        encoder = CsrSetup.Apply(config, encoder);
        encoder = ColbertSetup.Apply(config, encoder, eval);
        if (config.Model.InferenceFree && encoder.StaticQuery is null)
        {
            try
            {
                encoder.AddStaticQuery();
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException($"model.inference_free: {e.Message}", e);
            }
        }
        if (encoder.StaticQuery is not null && config.Loss.Type is not ("splade" or "mnrl" or "cached_mnrl"))
            throw new TrainingException($"{config.Model.Path}: an inference-free sparse encoder trains with loss.type splade (its queries are the first column)");
        if (encoder.IsSparse && (config.Loss.CrossEncoder || config.Loss.Type is "mlm" or "mntp" or "causal_lm"))
            throw new TrainingException($"{config.Model.Path}: a sparse encoder trains with embedding losses (loss.type splade); for loss.type {config.Loss.Type} start from its base checkpoint");
        if (config.Loss.Type == "splade" && !encoder.IsSparse)
            throw new TrainingException($"{config.Model.Path}: loss.type splade trains a sparse encoder; set model.type: splade (or start from a SparseEncoder folder)");
        if (BaseWeights.Quantize(config, encoder) is { } notice) log?.Invoke(notice);
        if (config.Model.MaxSeqLength is int maxSeqLength) // as sentence-transformers' model.max_seq_length = N: saved with the model
        {
            int limit = encoder.Transformer.MaxSequenceLength, positions = encoder.Transformer.Config.MaxPositionEmbeddings;
            if (maxSeqLength > limit)
                throw new TrainingException($"model.max_seq_length: {maxSeqLength} is more than the {limit} tokens {config.Model.Path} can read " +
                    (limit == positions ? $"(max_position_embeddings {positions})" : $"(max_position_embeddings {positions} less the padding offset of its position ids)"));
            encoder.MaxSeqLength = maxSeqLength;
        }
        var model = TrainableEncoder.For(encoder, config.Model.Dropout, config.Training.Seed);
        model.SourceAdapters = Recorded(config, loadedAdapters); // model.adapters, after those of an adapter folder given as model.path
        // a base given as a hub id (not an adapter repository, whose base its own config names) is recorded by its id
        if (!Directory.Exists(config.Model.Path) && HubId.IsRepoId(config.Model.Path) && loadedAdapters.Count == (config.Model.Adapters?.Count ?? 0))
            model.BaseModelName = config.Model.Path;
        // A folder saved with an adapter on its Transformer module (sentence-transformers' add_adapter layout; a ColBERT's
        // lora.save: adapter) holds no weights of its own: a new adapter's base is the folder the weights came from, the
        // folder's adapter going before it (SourceAdapters), so that the new folder loads again.
        else if (!encoder.Folder.IsStatic && ModelFolder.IsAdapterModule(encoder.Folder.TransformerPath))
            model.BaseModelName = SentenceEncoder.Sources(encoder.Source).Weights;
        if (config.Data.Instruction is { } instruction)
        {
            if (encoder.Folder.Llm2Vec is null)
                throw new TrainingException("data.instruction is for LLM2Vec models (an LLM2Vec folder, or a decoder with model.attention: " +
                    "bidirectional); give a sentence-transformers model a prompt in its texts instead");
            model.QueryInstruction = instruction;
        }
        if (config.Lora is { Save: not "merged" } && config.Loss.Type == "bge_m3")
            throw new TrainingException("lora: loss.type bge_m3 saves a BGE-M3 folder (the transformer with sparse_linear.pt and colbert_linear.pt); set lora.save: merged, as an adapter folder alone would leave the trained heads out");
        if (config.Lora is { } lora)
        {
            try
            {
                // Supervised fine-tuning adapts a *ForCausalLM: peft's CAUSAL_LM task, its modules under "model.".
                bool sft = config.Loss.Type == "causal_lm";
                model.EnableLora(new LoraConfig
                {
                    R = lora.R, Alpha = lora.Alpha, UseRsLora = lora.UseRsLora, UseDora = lora.UseDora, Dropout = lora.Dropout, TargetModules = lora.TargetModules, TargetPattern = lora.TargetPattern,
                    TaskType = sft ? "CAUSAL_LM" : null, ModulePrefix = sft ? "model." : "",
                }, config.Training.Seed + 1, transformerOnly: encoder.LateInteraction is not null); // a ColBERT's Dense trains whole
            }
            catch (ModelFormatException e)
            {
                // Left out, target_modules is LLM2Vec's decoder projections, where peft picks per model type (BERT's
                // query and value): an encoder with the default is told which key to set.
                bool defaulted = lora.TargetPattern is null && ReferenceEquals(lora.TargetModules, LoraConfig.DecoderProjections);
                throw new TrainingException(e.Message + (defaulted ? "; lora.target_modules was left out and defaults to LLM2Vec's decoder " +
                    "projections, so name this model's layers, e.g. target_modules: [query, value] (peft's default for BERT and XLM-R) or all-linear" : ""), e);
            }
            model.SaveMerged = lora.Save == "merged";
        }
        if (config.Model.FreezeTransformer)
        {
            if (config.Lora is not null) throw new TrainingException("model.freeze_transformer: a lora section trains adapters on a frozen base already; use one or the other");
            model.FreezeTransformer(lossHeads: config.Loss.Type == "bge_m3" && config.Loss.UnifiedFinetuning); // FlagEmbedding's fix_encoder
        }
        if (config.Model.Type == "static" && !model.Source.IsStatic)
            throw new TrainingException($"{config.Model.Path}: model.type is static but the folder holds a transformer");
        if (config.Model.Type != "static" && model.Source.IsStatic)
            throw new TrainingException($"{config.Model.Path}: a static model; set model.type: static to train it");
        var frozen = new FrozenModels(); // a teacher or guide the loss loads: the setup's, disposed with it
        ILoss? loss = null;
        IReadOnlyList<IEvaluator> evaluators = [];
        try
        {
            loss = LossFactory.CreateLoss(config, model, frozen);
            evaluators = CreateEvaluators(config, eval, model.Model.IsSparse ? SimilarityFunction.Cosine : model.Source.Similarity);
            if (config.Loss.Type == "matryoshka") // each trained width scored too, as sentence-transformers' Matryoshka examples evaluate
                evaluators = MatryoshkaEvaluator.Wrap(evaluators, LossFactory.MatryoshkaDims(config.Loss, model.Dimension), model.Dimension);
            if (loss is SoftmaxLoss softmax && eval is not null && LabelAccuracyEvaluator.Suits(eval))
                evaluators = [.. evaluators, new LabelAccuracyEvaluator(softmax, eval)]; // upstream's LabelAccuracyEvaluator
            if (loss is CausalLmLoss causal)
            {
                train = [.. train.Select(d => MeasureInstructions(causal, d, config.Training.GroupByLength, log))];
                TrainerSetup.Release(evaluators); // (an mse task's teacher, loaded for nothing)
                evaluators = eval is null ? [] : [new CausalLmEvaluator(causal, eval)];
            }
            if (loss is CrossEncoderLoss crossEncoder)
            {
                if (config.Evaluation.Retrieval is not null)
                    throw new TrainingException($"evaluation.retrieval is for embedding models; a cross-encoder (loss.type {config.Loss.Type}) is evaluated on its eval rows (data.eval or data.eval_split)");
                TrainerSetup.Release(evaluators);
                evaluators = [];
                evaluators = CrossEncoderEvaluators(config, eval, crossEncoder);
            }
            var prompts = PromptSetup.Resolve(config, train, loss, encoder);
            var t = config.Training;
            LearningRateMapping.Apply(t, [.. model.Parameters, .. loss.Parameters]);
            var adam = new AdamW([.. model.Parameters, .. loss.Parameters], t.AdamBeta1, t.AdamBeta2, t.AdamEpsilon, t.WeightDecay);
            return new TrainerSetup
            {
                Model = model,
                Loss = loss,
                Optimizer = adam,
                Clip = GradientClipping.ClipGlobalNorm,
                Train = train,
                Prompts = prompts,
                Evaluators = evaluators,
                Config = config,
                Progress = progress,
                Log = log,
                Communicator = comm,
                FrozenModels = frozen,
                OwnsModel = true,
            };
        }
        catch
        {
            frozen.Dispose();
            (loss as IDisposable)?.Dispose(); // contrastive tension's copy of the model
            TrainerSetup.Release(evaluators); // an mse task's teacher
            throw;
        }
    }

    /// <summary>
    /// Refuses a <c>model.attention</c> that the saved model would not load with: the folder a run writes runs as its
    /// kind says (an LLM2Vec folder's llm2vec_config.json bidirectionally; a sentence-transformers or plain folder with
    /// its architecture's own attention, <paramref name="loaded"/>), so training it with the other attention would save
    /// weights that are then run in a way they were never trained for.
    /// </summary>
    private static void RefuseAttentionNotSaved(TrainingConfig config, SentenceEncoder encoder, AttentionMode requested, AttentionMode? loaded)
    {
        var saved = encoder.Folder.Llm2Vec is not null ? AttentionMode.Bidirectional : loaded;
        if (saved is not { } mode || mode == requested) return;
        string model = config.Model.Path + (config.Model.Adapters is { Count: > 0 } ? " with model.adapters" : "");
        string name = config.Model.Attention!;
        throw new TrainingException(encoder.Folder.Llm2Vec is not null
            ? $"model.attention: {name}, but {model} is an LLM2Vec model (llm2vec_config.json), which loads bidirectionally, and so would the trained one: it would not run as it was trained; leave model.attention unset or bidirectional"
            : $"model.attention: {name}, but {model} is a {(encoder.Folder.IsSentenceTransformers ? "sentence-transformers folder (modules.json)" : "model folder")} that loads with its architecture's {(mode == AttentionMode.Causal ? "causal" : "bidirectional")} attention, and so would the trained one: it would not run as it was trained; " +
              (mode == AttentionMode.Causal ? "for an LLM2Vec model start from the decoder's own folder (without modules.json)" : "leave model.attention unset"));
    }

    /// <summary>
    /// <c>model.path</c> and every <c>model.adapters</c> entry name a folder, or a hub repository found (downloaded, or
    /// in the cache); else one line naming where the key was set, the key and the entry (the loader's own line named the
    /// entry alone).
    /// </summary>
    private static void CheckModelFolders(TrainingConfig config)
    {
        if (config.Model.Path.Length > 0) // (empty: a new static model over model.tokenizer)
            CheckFolder(config.Model.Path, "a model folder", config.Model.PathNotFound);
        foreach (string adapter in config.Model.Adapters ?? [])
            CheckFolder(adapter, "an adapter folder", config.Model.AdapterNotFound);
    }

    /// <summary>Throws the <paramref name="line"/> of a detail unless <paramref name="pathOrId"/> is a folder here or a hub repository found.</summary>
    private static void CheckFolder(string pathOrId, string what, Func<string, string> line)
    {
        string located;
        try
        {
            located = HubResolver.Locate(pathOrId);
        }
        catch (HubException e)
        {
            throw new TrainingException(line(e.Message), e);
        }
        if (!Directory.Exists(located))
            throw new TrainingException(line($"{pathOrId}: no such folder ({what}, or a hub id org/name)"));
    }

    /// <summary>
    /// The adapters merged into the base (<paramref name="loaded"/>, located), with those <c>model.adapters</c> gives as
    /// hub ids named by their ids, as a trained adapter records them: a cache folder would not be found elsewhere.
    /// </summary>
    private static IReadOnlyList<string> Recorded(TrainingConfig config, IReadOnlyList<string> loaded)
    {
        var given = config.Model.Adapters ?? [];
        int offset = loaded.Count - given.Count; // those of an adapter folder given as model.path come first
        return [.. loaded.Select((a, i) => i >= offset && !Directory.Exists(given[i - offset]) && HubId.TryParse(given[i - offset]) is not null ? given[i - offset] : a)];
    }

    /// <summary>
    /// Evaluators: triplet accuracy (3+ columns), in-set retrieval (2+ columns, no labels), STS correlations or pair
    /// classification (2 columns and a label: <see cref="LabelledPairsEvaluator"/>) on the eval rows, plus a BEIR folder.
    /// A ColBERT's eval rows lose their id columns and, with 3+ columns, are taken by name (<see cref="TripletEvaluator.ByName"/>).
    /// When one cannot be built, those built before it are disposed (an mse task's teacher) before the error goes on.
    /// The embedding evaluators name their keys by <paramref name="similarity"/>, the model's (<see cref="SimilarityKeys"/>:
    /// a cosine model's keys as they always were; a ColBERT's and a sparse model's stay so too).
    /// </summary>
    public static IReadOnlyList<IEvaluator> CreateEvaluators(TrainingConfig config, TextDataset? eval, SimilarityFunction similarity = SimilarityFunction.Cosine)
    {
        var list = new List<IEvaluator>();
        try
        {
            return AddEvaluators(config, eval, similarity, list);
        }
        catch
        {
            TrainerSetup.Release(list); // the teacher of an mse task built before the one that failed
            throw;
        }
    }

    // CreateEvaluators' body: the evaluators into list (which CreateEvaluators releases when a later one fails).
    private static List<IEvaluator> AddEvaluators(TrainingConfig config, TextDataset? eval, SimilarityFunction similarity, List<IEvaluator> list)
    {
        bool colbert = ColbertLoss.IsColbert(config.Loss.Type);
        if (colbert) similarity = SimilarityFunction.Cosine; // MaxSim: no similarity function to name
        if (colbert && eval is not null)
        {
            eval = ColbertColumns.WithoutIds(eval); // as its collator, a ColBERT's evaluation leaves '_id' columns out
            if (eval.Columns.Count >= 3 && eval.Labels is null) eval = TripletEvaluator.ByName(eval); // (scored rows are distillation's: no triplets)
        }
        if (eval is not null && eval.Columns.Count >= 3 && !(colbert && eval.Labels is not null)) list.Add(TripletEvaluator.FromDataset(eval, similarity: similarity));
        if (eval is not null && eval.Columns.Count >= 2 && eval.Labels is null) list.Add(RetrievalEvaluator.FromPairs(eval, similarity: similarity));
        if (eval is not null && LabelledPairsEvaluator.FromDataset(eval, similarity) is { } labelled) list.Add(labelled);
        if (config.Evaluation.Retrieval is { } beir) list.Add(RetrievalEvaluator.FromBeir(beir, config.Evaluation.RetrievalMaxQueries, similarity: similarity));
        if (!config.Loss.CrossEncoder) // (a cross-encoder's tasks are its rankings, CrossEncoderTaskEvaluators, added with its loss)
            foreach (var task in config.Evaluation.Tasks)
                list.Add(new TaskFileEvaluator(task, config.Evaluation.TaskLimit, colbert, config.Evaluation.TaskEntries.GetValueOrDefault(task)));
        return UniquelyNamed(config, list);
    }

    /// <summary><paramref name="list"/>, unless two of its evaluators share a name with a task among them (one line).</summary>
    private static List<IEvaluator> UniquelyNamed(TrainingConfig config, List<IEvaluator> list)
    {
        var names = list.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null && config.Evaluation.Tasks.Count > 0)
            throw new TrainingException($"evaluation.tasks: two evaluators are named '{names.Key}' (their metrics would mix); rename a task file or folder");
        return list;
    }

    /// <summary>
    /// A cross-encoder's evaluators: its eval rows' (by its labels and <c>evaluation.cross_encoder</c>), then each
    /// <c>evaluation.tasks</c> reranking task scored by it (<see cref="CrossEncoderTaskEvaluator"/>, a one-label model's).
    /// </summary>
    private static List<IEvaluator> CrossEncoderEvaluators(TrainingConfig config, TextDataset? eval, CrossEncoderLoss crossEncoder)
    {
        string pick = config.Evaluation.CrossEncoder;
        if (pick is "correlation" or "reranking" && crossEncoder.Head.NumLabels > 1)
            throw new TrainingException($"evaluation.cross_encoder {pick} scores a one-label cross-encoder; this one has {crossEncoder.Head.NumLabels} labels (use classification or auto)");
        if (config.Evaluation.Tasks.Count > 0 && crossEncoder.Head.NumLabels > 1)
            throw new TrainingException($"evaluation.tasks: a reranking task is scored by a one-label cross-encoder; this one has {crossEncoder.Head.NumLabels} labels");
        List<IEvaluator> list = eval is null ? []
            : crossEncoder is BinaryCrossEntropyLoss { Head.NumLabels: > 1 } ? [new CrossEncoderMultiLabelEvaluator(crossEncoder, eval)]
            : crossEncoder.Head.NumLabels > 1 || pick == "classification" ? [new CrossEncoderClassificationEvaluator(crossEncoder, eval)]
            : pick == "correlation" || (pick == "auto" && CrossEncoderCorrelationEvaluator.Suits(eval)) ? [new CrossEncoderCorrelationEvaluator(crossEncoder, eval)]
            : [new CrossEncoderEvaluator(crossEncoder, eval)];
        foreach (var task in config.Evaluation.Tasks)
            list.Add(new CrossEncoderTaskEvaluator(crossEncoder, task, config.Evaluation.TaskLimit, config.Evaluation.TaskEntries.GetValueOrDefault(task)));
        return UniquelyNamed(config, list);
    }
}
