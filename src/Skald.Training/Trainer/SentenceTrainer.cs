using System.Diagnostics;
using Skald.Distributed;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Data;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Skald.Training.Output;

namespace Skald.Training.Trainer;

/// <summary>
/// The fine-tuning loop: seeded no-duplicates batches, gradient accumulation, clipping, AdamW with a warm-up schedule,
/// logging to <c>metrics.jsonl</c> and TensorBoard, evaluation with best-model selection, atomic checkpoints and an
/// exact resume from the newest one (weights, optimiser, scheduler, random states, data position), a NaN/Inf guard
/// that stops before anything is written, and the final sentence-transformers folder with a model card. Under mpirun
/// (<see cref="TrainerSetup.Communicator"/>) the same loop is data-parallel: rank 0's weights are broadcast, each rank
/// embeds its <see cref="Shard"/> of every batch, the loss spans all ranks (<see cref="ILoss.SpansRanks"/>), the
/// gradients are summed (<see cref="GradientReducer"/>) and every rank takes the same step; only rank 0 logs,
/// evaluates and writes.
/// </summary>
public sealed class SentenceTrainer(TrainerSetup setup)
{
    private readonly TrainingConfig config = setup.Config;
    private readonly List<Dictionary<string, double>> history = [];
    private IReadOnlyList<Data.TextDataset> epochData = setup.Train; // the rows of the epoch last planned (FlagEmbedding groups draw anew each epoch)

    /// <summary>The folder the final model goes to (<c>output.dir/final</c>).</summary>
    public string FinalModelPath => Path.Combine(config.Output.Dir, "final");

    /// <summary>Steps the run will do, from the config and the first epoch's plan.</summary>
    public int TotalSteps(out int batchesPerEpoch)
    {
        batchesPerEpoch = Plan(0).Count;
        long accumulation = config.Training.GradientAccumulationSteps; // (in long: near int.MaxValue the sums overflow)
        if (accumulation > batchesPerEpoch) // a step takes that many batches in a row: it would span several epochs
            throw new TrainingException($"training.gradient_accumulation_steps {accumulation} is more than the {batchesPerEpoch} batches of an epoch (each optimizer step would run over several epochs); lower it or training.batch_size");
        long perEpoch = (batchesPerEpoch + accumulation - 1) / accumulation;
        if (config.Training.MaxSteps > 0) return config.Training.MaxSteps;
        long total = config.Training.Epochs * perEpoch;
        if (total > int.MaxValue)
            throw new TrainingException($"training.epochs {config.Training.Epochs} × {perEpoch} steps an epoch is more than {int.MaxValue} steps; set fewer epochs or training.max_steps");
        return (int)total;
    }

    /// <summary>
    /// Runs (or resumes) training and saves the final model. <paramref name="cancellationToken"/> is looked at before
    /// anything is read or cleared and before each batch of a step: once it is cancelled no further batch runs and
    /// <see cref="OperationCanceledException"/> is thrown, leaving the output folder as a kill there would (the
    /// checkpoints saved so far, each whole; the step under way, not yet saved, is lost), so a run with output.resume
    /// goes on from the newest checkpoint to the same weights. Under mpirun every rank must be cancelled: a rank that
    /// stops alone leaves the others waiting for it.
    /// </summary>
    public TrainingResult Run(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested(); // (before a run without resume clears the checkpoints of an earlier one)
        var t = config.Training;
        var model = setup.Model;
        IReadOnlyList<Parameter> parameters = [.. model.Parameters, .. setup.Loss.Parameters]; // what the optimiser updates
        BatchPlanner.Validate(setup.Train, t.BatchSize, t.NoDuplicates);  // warned about in TrainingRun.Build
        CheckBestMetric();
        var comm = setup.Communicator;
        bool lead = comm.Rank == 0;
        CheckDataParallel(comm);
        var timed = comm.Size > 1 ? new TimedCommunicator(comm) : null;
        if (timed is not null && model is TrainableEncoder shardEncoder) shardEncoder.Communicator = timed;
        var reducer = new GradientReducer(timed ?? comm, parameters);
        int total = TotalSteps(out int batchesPerEpoch);
        int warmup = t.WarmupSteps > 0 ? t.WarmupSteps : (int)Math.Ceiling(total * (double)t.WarmupRatio);
        var schedule = new LearningRateSchedule(t.Scheduler, t.LearningRate, warmup, total);
        Directory.CreateDirectory(config.Output.Dir);
        var store = new CheckpointStore(Path.Combine(config.Output.Dir, "checkpoints"), config.Output.SaveTotalLimit);

        var state = new TrainerState
        {
            SamplerSeed = t.Seed, Scheduler = t.Scheduler, PeakLearningRate = t.LearningRate, WarmupSteps = warmup,
            TotalSteps = total, ConfigFingerprint = Fingerprint(), BestMetricName = config.Evaluation.MetricForBestModel,
            WorldSize = comm.Size,
        };
        if (config.Output.Resume) store.CheckNoFileInTheWay(); // (without resume the checkpoints folder starts over)
        string? resumedFrom = config.Output.Resume ? store.Latest() : null;
        if (resumedFrom is not null) state = Resume(resumedFrom, state, parameters) with { WorldSize = comm.Size };
        else if (lead)
        {
            foreach (var old in new[] { store.Root, Path.Combine(config.Output.Dir, "tensorboard") })
            {
                if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            }
        }
        model.Dropout = config.Model.Dropout;
        if (model is TrainableEncoder encoder) encoder.GradientCheckpointing = t.GradientCheckpointing;
        ZeroGradients();
        if (comm.Size > 1) StartTogether(comm, state.GlobalStep, parameters);

        using var metrics = lead ? new MetricsLog(Path.Combine(config.Output.Dir, "metrics.jsonl"), resumedFrom is null ? null : state.GlobalStep) : null;
        using var tb = lead && config.Output.Tensorboard
            ? new TensorBoardWriter(Path.Combine(config.Output.Dir, "tensorboard"), resumedFrom is null ? null : state.GlobalStep) : null;
        history.AddRange(resumedFrom is null || metrics is null ? [] : ReadHistory(metrics.Path));

        int step = state.GlobalStep, epoch = state.DataEpoch, pos = state.DataBatch;
        long micro = state.MicroBatches, samples = state.SamplesSeen;
        double windowSum = state.LogLossSum, lastLoss = double.NaN;
        int windowCount = state.LogLossCount;
        float lr = state.LastLearningRate;
        var finalMetrics = new Dictionary<string, double>();
        var plan = Plan(epoch);
        var clock = Stopwatch.StartNew();
        long samplesAtStart = samples;
        int stepsAtStart = step;

        while (step < total)
        {
            double lossSum = 0;
            for (int m = 0; m < t.GradientAccumulationSteps; m++)
            {
                cancellationToken.ThrowIfCancellationRequested(); // nothing of this step is saved yet: as a kill, resumable
                if (pos >= plan.Count)
                {
                    plan = Plan(++epoch);
                    pos = 0;
                }
                var pb = plan[pos++];
                var batch = epochData[pb.Dataset].Batch(comm.Size == 1 || setup.Loss.TakesGlobalBatch
                    ? (IReadOnlyList<int>)pb.Rows : LocalRows(pb.Rows, comm), pb.Width) with { Prompts = setup.Prompts?[pb.Dataset] };
                if (setup.Loss is BgeM3Loss m3) m3.Step = micro; // upstream's self.step: the batches seen before this one
                float loss = setup.Loss.ComputeAndBackward(model, batch, 1f / t.GradientAccumulationSteps);
                if (!float.IsFinite(loss)) throw Diverged(step + 1, $"the loss is {loss}", store);
                lossSum += loss;
                samples += pb.Rows.Length;
                micro++;
            }
            reducer.SumGradients();
            float norm = t.MaxGradNorm > 0 ? setup.Clip(parameters, t.MaxGradNorm) : GlobalNorm(parameters);
            if (!float.IsFinite(norm)) throw Diverged(step + 1, $"the gradient norm is {norm}", store);
            lr = schedule.At(step);
            setup.Optimizer.Step(lr);
            ZeroGradients();
            step++;
            double stepLoss = lossSum / t.GradientAccumulationSteps;
            windowSum += stepLoss;
            windowCount++;
            double epochProgress = (double)micro / Math.Max(1, batchesPerEpoch);

            bool log = lead && (step % t.LoggingSteps == 0 || step == total);
            bool eval = lead && setup.Evaluators.Count > 0
                && ((config.Evaluation.Steps > 0 && step % config.Evaluation.Steps == 0) || step == total);
            if (log || eval)
            {
                var row = new Dictionary<string, double> { ["step"] = step, ["epoch"] = Math.Round(epochProgress, 6) };
                if (windowCount > 0)
                {
                    lastLoss = windowSum / windowCount;
                    row["loss"] = lastLoss;
                }
                row["learning_rate"] = Short(lr);
                row["grad_norm"] = Short(norm);
                windowSum = 0;
                windowCount = 0;
                if (eval)
                {
                    finalMetrics = Evaluate();
                    foreach (var (k, v) in finalMetrics) row[k] = v;
                    state = TrackBest(state, finalMetrics, step, store, parameters);
                }
                metrics!.Write(row);
                history.Add(row);
                tb?.Scalars(step, row.Where(kv => kv.Key is not ("step" or "epoch"))
                    .Select(kv => new KeyValuePair<string, double>(kv.Key.StartsWith("eval_", StringComparison.Ordinal)
                        ? "eval/" + kv.Key[5..] : "train/" + kv.Key, kv.Value)).Append(new("train/epoch", epochProgress)));
            }

            double rate = (samples - samplesAtStart) / Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
            double perStep = clock.Elapsed.TotalSeconds / Math.Max(1, step - stepsAtStart);
            setup.Progress?.Invoke(new TrainingProgress(step, total, epochProgress,
                windowCount > 0 ? windowSum / windowCount : lastLoss, lr, rate, TimeSpan.FromSeconds(perStep * (total - step))));

            state = state with
            {
                GlobalStep = step, Epoch = epochProgress, DataEpoch = epoch, DataBatch = pos, MicroBatches = micro,
                SamplesSeen = samples, ModelRng = TrainerState.Hex(model.Random.SaveState()), TotalSteps = total,
                LastLearningRate = lr, LogLossSum = windowSum, LogLossCount = windowCount,
            };
            if (lead && config.Output.SaveSteps > 0 && step % config.Output.SaveSteps == 0)
            {
                string saved = store.Save(state, parameters, setup.Optimizer.ExportState(),
                    (model as Modeling.TrainableEncoder)?.BufferTensors());
                setup.Log?.Invoke($"checkpoint {saved}");
                if (setup.CheckpointSaved is { } onSaved)
                {
                    var (latest, at, now) = (finalMetrics, step, state);
                    Action<string>? save = model is Modeling.TrainableEncoder { Lora: not null, SaveMerged: true } ? null
                        : dir => model.Save(dir, ModelCard.Build(setup, history, latest, now, at), setup.Loss.SavedParameters);
                    onSaved(new SavedCheckpoint(step, saved, save));
                }
            }
        }

        if (timed is not null && lead)
        {
            double seconds = clock.Elapsed.TotalSeconds;
            setup.Log?.Invoke($"data-parallel over {comm.Size} ranks: {timed.Elapsed.TotalSeconds:F2} s of {seconds:F2} s in communication " +
                $"({timed.Elapsed.TotalSeconds / Math.Max(seconds, 1e-9):P1}; {reducer.Floats * 4 / 1e6:F2} MB all-reduced per step, " +
                $"{timed.GatheredBytes / 1e6 / Math.Max(1, step - stepsAtStart):F3} MB gathered per step)");
        }
        if (lead)
        {
            if (finalMetrics.Count == 0 && setup.Evaluators.Count > 0) finalMetrics = Evaluate(); // resumed after the last step
            if (config.Evaluation.LoadBestModelAtEnd && File.Exists(Path.Combine(store.BestPath, "model.safetensors")))
            {
                CheckpointStore.Restore(parameters, CheckpointStore.ReadAll(Path.Combine(store.BestPath, "model.safetensors")), store.BestPath);
                setup.Log?.Invoke($"loaded the best model (step {state.BestStep}, {state.BestMetricName} = {state.BestMetric:G6})");
                // The card's results (the hub's model-index), the console and the result are what these weights scored.
                if (history.LastOrDefault(r => r.TryGetValue("step", out double s) && s == state.BestStep) is { } best)
                    finalMetrics = best.Where(kv => kv.Key.StartsWith("eval_", StringComparison.Ordinal)).ToDictionary();
            }
            string card = ModelCard.Build(setup, history, finalMetrics, state, step);
            model.Save(FinalModelPath, card, setup.Loss.SavedParameters);
        }
        comm.Barrier(); // no rank leaves (and finalises MPI) before rank 0 has written the model
        return new TrainingResult(FinalModelPath, step, resumedFrom, finalMetrics, state.BestMetricName, state.BestMetric, state.BestStep);

        void ZeroGradients()
        {
            model.ZeroGradients();
            foreach (var p in setup.Loss.Parameters) p.Grad.Span.Clear();
        }
    }

    /// <summary>Refuses what cannot run data-parallel, before any work: a loss that does not span ranks, a batch smaller than the group.</summary>
    private void CheckDataParallel(ICommunicator comm)
    {
        if (comm.Size == 1) return;
        if (!setup.Loss.SpansRanks)
            throw new TrainingException($"loss.type {setup.Loss.Name} does not run under mpirun yet (its normalisation would change " +
                "with the number of ranks); run it in one process");
        if (config.Training.BatchSize < comm.Size)
            throw new TrainingException($"training.batch_size {config.Training.BatchSize} is smaller than the {comm.Size} ranks; " +
                "it is the global batch, split across ranks");
    }

    /// <summary>This rank's rows of a global batch (contiguous, rank order).</summary>
    private static ArraySegment<int> LocalRows(int[] rows, ICommunicator comm)
    {
        var shard = Shard.Of(rows.Length, comm.Rank, comm.Size);
        if (shard.Count == 0)
            throw new TrainingException($"a batch of {rows.Length} rows cannot give each of the {comm.Size} ranks a row; " +
                "use a larger training.batch_size or fewer ranks");
        return new ArraySegment<int>(rows, shard.Start, shard.Count);
    }

    /// <summary>
    /// Every rank starts at the same step (a resume on a folder some rank cannot see fails here) with rank 0's weights.
    /// </summary>
    private static void StartTogether(ICommunicator comm, int step, IReadOnlyList<Parameter> parameters)
    {
        var steps = new int[comm.Size];
        comm.AllGather(step, steps);
        if (steps.Any(s => s != steps[0]))
            throw new TrainingException($"the ranks start at different steps ({string.Join(", ", steps)}): output.dir must be one " +
                "folder every rank reads (a shared file system on a cluster)");
        foreach (var p in parameters) comm.Broadcast(p.Data.Span);
    }

    /// <summary>
    /// Epoch <paramref name="epoch"/>'s batches, over its rows (<see cref="TextDataset.ForEpoch"/>), which the batches then
    /// read; under mpirun without the batches too small to give every rank a row (<see cref="BatchPlanner.ForRanks"/>).
    /// </summary>
    private IReadOnlyList<PlannedBatch> Plan(int epoch)
    {
        if (config.Data.SameDatasetWithinBatch) // FlagEmbedding's batches of one file each, and the rows they read
            return SameDatasetBatches.PlanEpoch(setup.Train, config.Training.BatchSize, config.Training.Seed, epoch, out epochData);
        epochData = [.. setup.Train.Select(d => d.ForEpoch(config.Training.Seed, epoch))];
        var plan = BatchPlanner.PlanEpoch(epochData, config.Training.BatchSize, config.Training.Shuffle, config.Training.NoDuplicates,
            config.Data.Sampling, config.Training.Seed, epoch, config.Training.GroupByLength, config.Training.GroupByLabel);
        int ranks = setup.Communicator.Size;
        return ranks == 1 || setup.Loss.TakesGlobalBatch ? plan : BatchPlanner.ForRanks(plan, ranks);
    }

    private void CheckBestMetric()
    {
        if (config.Evaluation.MetricForBestModel is not { } name) return;
        var known = setup.Evaluators.SelectMany(e => e.MetricNames).ToList();
        if (known.Count == 0)
            throw new TrainingException(
                $"evaluation.metric_for_best_model is '{name}' but nothing is evaluated (set data.eval, data.eval_split, evaluation.retrieval or evaluation.tasks)");
        if (!setup.Evaluators.Any(e => e.Provides(name)))
            throw new TrainingException($"evaluation.metric_for_best_model '{name}' is not among the metrics ({string.Join(", ", known)}" +
                (setup.Evaluators.OfType<Evaluation.TaskFileEvaluator>().Any() ? ", or any metric of an evaluation.tasks task as eval_TASK_METRIC)" : ")"));
    }

    private TrainerState Resume(string path, TrainerState fresh, IReadOnlyList<Parameter> parameters)
    {
        var ckpt = CheckpointStore.Load(path);
        if (!ckpt.State.ConfigFingerprint.Contains(";lora.use_dora=", StringComparison.Ordinal)) // written before they were recorded
            fresh = fresh with { ConfigFingerprint = string.Join(";", fresh.ConfigFingerprint.Split(';').Where(x => !x.StartsWith("lora.use_", StringComparison.Ordinal))) };
        if (ckpt.State.ConfigFingerprint != fresh.ConfigFingerprint && ckpt.State.ConfigFingerprint.EndsWith(";quick_test=true", StringComparison.Ordinal)
            && !config.QuickTest) // (the run after a setup check, in the same folder: "data.max_train_samples changed" left users guessing)
            throw new TrainingException($"{path} was written by a --quick-test run; start this run over with --set output.resume=false " +
                "(the quick test's checkpoints are deleted) or give it a new output.dir");
        if (ckpt.State.ConfigFingerprint != fresh.ConfigFingerprint)
            throw new TrainingException(
                $"{path} was written with other settings ({Difference(ckpt.State.ConfigFingerprint, fresh.ConfigFingerprint)}); " +
                "use a new output.dir or set output.resume=false");
        CheckpointStore.Restore(parameters, ckpt.Weights, Path.Combine(path, "model.safetensors"));
        (setup.Model as Modeling.TrainableEncoder)?.RestoreBuffers(ckpt.Weights, Path.Combine(path, "model.safetensors"));
        try
        {
            setup.Optimizer.ImportState(ckpt.OptimizerState, ckpt.State.GlobalStep);
        }
        catch (ArgumentException e)
        {
            throw new TrainingException($"{path}: the optimizer state does not fit the model ({e.Message})", e);
        }
        setup.Model.Random.RestoreState(TrainerState.FromHex(ckpt.State.ModelRng));
        setup.Log?.Invoke($"resuming from {path} (step {ckpt.State.GlobalStep})");
        return ckpt.State with
        {
            TotalSteps = fresh.TotalSteps, BestMetricName = ckpt.State.BestMetricName ?? fresh.BestMetricName,
        };
    }

    private Dictionary<string, double> Evaluate()
    {
        var result = new Dictionary<string, double>();
        foreach (var e in setup.Evaluators)
        {
            foreach (var (k, v) in e.Evaluate(setup.Model, config.Evaluation.BatchSize)) result[k] = v;
        }
        return result;
    }

    private TrainerState TrackBest(TrainerState state, Dictionary<string, double> m, int step, CheckpointStore store,
        IReadOnlyList<Parameter> parameters)
    {
        string? name = state.BestMetricName ?? m.Keys.FirstOrDefault();
        if (name is null) return state;
        if (!m.TryGetValue(name, out double v))
            throw new TrainingException(
                $"evaluation.metric_for_best_model '{name}' is not among the metrics ({string.Join(", ", m.Keys)})");
        bool better = state.BestMetric is not { } best || (config.Evaluation.IsGreaterBetter(name) ? v > best : v < best);
        if (!better || !double.IsFinite(v)) return state with { BestMetricName = name };
        if (config.Evaluation.LoadBestModelAtEnd) store.SaveBest(parameters, name, v, step);
        return state with { BestMetricName = name, BestMetric = v, BestStep = step };
    }

    private static TrainingException Diverged(int step, string what, CheckpointStore store) => new(
        $"training diverged at step {step}: {what}; nothing was saved after it (last good checkpoint: {store.Latest() ?? "none"}). " +
        "Lower training.learning_rate or keep training.max_grad_norm on");

    /// <summary>A float as the double with its shortest decimal form (2E-05, not 1.9999999494757503E-05).</summary>
    private static double Short(float v) => double.Parse(v.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        System.Globalization.CultureInfo.InvariantCulture);

    private static float GlobalNorm(IReadOnlyList<Parameter> parameters)
    {
        double sum = 0;
        foreach (var p in parameters)
        {
            foreach (float g in p.Grad.Span) sum += (double)g * g;
        }
        return (float)Math.Sqrt(sum);
    }

    private string Fingerprint()
    {
        var c = config;
        return string.Join(";",
            c.Model.Path.Length > 0 ? $"model.path={Path.GetFullPath(c.Model.Path)}"
                : $"model.tokenizer={Path.GetFullPath(c.Model.Tokenizer!)},model.dim={c.Model.Dimension}",
            $"data.train={string.Join(",", c.Data.Train.Select(Path.GetFullPath))}",
            $"data.max_train_samples={c.Data.MaxTrainSamples}", $"data.eval_split={c.Data.EvalSplit}",
            $"data.sampling={c.Data.Sampling}", $"data.instruction={c.Data.Instruction}", $"data.columns={string.Join(",", c.Data.Columns ?? [])}", $"training.batch_size={c.Training.BatchSize}",
            $"training.gradient_accumulation_steps={c.Training.GradientAccumulationSteps}",
            $"training.seed={c.Training.Seed}", $"training.shuffle={c.Training.Shuffle}",
            $"training.no_duplicates={c.Training.NoDuplicates}", $"training.group_by_length={c.Training.GroupByLength}", $"loss.max_seq_length={c.Loss.MaxSeqLength}", $"data.prompt_format={c.Data.PromptFormat}", $"loss.type={c.Loss.Type}", $"model.type={c.Model.Type}",
            $"model.splade={(c.Model.Type == "splade" ? c.Model.PoolingStrategy + "/" + c.Model.ActivationFunction : "")}",
            $"model.adapters={string.Join(",", c.Model.Adapters.Select(Path.GetFullPath))}", $"model.attention={c.Model.Attention}",
            $"lora={(c.Lora is { } l ? $"{l.R}/{l.Alpha}/{string.Join("+", l.TargetModules)}" : "off")}")
            + (c.Model.InferenceFree ? ";model.inference_free=true" : "") // only when on: older checkpoints keep their fingerprint
            + (setup.Train.Any(d => d.Groups is not null) ? $";data.train_group_size={setup.Train.First(d => d.Groups is not null).Groups!.GroupSize}" : "")
            + (c.Data.NoInBatchNeg ? ";data.no_in_batch_neg=true" : "") + (c.Data.SameDatasetWithinBatch ? ";data.same_dataset_within_batch=true" : "")
            + (setup.Prompts is null ? "" : $";training.prompts={c.Training.Prompts!.Digest()}")
            + (c.Data.FlagEmbedding.Any ? $";data.flag_embedding={Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(c.Data.FlagEmbedding.ToString())))[..16]}" : "")
            // DoRA adds the magnitudes (other parameters), rsLoRA scales the same adapters otherwise (LoRA runs only).
            + (c.Lora is { } variant ? $";lora.use_dora={(variant.UseDora ? "true" : "false")};lora.use_rslora={(variant.UseRsLora ? "true" : "false")}" : "")
            + (c.QuickTest ? ";quick_test=true" : "");
    }

    private static string Difference(string saved, string now)
    {
        var a = saved.Split(';');
        var b = now.Split(';');
        // Both ways: a setting written only when on (quick_test) is missing from one side when turned off.
        var diff = b.Where(x => !a.Contains(x)).Concat(a.Where(x => !b.Contains(x))).Select(x => x.Split('=')[0]).Distinct().ToList();
        return diff.Count == 0 ? "different settings" : string.Join(", ", diff) + " changed";
    }

    private static IEnumerable<Dictionary<string, double>> ReadHistory(string path) =>
        MetricsLog.ReadAll(path).Select(r => r.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!.Value));
}
