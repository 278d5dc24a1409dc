using Skald.Tokenizers.Serialization;
using Skald.Training.Config;
using Skald.Training.Output;

namespace Skald.Training.Trainer;

// SentenceTrainer, continued: resuming from a checkpoint, refused when the settings that shape the run changed
// (the fingerprint), and the metrics history read back.
public sealed partial class SentenceTrainer
{
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
                $"{path} was written with other settings: {Difference(ckpt.State.ConfigFingerprint, fresh.ConfigFingerprint)}; " +
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
        setup.Log?.Invoke(ResumeLine(path, ckpt.State, fresh));
        if (ChangedSchedule(ckpt.State, fresh) is { } changed)
            setup.Log?.Invoke($"{path} was written with {changed}: the remaining steps follow the new schedule from step {ckpt.State.GlobalStep}");
        return BestMetricOnResume(path, ckpt.State with { TotalSteps = fresh.TotalSteps }, fresh.BestMetricName);
    }

    // The metric choosing the best model of a resumed run: the one the checkpoint recorded (its best value and step are
    // that metric's; a default that changed since, such as nDCG@10 for the first metric reported, does not change a run
    // under way), unless evaluation.metric_for_best_model names another: the run chooses by that from here on, its best
    // value and step starting over (the recorded ones are another metric's), said in a line.
    private TrainerState BestMetricOnResume(string path, TrainerState saved, string? now)
    {
        if (saved.BestMetricName is not { } recorded) return saved with { BestMetricName = now };
        if (config.Evaluation.MetricForBestModel is not { } named || named == recorded) return saved;
        setup.Log?.Invoke($"{path} chose the best model by {recorded}" +
            (saved.BestStep is int step ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (step {step}, {saved.BestMetric:G6})") : "") +
            $"; evaluation.metric_for_best_model is {named} now, so the best model is chosen by it from step {saved.GlobalStep} on");
        return saved with { BestMetricName = named, BestMetric = null, BestStep = null };
    }

    // As transformers' resume_from_checkpoint logs it ("Continuing training from epoch E / global step N, will skip the first
    // E epochs then the first B batches"): which checkpoint, where in the data, and what of the earlier run is trained again.
    private string ResumeLine(string path, TrainerState saved, TrainerState fresh)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string line = string.Create(inv, $"resuming from {path} (step {saved.GlobalStep}): step {saved.GlobalStep} of {fresh.TotalSteps}, epoch {saved.Epoch:0.###}; ") +
            (saved.DataEpoch == 0 ? $"skipping the first {Counted.Of(saved.DataBatch, "batch", "batches")} of epoch 1"
                : $"skipping {Counted.Of(saved.DataEpoch, "epoch")} and then the first {Counted.Of(saved.DataBatch, "batch", "batches")} of epoch {saved.DataEpoch + 1}");
        int? reached = MetricsLog.LastStep(Path.Combine(config.Output.Dir, "metrics.jsonl"));
        if (reached is { } m && m > saved.GlobalStep)
        {
            int from = saved.GlobalStep + 1, to = Math.Min(m, fresh.TotalSteps);
            line += $"; the earlier run had reached step {m}, so {(to == from ? $"step {from} is" : $"steps {from}-{to} are")} trained again " +
                $"(a checkpoint is written every output.save_steps = {config.Output.SaveSteps})";
        }
        return line;
    }

    // The schedule's settings are not in the fingerprint (a resumed run may change them: the rate is recomputed from the
    // step, see LearningRateSchedule), but a change is said, naming the keys, instead of passing unnoticed.
    private string? ChangedSchedule(TrainerState saved, TrainerState fresh)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var changes = new List<string>();
        if (saved.PeakLearningRate != fresh.PeakLearningRate)
            changes.Add(string.Create(inv, $"training.learning_rate {saved.PeakLearningRate:R} (now {fresh.PeakLearningRate:R})"));
        if (saved.Scheduler != fresh.Scheduler) changes.Add($"training.scheduler {saved.Scheduler} (now {fresh.Scheduler})");
        if (saved.WarmupSteps != fresh.WarmupSteps)
            changes.Add($"{(config.Training.WarmupSteps > 0 ? "training.warmup_steps" : "training.warmup_ratio")}: {saved.WarmupSteps} warm-up steps (now {fresh.WarmupSteps})");
        if (saved.TotalSteps != fresh.TotalSteps && saved.TotalSteps > 0)
            changes.Add($"{(config.Training.MaxSteps > 0 ? "training.max_steps" : "training.epochs")}: {saved.TotalSteps} steps in all (now {fresh.TotalSteps})");
        return changes.Count == 0 ? null : string.Join(", ", changes);
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
            $"lora={(c.Lora is { } l ? $"{l.R}/{l.Alpha}/{l.TargetPattern ?? string.Join("+", l.TargetModules)}" : "off")}")
            + (c.Model.InferenceFree ? ";model.inference_free=true" : "") // only when on: older checkpoints keep their fingerprint
            + (c.Model.MaxSeqLength is int maxSeqLength ? $";model.max_seq_length={maxSeqLength}" : "") // only when given, likewise
            + (setup.Train.Any(d => d.Groups is not null) ? $";data.train_group_size={setup.Train.First(d => d.Groups is not null).Groups!.GroupSize}" : "")
            + (c.Data.NoInBatchNeg ? ";data.no_in_batch_neg=true" : "") + (c.Data.SameDatasetWithinBatch ? ";data.same_dataset_within_batch=true" : "")
            + (setup.Prompts is null ? "" : $";training.prompts={c.Training.Prompts!.Digest()}")
            + (c.Data.FlagEmbedding.Any ? $";data.flag_embedding={Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(c.Data.FlagEmbedding.ToString())))[..16]}" : "")
            // DoRA adds the magnitudes (other parameters), rsLoRA scales the same adapters otherwise (LoRA runs only).
            + (c.Lora is { } variant ? $";lora.use_dora={(variant.UseDora ? "true" : "false")};lora.use_rslora={(variant.UseRsLora ? "true" : "false")}" : "")
            + (c.QuickTest ? ";quick_test=true" : "");
    }

    // The keys whose values differ, each as "KEY changed (OLD → NEW)"; a part that stands for several keys (lora's
    // r/alpha/target_modules, a SPLADE head's pooling/activation) names the ones that changed, a digest only its key.
    private static string Difference(string saved, string now)
    {
        var a = Parts(saved);
        var b = Parts(now);
        // Both ways: a setting written only when on (quick_test) is missing from one side when turned off.
        var diff = new List<string>();
        foreach (string key in b.Keys.Concat(a.Keys).Distinct())
        {
            string? was = a.GetValueOrDefault(key), isNow = b.GetValueOrDefault(key);
            if (was == isNow) continue;
            if (key == "lora" && was is not null and not "off" && isNow is not null and not "off")
            {
                string[] x = was.Split('/'), y = isNow.Split('/'), names = ["lora.r", "lora.alpha", "lora.target_modules"];
                for (int i = 0; i < names.Length; i++)
                {
                    if (x.ElementAtOrDefault(i) != y.ElementAtOrDefault(i)) diff.Add(Changed(names[i], x.ElementAtOrDefault(i), y.ElementAtOrDefault(i)));
                }
            }
            else if (key == "lora") diff.Add($"lora changed ({(was is null or "off" ? "off" : "on")} → {(isNow is null or "off" ? "off" : "on")})");
            else if (key == "model.splade") diff.Add("model.pooling_strategy or model.activation_function changed");
            else if (key is "data.flag_embedding" or "training.prompts") diff.Add($"{key} changed");
            else diff.Add(Changed(key, was, isNow));
        }
        return diff.Count == 0 ? "different settings" : string.Join("; ", diff);

        static string Changed(string key, string? was, string? isNow) =>
            (was?.Length ?? 0) + (isNow?.Length ?? 0) > 120 ? $"{key} changed" : $"{key} changed ({Shown(was)} → {Shown(isNow)})";

        static string Shown(string? value) => value is null ? "not set" : value.Length == 0 ? "empty" : value;
    }

    private static Dictionary<string, string> Parts(string fingerprint)
    {
        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in fingerprint.Split(';'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            parts.TryAdd(eq < 0 ? part : part[..eq], eq < 0 ? "" : part[(eq + 1)..]);
        }
        return parts;
    }

    private static IEnumerable<Dictionary<string, double>> ReadHistory(string path) =>
        MetricsLog.ReadAll(path).Select(r => r.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!.Value));
}
