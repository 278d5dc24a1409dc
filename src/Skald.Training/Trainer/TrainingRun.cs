using Skald.Distributed;
using Skald.Hub;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Data;
using Skald.Training.Data.Instructions;
using Skald.Training.Evaluation;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Skald.Training.Static;

namespace Skald.Training.Trainer;

/// <summary>
/// Builds a run from a <see cref="TrainingConfig"/>: loads the model (<see cref="TrainableEncoder"/>), reads and
/// splits the data, picks the loss, AdamW and clipping, and the evaluators. <c>skald train</c> is a thin shell over it.
/// </summary>
public static class TrainingRun
{
    /// <summary>
    /// output.dir must take files before any work starts (not hours later at the first checkpoint); the message names
    /// the folder the user gave. Nothing is created: a missing output.dir is probed in the nearest folder that exists
    /// (the trainer creates it when training starts), so a run that fails before then leaves no empty folders behind.
    /// </summary>
    public static void CheckWritable(string dir)
    {
        string full = Path.GetFullPath(dir), existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new TrainingException(existing == full ? $"output.dir {dir}: is a file; the run writes a folder there"
                    : $"output.dir {dir}: {existing} is a file, not a folder");
            existing = Path.GetDirectoryName(existing) ?? throw new TrainingException($"output.dir {dir}: cannot write there (no such folder)");
        }
        try
        {
            string probe = Path.Combine(existing, $".write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingException($"output.dir {dir}: cannot write there ({e.Message})");
        }
        // What the run writes there, checked now rather than after hours of training (the final model would be lost).
        foreach (string folder in new[] { "final", "checkpoints", "tensorboard", "initial-model" })
        {
            if (File.Exists(Path.Combine(dir, folder)))
                throw new TrainingException($"output.dir {dir}: '{folder}' is a file; the run writes a folder there (move the file away)");
        }
        if (Directory.Exists(Path.Combine(dir, "metrics.jsonl")))
            throw new TrainingException($"output.dir {dir}: 'metrics.jsonl' is a folder; the run writes its metrics log there (move the folder away)");
    }

    /// <summary>Reads everything the config names and returns a ready trainer setup.</summary>
    public static TrainerSetup Build(TrainingConfig config, Action<TrainingProgress>? progress = null, Action<string>? log = null,
        ICommunicator? communicator = null)
    {
        var (train, eval) = ReadData(config);
        return Build(config, train, eval, progress, log, communicator);
    }

    /// <summary>
    /// A ready trainer setup over datasets already read (<paramref name="train"/>, <paramref name="eval"/>), for the
    /// data-parallel group <paramref name="communicator"/> (default: this process alone).
    /// </summary>
    public static TrainerSetup Build(TrainingConfig config, IReadOnlyList<TextDataset> train, TextDataset? eval,
        Action<TrainingProgress>? progress = null, Action<string>? log = null, ICommunicator? communicator = null)
    {
        var comm = communicator ?? SingleProcess.Instance;
        foreach (var d in train)
        {
            LossColumns.Check(config.Loss, d);
            SameDatasetBatches.Check(config, d, ReadsNoInBatchNegatives(config.Loss), comm.Size);
            if (d.NoInBatchNegatives && !ReadsNoInBatchNegatives(config.Loss))
                throw new TrainingException($"{d.Name}: no in-batch negatives ({(config.Data.NoInBatchNeg ? "data.no_in_batch_neg" : "its name ends with no_in_batch_neg, FlagEmbedding's mark")}) is read by loss.type bge_m3, mnrl and cached_mnrl only (not symmetric, not under loss.adaptive_layer), not {config.Loss.Type}{(config.Loss.Symmetric ? " symmetric" : config.Loss.AdaptiveLayer ? " under loss.adaptive_layer" : "")}");
        }
        if (eval?.ListColumn is { } list && !LossSection.ListwiseTypes.Contains(config.Loss.Type) && !config.Loss.CrossEncoder)
            throw new TrainingException($"{eval.Name}: '{list}' holds lists of documents, which a cross-encoder's evaluation reads; loss.type {config.Loss.Type} evaluates one text per column");
        // The batch notes wait for the model: a model.path that is no model is then the one line of a run that fails.
        var notes = new List<string>();
        BatchPlanner.Validate(train, config.Training.BatchSize, config.Training.NoDuplicates, notes.Add);
        CheckWritable(config.Output.Dir);
        string modelPath = ColbertSetup.WithPrefixTokens(config, ModelPath(config, comm), comm, log);
        var precision = BaseWeights.Resolve(config, modelPath);
        var student = ColbertSetup.Load(config, modelPath, precision) // a PyLate folder
            ?? SentenceEncoder.LoadAnyHead(modelPath, config.Model.Adapters, precision); // a cross-encoder too: it trains on
        foreach (string note in notes) log?.Invoke(note);
        foreach (var d in train)
            if (d.Groups is { Instructions.Query: null } g && !config.Data.SameDatasetWithinBatch && g.Prompts.Count(p => p is not null) is > 0 and int prompted)
                log?.Invoke($"{d.Name}: {prompted} of {g.Count} rows carry a 'prompt', which FlagEmbedding reads only with data.query_instruction_for_retrieval; " +
                    "they train without it, as upstream (set query_instruction_for_retrieval: \"\" to write each row's prompt before its query)");
        try
        {
            return Assemble(config, train, eval, progress, log, comm, student);
        }
        catch
        {
            student.Dispose(); // and the models made of it (attention switched, sparse, CSR), which share its files
            throw;
        }
    }

    // The setup around the student loaded from model.path, which it owns (OwnsModel): disposed with it.
    private static TrainerSetup Assemble(TrainingConfig config, IReadOnlyList<TextDataset> train, TextDataset? eval,
        Action<TrainingProgress>? progress, Action<string>? log, ICommunicator comm, SentenceEncoder encoder)
    {
        var loadedAdapters = encoder.Adapters;
        if (config.Model.Attention is { } attention)
        {
            try
            {
                encoder = encoder.WithAttention(attention == "bidirectional" ? AttentionMode.Bidirectional : AttentionMode.Causal);
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException($"model.attention: {e.Message}", e);
            }
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
                    R = lora.R, Alpha = lora.Alpha, UseRsLora = lora.UseRsLora, UseDora = lora.UseDora, Dropout = lora.Dropout, TargetModules = lora.TargetModules,
                    TaskType = sft ? "CAUSAL_LM" : null, ModulePrefix = sft ? "model." : "",
                }, config.Training.Seed + 1, transformerOnly: encoder.LateInteraction is not null); // a ColBERT's Dense trains whole
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException(e.Message, e);
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
        try
        {
            loss = LossFactory.CreateLoss(config, model, frozen);
            var evaluators = CreateEvaluators(config, eval);
            if (loss is CausalLmLoss causal)
            {
                train = [.. train.Select(d => MeasureInstructions(causal, d, config.Training.GroupByLength, log))];
                evaluators = eval is null ? [] : [new CausalLmEvaluator(causal, eval)];
            }
            if (loss is CrossEncoderLoss crossEncoder)
            {
                if (config.Evaluation.Retrieval is not null)
                    throw new TrainingException($"evaluation.retrieval is for embedding models; a cross-encoder (loss.type {config.Loss.Type}) is evaluated on its eval rows (data.eval or data.eval_split)");
                evaluators = eval is null ? []
                    : crossEncoder is BinaryCrossEntropyLoss { Head.NumLabels: > 1 } ? [new CrossEncoderMultiLabelEvaluator(crossEncoder, eval)]
                    : crossEncoder.Head.NumLabels > 1 ? [new CrossEncoderClassificationEvaluator(crossEncoder, eval)]
                    : CrossEncoderCorrelationEvaluator.Suits(eval) ? [new CrossEncoderCorrelationEvaluator(crossEncoder, eval)]
                    : [new CrossEncoderEvaluator(crossEncoder, eval)];
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
            throw;
        }
    }

    /// <summary>
    /// Training datasets (capped) and the evaluation rows (a file or a seeded split of the first file), if any. A data path
    /// that is no file but a hub dataset id (<c>org/name[@revision][:[subset/]split]</c>) reads that dataset's Parquet
    /// files from the shared cache (train split for <c>data.train</c>, validation for <c>data.eval</c> unless named).
    /// </summary>
    public static (IReadOnlyList<TextDataset> Train, TextDataset? Eval) ReadData(TrainingConfig config)
    {
        var chat = config.Loss.Type == "causal_lm" ? ChatFormat(config) : null;
        TextDataset Read(string path, string split)
        {
            var files = Skald.Hub.HubResolver.LocateDataset(path, split);
            if (chat is not null || config.Loss.Type == "causal_lm")
            {
                if (files.Count != 1)
                    throw new TrainingException($"{path}: causal_lm reads one instruction file; this dataset has {files.Count} shards");
                return InstructionDatasetReader.Read(files[0], chat);
            }
            int group = config.Data.TrainGroupSize ?? FlagEmbeddingReader.DefaultGroupSize;
            return files.Count == 1 && files[0] == path ? DatasetReader.Read(path, config.Data.Columns, group) : DatasetReader.ReadAll(files, path, config.Data.Columns, group);
        }
        var train = config.Data.Train.Select(p => FlagEmbeddingData(config, Read(p, "train"))).ToList();
        if (config.Data.TrainGroupSize is { } size && train.All(d => d.Groups is null))
            throw new TrainingException($"data.train_group_size {size} sets the documents drawn per query from FlagEmbedding files ({{\"query\", \"pos\": [...], \"neg\": [...]}} rows); none of data.train is one");
        if (config.Data.FlagEmbedding.Any && train.All(d => d.Groups is null))
            throw new TrainingException($"data.{FlagEmbeddingKeys.FirstSet(config.Data.FlagEmbedding)} " +
                "is FlagEmbedding's option for its files ({\"query\", \"pos\": [...], \"neg\": [...]} rows); none of data.train is one");
        TextDataset? eval = config.Data.Eval is { } e ? Read(e, "validation") : null;
        if (eval is null && config.Data.EvalSplit > 0)
        {
            if (train[0].Count < 2) throw new TrainingException($"{train[0].Name}: too few rows for data.eval_split");
            if (config.Data.EvalSplit >= train[0].Count) // (it was cut to all rows but one, and training ran on that one)
                throw new TrainingException($"data.eval_split {config.Data.EvalSplit.ToString(System.Globalization.CultureInfo.InvariantCulture)} holds out every row of {train[0].Name} ({train[0].Count} rows); " +
                    "hold out fewer, or give a fraction such as 0.1");
            (train[0], eval) = train[0].Split(config.Data.EvalSplit, config.Training.Seed);
        }
        if (config.Data.MaxTrainSamples is { } max) train = train.Select(d => d.Take(max)).ToList();
        if (eval is not null && config.Data.MaxEvalSamples is { } maxEval) eval = eval.Take(maxEval);
        return (train, eval);
    }

    /// <summary>The losses that read a FlagEmbedding file's teacher scores (pos_scores, neg_scores) as the labels of the drawn documents.</summary>
    private static readonly string[] TeacherScoreLosses = ["bge_m3", "distill_kl", "colbert_distillation", "margin_mse"];

    /// <summary>
    /// A training data set as the run reads it: without in-batch negatives when <c>data.no_in_batch_neg</c> says so, or
    /// (FlagEmbedding's rule) a FlagEmbedding file's name ends with <c>no_in_batch_neg</c>; a FlagEmbedding file's
    /// teacher scores dropped for a loss that reads none (as FlagEmbedding drops them without knowledge_distillation).
    /// </summary>
    private static TextDataset FlagEmbeddingData(TrainingConfig config, TextDataset d)
    {
        if (d.Groups is { } groups && config.Data.FlagEmbedding.Any) // the run-wide instructions and shuffling, on every draw
            d = groups.With(config.Data.FlagEmbedding).Sample(0, 0, d.Name, d.NoInBatchNegatives);
        if (config.Data.NoInBatchNeg || (d.Groups is not null && Path.GetFileNameWithoutExtension(d.Name).EndsWith("no_in_batch_neg", StringComparison.Ordinal)))
            d = d.WithoutInBatchNegatives();
        string type = config.Loss.Type switch { "matryoshka" => config.Loss.MatryoshkaInner, "splade" => config.Loss.SpladeInner, "csr" => config.Loss.CsrInner, _ => config.Loss.Type };
        return TeacherScoreLosses.Contains(type) ? d : d.WithoutTeacherScores();
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
    /// The folder to load: <c>model.path</c>, or for a new static model (<c>model.tokenizer</c>) one written with a
    /// seeded random table to <c>output.dir/initial-model</c> (the same table on every resume; under mpirun rank 0
    /// writes it while the others wait).
    /// </summary>
    public static string ModelPath(TrainingConfig config, ICommunicator? communicator = null)
    {
        var comm = communicator ?? SingleProcess.Instance;
        var m = config.Model;
        if (m.Path.Length > 0) return m.Path;
        string tokenizer = Directory.Exists(m.Tokenizer) ? Path.Combine(m.Tokenizer, "tokenizer.json") : m.Tokenizer!;
        if (!File.Exists(tokenizer)) throw new TrainingException($"model.tokenizer: {tokenizer} not found");
        string dir = Path.Combine(config.Output.Dir, "initial-model");
        if (comm.Rank == 0) StaticModelWriter.CreateRandom(dir, tokenizer, m.Dimension, m.Normalize, config.Training.Seed);
        comm.Barrier();
        return dir;
    }

    /// <summary>
    /// causal_lm: the chat template prompts are written with (<c>data.prompt_format</c>; <c>auto</c> takes the model's
    /// when <see cref="ChatPromptFormats"/> finds one), or null for the built-in Alpaca format.
    /// </summary>
    public static IChatPromptFormat? ChatFormat(TrainingConfig config)
    {
        if (config.Data.PromptFormat == "alpaca") return null;
        var chat = ChatPromptFormats.For(config.Model.Path);
        if (chat is null && config.Data.PromptFormat == "chat_template")
            throw new TrainingException($"data.prompt_format is chat_template but {config.Model.Path} has no chat template " +
                "(tokenizer_config.json chat_template or chat_template.jinja); use prompt_format: alpaca");
        return chat;
    }

    /// <summary>
    /// causal_lm: tokenizes every row once to count (and log) the rows longer than the loss's maximum length, which are
    /// cut at the end, and, with <paramref name="groupByLength"/>, to give the planner their lengths.
    /// </summary>
    public static TextDataset MeasureInstructions(CausalLmLoss loss, TextDataset d, bool groupByLength, Action<string>? log)
    {
        var lengths = new int[d.Count];
        int truncated = 0, empty = 0;
        for (int i = 0; i < d.Count; i++)
        {
            var (ids, labels) = loss.Sequence(d.Rows[i][0], d.Rows[i][1], out bool cut);
            lengths[i] = ids.Length;
            if (!cut) continue;
            truncated++;
            if (labels.All(l => l < 0)) empty++;
        }
        if (truncated > 0)
            log?.Invoke($"note: {d.Name}: {truncated} of {d.Count} rows are longer than {loss.MaxLength} tokens (loss.max_seq_length) and " +
                $"were cut at the end, keeping their first {loss.MaxLength} tokens" +
                (empty > 0 ? $"; {empty} of them lost their whole response and train nothing" : ""));
        return groupByLength ? new TextDataset(d.Name, d.Columns, d.Rows, d.Labels, d.LabelColumn) { Lengths = lengths, ListColumn = d.ListColumn } : d;
    }

    /// <summary>
    /// Evaluators: triplet accuracy (3+ columns), in-set retrieval (2+ columns, no labels), STS correlations or pair
    /// classification (2 columns and a label: <see cref="LabelledPairsEvaluator"/>) on the eval rows, plus a BEIR folder.
    /// </summary>
    public static IReadOnlyList<IEvaluator> CreateEvaluators(TrainingConfig config, TextDataset? eval)
    {
        var list = new List<IEvaluator>();
        if (eval is not null && eval.Columns.Count >= 3) list.Add(TripletEvaluator.FromDataset(eval));
        if (eval is not null && eval.Columns.Count >= 2 && eval.Labels is null) list.Add(RetrievalEvaluator.FromPairs(eval));
        if (eval is not null && LabelledPairsEvaluator.FromDataset(eval) is { } labelled) list.Add(labelled);
        if (config.Evaluation.Retrieval is { } beir) list.Add(RetrievalEvaluator.FromBeir(beir, config.Evaluation.RetrievalMaxQueries));
        foreach (var task in config.Evaluation.Tasks) list.Add(new TaskFileEvaluator(task, config.Evaluation.TaskLimit, ColbertLoss.IsColbert(config.Loss.Type)));
        var names = list.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null && config.Evaluation.Tasks.Count > 0)
            throw new TrainingException($"evaluation.tasks: two evaluators are named '{names.Key}' (their metrics would mix); rename a task file or folder");
        return list;
    }

    /// <summary>Whether the loss of <paramref name="loss"/> scores a batch's rows against their own documents when told (TrainingBatch.NoInBatchNegatives).</summary>
    private static bool ReadsNoInBatchNegatives(LossSection loss) =>
        loss.Type == "bge_m3" || (loss.Type is "mnrl" or "cached_mnrl" && !loss.Symmetric && !loss.AdaptiveLayer);
}
