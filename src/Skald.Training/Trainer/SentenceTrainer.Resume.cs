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
