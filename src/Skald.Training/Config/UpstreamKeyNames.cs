namespace Skald.Training.Config;

/// <summary>
/// Config keys as transformers' <c>TrainingArguments</c>, sentence-transformers' training arguments and peft's
/// <c>LoraConfig</c> spell them, which a user coming from Python writes first, and where Skald reads them instead:
/// <see cref="SectionReader.Done"/> suggests that key before any typo's "did you mean" (whose nearest key by spelling
/// can be a wrong one: <c>training.save_steps</c> is one letter from <c>training.max_steps</c>, while the setting is
/// <c>output.save_steps</c>). TrainingArguments is one flat list, so these names turn up in any section of a
/// <c>skald train</c> config; Skald splits them into sections.
/// </summary>
internal static class UpstreamKeyNames
{
    // upstream name -> Skald's section.key
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["lora_alpha"] = "lora.alpha",
        ["lora_dropout"] = "lora.dropout",
        ["rank"] = "lora.r",
        ["per_device_train_batch_size"] = "training.batch_size",
        ["train_batch_size"] = "training.batch_size",
        ["num_train_epochs"] = "training.epochs",
        ["lr_scheduler_type"] = "training.scheduler",
        ["lr_scheduler_kwargs"] = "training.scheduler_kwargs",
        ["batch_sampler"] = "training.no_duplicates",
        ["output_dir"] = "output.dir",
        ["save_steps"] = "output.save_steps",
        ["save_strategy"] = "output.save_steps",
        ["save_total_limit"] = "output.save_total_limit",
        ["resume_from_checkpoint"] = "output.resume",
        ["overwrite_output_dir"] = "output.resume",
        ["report_to"] = "output.tensorboard",
        ["logging_dir"] = "output.tensorboard",
        ["push_to_hub"] = "output.push_to_hub",
        ["hub_model_id"] = "output.hub_model_id",
        ["hub_strategy"] = "output.hub_strategy",
        ["hub_private_repo"] = "output.hub_private_repo",
        ["eval_steps"] = "evaluation.steps",
        ["eval_strategy"] = "evaluation.steps",
        ["evaluation_strategy"] = "evaluation.steps",
        ["per_device_eval_batch_size"] = "evaluation.batch_size",
        ["eval_batch_size"] = "evaluation.batch_size",
        ["metric_for_best_model"] = "evaluation.metric_for_best_model",
        ["greater_is_better"] = "evaluation.greater_is_better",
        ["load_best_model_at_end"] = "evaluation.load_best_model_at_end",
        ["multi_dataset_batch_sampler"] = "data.sampling",
        ["learning_rate"] = "training.learning_rate",
        ["warmup_steps"] = "training.warmup_steps",
        ["warmup_ratio"] = "training.warmup_ratio",
        ["weight_decay"] = "training.weight_decay",
        ["max_grad_norm"] = "training.max_grad_norm",
        ["max_steps"] = "training.max_steps",
        ["logging_steps"] = "training.logging_steps",
        ["seed"] = "training.seed",
        ["gradient_accumulation_steps"] = "training.gradient_accumulation_steps",
        ["gradient_checkpointing"] = "training.gradient_checkpointing",
        ["prompts"] = "training.prompts",
        ["max_seq_length"] = "model.max_seq_length", // sentence-transformers' model.max_seq_length (loss.max_seq_length is causal_lm's)
    };

    // upstream names whose Skald key means something else under mpirun, and how they relate: transformers' Trainer
    // gives each process per_device_train_batch_size rows (train_batch_size is that times the GPUs of one process), so
    // its batch is that times the processes; Skald's training.batch_size is that global batch, split across the ranks
    // (Skald.Distributed.Shard: contiguous parts, the first ranks one row more when it does not divide). Upstream:
    // TrainingArguments.train_batch_size in huggingface/transformers src/transformers/training_args.py at fd798335.
    private static readonly Dictionary<string, string> Meanings = new(StringComparer.Ordinal)
    {
        ["per_device_train_batch_size"] = GlobalBatch("per_device_train_batch_size"),
        ["train_batch_size"] = GlobalBatch("train_batch_size"),
    };

    // upstream names Skald has no key for, and what to do instead
    private static readonly Dictionary<string, string> Absent = new(StringComparer.Ordinal)
    {
        ["fp16"] = "Skald trains in float32 (model.weights: bf16 or f16 holds a frozen LoRA base in 16 bits)",
        ["bf16"] = "Skald trains in float32 (model.weights: bf16 or f16 holds a frozen LoRA base in 16 bits)",
        ["optim"] = "Skald's optimizer is AdamW (training.adam_beta1, adam_beta2, adam_epsilon, weight_decay)",
        ["task_type"] = "Skald writes peft's task_type into adapter_config.json itself: CAUSAL_LM for loss.type causal_lm, SEQ_CLS for a cross-encoder, null for an embedding model",
    };

    /// <summary>
    /// Skald's name for <paramref name="key"/>, given in <paramref name="section"/> of a <c>skald train</c> config whose
    /// keys there are <paramref name="known"/>: the key alone when it belongs to this section (or, in a pipeline stage,
    /// when the stage reads it), the whole <c>section.key</c> when it belongs to another section; else null.
    /// </summary>
    public static string? For(string section, string key, IReadOnlySet<string> known)
    {
        if (!Names.TryGetValue(key, out var ours)) return null;
        int dot = ours.IndexOf('.', StringComparison.Ordinal);
        string home = ours[..dot], name = ours[(dot + 1)..];
        // (a pipeline stage's keys, in a section of its own name, get the key alone when the stage reads it)
        if (home == section || !ConfigLoader.Sections.Contains(section)) return known.Contains(name) ? name : null;
        return ours;
    }

    /// <summary>
    /// How Skald's key for the upstream <paramref name="key"/> differs from it, for the line that suggests it (the
    /// per-process batch sizes, whose Skald key is the global batch under mpirun), or null.
    /// </summary>
    public static string? Meaning(string key) => Meanings.GetValueOrDefault(key);

    private static string GlobalBatch(string upstream) =>
        $"That is the global batch: {upstream} times the processes under mpirun, which split it (the same on one process).";

    /// <summary>Why Skald has no key for the upstream <paramref name="key"/> given in a train config section, or null.</summary>
    public static string? NoKey(string section, string key) =>
        ConfigLoader.Sections.Contains(section) && Absent.TryGetValue(key, out var why) ? why : null;
}
