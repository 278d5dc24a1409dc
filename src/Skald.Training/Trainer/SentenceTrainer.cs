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
public sealed partial class SentenceTrainer(TrainerSetup setup)
{
    private readonly TrainingConfig config = setup.Config;
    private readonly List<Dictionary<string, double>> history = [];
    private IReadOnlyList<Data.TextDataset> epochData = setup.Train; // the rows of the epoch last planned (FlagEmbedding groups draw anew each epoch)

    /// <summary>The folder the final model goes to (<c>output.dir/final</c>).</summary>
    public string FinalModelPath => Path.Combine(config.Output.Dir, "final");

    /// <summary>
    /// Steps the run will do, from the config and the first epoch's plan, as transformers' Trainer counts them
    /// (<c>set_initial_training_values</c> in trainer.py, huggingface/transformers at 000945a9b726d87a93e61e873b88ff8f3cd411b5):
    /// an epoch of B batches is ceil(B / accumulation) optimizer steps, at least one (its last window takes the batches
    /// left, see <see cref="Run"/>), and the run is <c>training.max_steps</c> or ceil(epochs × that).
    /// </summary>
    public int TotalSteps(out int batchesPerEpoch)
    {
        batchesPerEpoch = Plan(0).Count;
        long accumulation = config.Training.GradientAccumulationSteps; // (in long: near int.MaxValue the sums overflow)
        long perEpoch = Math.Max(1, (batchesPerEpoch + accumulation - 1) / accumulation);
        if (config.Training.MaxSteps > 0) return config.Training.MaxSteps;
        double steps = Math.Ceiling(config.Training.Epochs * perEpoch); // transformers: ceil(num_train_epochs × update steps per epoch)
        if (steps > int.MaxValue)
            throw new TrainingException($"training.epochs {config.Training.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)} × {perEpoch} steps an epoch is more than {int.MaxValue} steps; set fewer epochs or training.max_steps");
        return (int)steps;
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
        int warmup = t.WarmupSteps > 0 ? t.WarmupSteps : (int)Math.Ceiling(total * Short(t.WarmupRatio)); // (the ratio as written: 0.1, not the float 0.100000001)
        var schedule = new LearningRateSchedule(t.Scheduler, t.LearningRate, warmup, total, t.SchedulerKwargs);
        Directory.CreateDirectory(config.Output.Dir);
        var store = new CheckpointStore(Path.Combine(config.Output.Dir, "checkpoints"), config.Output.SaveTotalLimit);

        var state = new TrainerState
        {
            SamplerSeed = t.Seed, Scheduler = t.Scheduler, PeakLearningRate = t.LearningRate, WarmupSteps = warmup,
            TotalSteps = total, ConfigFingerprint = Fingerprint(), BestMetricName = BestMetric(),
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
        if (resumedFrom is not null && state.GlobalStep >= total) // (a changed learning rate would otherwise train nothing without a word)
            setup.Log?.Invoke($"{resumedFrom} is at step {state.GlobalStep} of {total}: nothing is left to train, so the model saved is that run's " +
                "(output.resume: false or another output.dir trains again)");
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
            // An optimizer step never spans two epochs: the last window of an epoch takes the batches left (fewer than
            // gradient_accumulation_steps when they do not divide the epoch), as transformers' _inner_training_loop
            // (total_updates, remainder), and its gradients and loss are the mean over the batches it has
            // (current_gradient_accumulation_steps in training_step).
            if (pos >= plan.Count)
            {
                plan = Plan(++epoch);
                pos = 0;
            }
            int stepBatches = Math.Min(t.GradientAccumulationSteps, plan.Count - pos);
            double lossSum = 0;
            for (int m = 0; m < stepBatches; m++)
            {
                cancellationToken.ThrowIfCancellationRequested(); // nothing of this step is saved yet: as a kill, resumable
                var pb = plan[pos++];
                var batch = epochData[pb.Dataset].Batch(comm.Size == 1 || setup.Loss.TakesGlobalBatch
                    ? (IReadOnlyList<int>)pb.Rows : LocalRows(pb.Rows, comm), pb.Width) with { Prompts = setup.Prompts?[pb.Dataset] };
                if (setup.Loss is BgeM3Loss m3) m3.Step = micro; // upstream's self.step: the batches seen before this one
                float loss = setup.Loss.ComputeAndBackward(model, batch, 1f / stepBatches);
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
            double stepLoss = lossSum / stepBatches;
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
                row["learning_rate"] = Short(schedule.At(step)); // as transformers logs it: the rate after this step's scheduler update
                row["grad_norm"] = Short(norm);
                windowSum = 0;
                windowCount = 0;
                if (eval)
                {
                    finalMetrics = Evaluate();
                    foreach (var (k, v) in finalMetrics) row[k] = v;
                    state = TrackBest(state, finalMetrics, step, store, parameters);
                    if (step < total) // (the last evaluation is printed with the final model)
                        setup.Log?.Invoke($"eval at step {step}: " + string.Join(", ", finalMetrics.Select(kv =>
                            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}"))));
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
            if (config.Evaluation.LoadBestModelAtEnd && state.BestStep is not null && File.Exists(Path.Combine(store.BestPath, "model.safetensors")))
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
}
