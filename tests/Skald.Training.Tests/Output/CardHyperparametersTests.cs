using Skald.Training.Config;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

/// <summary>
/// The card's "All Hyperparameters" is ModelCardCallback's list (sentence-transformers' model_card.py at 85ec6455:
/// <c>args.to_dict()</c> without its ignored keys, in the dataclass's field order) cut to the fields a Skald setting gives
/// a value: upstream's names in upstream's order, each value as the template prints it. The list had warmup_steps before
/// warmup_ratio and lacked eval_strategy, per_device_eval_batch_size, load_best_model_at_end, gradient_checkpointing,
/// prompts, learning_rate_mapping and the other fields Skald sets.
/// </summary>
public sealed class CardHyperparametersTests
{
    /// <summary>
    /// Every field of SentenceTransformerTrainingArguments in order: TrainingArguments' (src/transformers/training_args.py,
    /// huggingface/transformers at fd798335c275520af034c678b35e8167820c7c80), then sentence-transformers' own
    /// (training_args.py at 85ec6455).
    /// </summary>
    private static readonly string[] UpstreamFields =
    [
        "output_dir", "overwrite_output_dir", "do_train", "do_eval", "do_predict", "eval_strategy", "prediction_loss_only",
        "per_device_train_batch_size", "per_device_eval_batch_size", "per_gpu_train_batch_size", "per_gpu_eval_batch_size",
        "gradient_accumulation_steps", "eval_accumulation_steps", "eval_delay", "torch_empty_cache_steps", "learning_rate",
        "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "num_train_epochs", "max_steps",
        "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_ratio", "warmup_steps", "log_level", "log_level_replica",
        "log_on_each_node", "logging_dir", "logging_strategy", "logging_first_step", "logging_steps", "logging_nan_inf_filter",
        "save_strategy", "save_steps", "save_total_limit", "save_safetensors", "save_on_each_node", "save_only_model",
        "restore_callback_states_from_checkpoint", "no_cuda", "use_cpu", "use_mps_device", "seed", "data_seed", "jit_mode_eval",
        "use_ipex", "bf16", "fp16", "fp16_opt_level", "half_precision_backend", "bf16_full_eval", "fp16_full_eval", "tf32",
        "local_rank", "ddp_backend", "tpu_num_cores", "tpu_metrics_debug", "debug", "dataloader_drop_last", "eval_steps",
        "dataloader_num_workers", "dataloader_prefetch_factor", "past_index", "run_name", "disable_tqdm", "remove_unused_columns",
        "label_names", "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "ignore_data_skip", "fsdp",
        "fsdp_min_num_params", "fsdp_config", "tp_size", "fsdp_transformer_layer_cls_to_wrap", "accelerator_config", "deepspeed",
        "label_smoothing_factor", "optim", "optim_args", "adafactor", "group_by_length", "length_column_name", "report_to",
        "ddp_find_unused_parameters", "ddp_bucket_cap_mb", "ddp_broadcast_buffers", "dataloader_pin_memory",
        "dataloader_persistent_workers", "skip_memory_metrics", "use_legacy_prediction_loop", "push_to_hub",
        "resume_from_checkpoint", "hub_model_id", "hub_strategy", "hub_token", "hub_private_repo", "hub_always_push",
        "gradient_checkpointing", "gradient_checkpointing_kwargs", "include_inputs_for_metrics", "include_for_metrics",
        "eval_do_concat_batches", "fp16_backend", "evaluation_strategy", "push_to_hub_model_id", "push_to_hub_organization",
        "push_to_hub_token", "mp_parameters", "auto_find_batch_size", "full_determinism", "torchdynamo", "ray_scope", "ddp_timeout",
        "torch_compile", "torch_compile_backend", "torch_compile_mode", "dispatch_batches", "split_batches",
        "include_tokens_per_second", "include_num_input_tokens_seen", "neftune_noise_alpha", "optim_target_modules",
        "batch_eval_metrics", "eval_on_start", "use_liger_kernel", "eval_use_gather_object", "average_tokens_across_devices",
        "prompts", "batch_sampler", "multi_dataset_batch_sampler", "router_mapping", "learning_rate_mapping",
    ];

    /// <summary>ModelCardCallback.on_train_begin's ignore_keys: never on a card.</summary>
    private static readonly string[] Ignored =
    [
        "output_dir", "logging_dir", "logging_strategy", "logging_first_step", "logging_steps", "evaluation_strategy", "eval_steps",
        "eval_delay", "save_strategy", "save_steps", "save_total_limit", "metric_for_best_model", "greater_is_better", "report_to",
        "samples_per_label", "show_progress_bar", "do_train", "do_eval", "do_test", "run_name", "hub_token", "push_to_hub_token",
    ];

    /// <summary>The fields a Skald setting gives a value.</summary>
    private static readonly string[] Skalds =
    [
        "eval_strategy", "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps", "learning_rate",
        "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "num_train_epochs", "max_steps",
        "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_ratio", "warmup_steps", "seed", "load_best_model_at_end",
        "group_by_length", "push_to_hub", "hub_model_id", "hub_strategy", "hub_private_repo", "gradient_checkpointing", "prompts",
        "batch_sampler", "multi_dataset_batch_sampler", "learning_rate_mapping",
    ];

    private readonly string dir = InfraPaths.NewTempDir();

    private string Card(string training, string evaluation = "{}")
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferje {i} går klokka åtte.\"}}\n")));
        var config = ConfigLoader.Parse($$"""
            model: {path: {{InfraPaths.FixtureModel("bert-cased-mean")}}}
            data: {train: {{data}}}
            training: {{training}}
            evaluation: {{evaluation}}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """, "c.yaml");
        return ModelCard.Build(TrainingRun.Build(config), [], new Dictionary<string, double>(), new TrainerState(), 3)
            .Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static List<(string Key, string Value)> AllList(string card)
    {
        int from = card.IndexOf("#### All Hyperparameters\n", StringComparison.Ordinal);
        int to = card.IndexOf("</details>", from, StringComparison.Ordinal);
        return [.. card[from..to].Split('\n').Where(l => l.StartsWith("- `", StringComparison.Ordinal))
            .Select(l => (l[3..l.IndexOf('`', 3)], l[(l.IndexOf('`', 3) + 3)..]))];
    }

    [Fact]
    public void TheListIsUpstreamsFieldsInUpstreamsOrderThenSkaldsOwn()
    {
        var keys = AllList(Card("{batch_size: 4, max_steps: 3}")).Select(r => r.Key).ToList();
        Assert.Equal(["dropout", "total_steps", "world_size", "final_evaluation"], keys[^4..]);
        var upstream = keys[..^4];
        Assert.Equal(Skalds.Order(StringComparer.Ordinal), upstream.Order(StringComparer.Ordinal));
        Assert.Empty(upstream.Intersect(Ignored));
        var positions = upstream.Select(k => Array.IndexOf(UpstreamFields, k)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions); // the dataclass's order
    }

    /// <summary>
    /// Under mpirun training.batch_size is the global batch; upstream's per_device_train_batch_size is one process's
    /// part (global = per_device × world size × accumulation). The card showed the global batch as the per-device one.
    /// </summary>
    [Theory]
    [InlineData(1, "8")]
    [InlineData(2, "4")]
    [InlineData(3, "3")] // 8 rows on 3 ranks: 3, 3, 2 (rank 0's share)
    public void PerDeviceBatchIsTheGlobalBatchSplitAcrossTheRanks(int worldSize, string perDevice)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", "{\"anchor\": \"a\", \"positive\": \"b\"}\n");
        var config = ConfigLoader.Parse($$"""
            model: {path: {{InfraPaths.FixtureModel("bert-cased-mean")}}}
            data: {train: {{data}}}
            training: {batch_size: 8, gradient_accumulation_steps: 2}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """, "c.yaml");
        var sb = new System.Text.StringBuilder();
        CardHyperparameters.Write(sb, config, 3, worldSize, evaluated: false);
        var all = AllList(sb.ToString().Replace("\r\n", "\n", StringComparison.Ordinal)).ToDictionary(r => r.Key, r => r.Value);
        Assert.Equal(perDevice, all["per_device_train_batch_size"]);
        Assert.Equal("2", all["gradient_accumulation_steps"]);
        Assert.Equal(worldSize.ToString(System.Globalization.CultureInfo.InvariantCulture), all["world_size"]);
    }

    [Fact]
    public void EachValueIsAsTheTemplatePrintsIt()
    {
        var all = AllList(Card(
            """{batch_size: 4, max_steps: 3, warmup_ratio: 0.1, gradient_checkpointing: true, learning_rate_mapping: {'layer\.0': 1.0e-4}, prompts: {anchor: 'query: ', positive: "it's "}}""",
            "{steps: 2, batch_size: 16, load_best_model_at_end: true}")).ToDictionary(r => r.Key, r => r.Value);
        Assert.Equal("steps", all["eval_strategy"]);
        Assert.Equal("16", all["per_device_eval_batch_size"]);
        Assert.Equal("0.1", all["warmup_ratio"]);
        Assert.Equal("0", all["warmup_steps"]);
        Assert.Equal("True", all["load_best_model_at_end"]);
        Assert.Equal("True", all["gradient_checkpointing"]);
        Assert.Equal("None", all["hub_private_repo"]);
        Assert.Equal("{'anchor': 'query: ', 'positive': \"it's \"}", all["prompts"]);
        Assert.Equal("{'layer\\\\.0': 0.0001}", all["learning_rate_mapping"]);
        Assert.Equal("no_duplicates", all["batch_sampler"]);
        Assert.Equal("None", AllList(Card("{batch_size: 4, max_steps: 3}")).Single(r => r.Key == "prompts").Value);
        Assert.Equal("query: ", AllList(Card("{batch_size: 4, max_steps: 3, prompts: 'query: '}")).Single(r => r.Key == "prompts").Value);
    }

    /// <summary>
    /// With evaluation.steps 0 Skald still evaluates after the last step when the run has evaluators, and the card said
    /// only <c>eval_strategy: no</c>, as if nothing had been evaluated. It keeps upstream's <c>no</c> (no evaluation
    /// during training) and says under "All" whether the evaluation after training ran.
    /// </summary>
    [Fact]
    public void TheCardSaysWhetherTheRunEvaluatedAfterItsLastStep()
    {
        string sts = InfraPaths.WriteFile(dir, "sts.tsv", "sentence1\tsentence2\tscore\nHei\tHallo\t4\nHund\tKatt\t1\nBil\tBuss\t3\n");
        var evaluated = AllList(Card("{batch_size: 4, max_steps: 3}", $"{{tasks: [{sts}]}}")).ToDictionary(r => r.Key, r => r.Value);
        Assert.Equal("no", evaluated["eval_strategy"]);
        Assert.Equal("True", evaluated["final_evaluation"]);
        var not = AllList(Card("{batch_size: 4, max_steps: 3}")).ToDictionary(r => r.Key, r => r.Value);
        Assert.Equal("no", not["eval_strategy"]);
        Assert.Equal("False", not["final_evaluation"]);
    }
}
