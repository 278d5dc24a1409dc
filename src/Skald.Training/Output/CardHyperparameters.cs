using System.Globalization;
using System.Text;
using Skald.Training.Config;

namespace Skald.Training.Output;

/// <summary>
/// The model card's "Training Hyperparameters" as sentence-transformers' ModelCardCallback writes them
/// (model_card.py and model_card_template.md at 85ec64559f4414aa536eca4bf53538291e0a333f: every field of
/// SentenceTransformerTrainingArguments.to_dict() but the ones on_train_begin leaves out): the settings that differ
/// from its defaults under "Non-Default Hyperparameters", then every one under "All Hyperparameters" in a collapsed
/// block, each value as Jinja prints the Python value (<c>True</c>, <c>5e-05</c>, a text bare, <c>{'power': 2.0}</c>).
/// Only the fields a Skald setting gives a value are listed, in the order of the dataclass's fields (TrainingArguments
/// in src/transformers/training_args.py, huggingface/transformers at fd798335c275520af034c678b35e8167820c7c80, then
/// sentence-transformers' own: prompts, batch_sampler, multi_dataset_batch_sampler, learning_rate_mapping); the fields
/// with no Skald counterpart (logging, precision, devices, DDP, hub token, ...) are left out. Skald's settings with no
/// TrainingArguments name (dropout, total_steps, world_size, final_evaluation) follow under "All" only. Skald evaluates
/// after the last step whenever the run has evaluators, also when <c>evaluation.steps</c> is 0: upstream's card then says
/// <c>eval_strategy: no</c> (no evaluation during training; transformers' example scripts evaluate once after training
/// when <c>do_eval</c> is set, a key ModelCardCallback leaves off the card), so <c>final_evaluation</c> says whether that
/// evaluation ran. Under mpirun
/// <c>training.batch_size</c> is the global batch, split across the ranks, while upstream's
/// <c>per_device_train_batch_size</c> is one process's part (its global batch per_device × world size × accumulation):
/// the card gives rank 0's rows, the batch divided by the world size (rounded up when it does not divide evenly, as
/// <see cref="Skald.Distributed.Shard"/> gives the first ranks one row more).
/// </summary>
internal static class CardHyperparameters
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Appends the section for <paramref name="c"/>'s run of <paramref name="steps"/> steps on <paramref name="worldSize"/>
    /// ranks, which evaluated after its last step when <paramref name="evaluated"/> (it has evaluators).
    /// </summary>
    public static void Write(StringBuilder sb, TrainingConfig c, int steps, int worldSize, bool evaluated)
    {
        var t = c.Training;
        var o = c.Output;
        // (name, value, SentenceTransformerTrainingArguments' default or null when it has none), in the dataclass's order
        var rows = new (string Name, string Value, string? Default)[]
        {
            ("eval_strategy", c.Evaluation.Steps > 0 ? "steps" : "no", "no"),
            ("per_device_train_batch_size", Py(Skald.Distributed.Shard.Of(t.BatchSize, 0, worldSize).Count), "8"), ("per_device_eval_batch_size", Py(c.Evaluation.BatchSize), "8"),
            ("gradient_accumulation_steps", Py(t.GradientAccumulationSteps), "1"),
            ("learning_rate", Py(t.LearningRate), "5e-05"), ("weight_decay", Py(t.WeightDecay), "0.0"),
            ("adam_beta1", Py(t.AdamBeta1), "0.9"), ("adam_beta2", Py(t.AdamBeta2), "0.999"), ("adam_epsilon", Py(t.AdamEpsilon), "1e-08"),
            ("max_grad_norm", Py(t.MaxGradNorm), "1.0"), ("num_train_epochs", Py(t.Epochs), "3.0"),
            ("max_steps", Py(t.MaxSteps > 0 ? t.MaxSteps : -1), "-1"), ("lr_scheduler_type", t.Scheduler, "linear"),
            ("lr_scheduler_kwargs", "{" + string.Join(", ", t.SchedulerKwargs.For(t.Scheduler).Select(kv => $"{Repr(kv.Name)}: {Py(kv.Value)}")) + "}", "{}"),
            ("warmup_ratio", Py(t.WarmupRatio), "0.0"), ("warmup_steps", Py(t.WarmupSteps), "0"),
            ("seed", Py(t.Seed), "42"), ("load_best_model_at_end", Py(c.Evaluation.LoadBestModelAtEnd), "False"),
            ("group_by_length", Py(t.GroupByLength), "False"),
            ("push_to_hub", Py(o.PushToHub), "False"), ("hub_model_id", o.HubModelId ?? "None", "None"),
            ("hub_strategy", o.HubStrategy, "every_save"),
            ("hub_private_repo", o.HubPrivateRepo ? "True" : "None", "None"), // (false: the hub's default visibility, as upstream's None)
            ("gradient_checkpointing", Py(t.GradientCheckpointing), "False"),
            ("prompts", Prompts(t.Prompts), "None"),
            ("batch_sampler", t.GroupByLabel ? "group_by_label" : t.NoDuplicates ? "no_duplicates" : "batch_sampler", "batch_sampler"),
            ("multi_dataset_batch_sampler", c.Data.Sampling, "proportional"),
            ("learning_rate_mapping", "{" + string.Join(", ", t.LearningRateMapping.Select(m => $"{Repr(m.Pattern)}: {Py(m.LearningRate)}")) + "}", "{}"),
            ("dropout", Py(c.Model.Dropout), null), ("total_steps", Py(steps), null), ("world_size", Py(worldSize), null),
            ("final_evaluation", Py(evaluated), null),
        };
        sb.AppendLine("### Training Hyperparameters");
        var changed = rows.Where(r => r.Default is not null && r.Value != r.Default).ToList();
        if (changed.Count > 0)
        {
            sb.AppendLine("#### Non-Default Hyperparameters");
            sb.AppendLine();
            foreach (var r in changed) sb.AppendLine($"- `{r.Name}`: {r.Value}");
            sb.AppendLine();
        }
        sb.AppendLine("#### All Hyperparameters");
        sb.AppendLine("<details><summary>Click to expand</summary>");
        sb.AppendLine();
        foreach (var r in rows) sb.AppendLine($"- `{r.Name}`: {r.Value}");
        sb.AppendLine();
        sb.AppendLine("</details>");
        sb.AppendLine();
    }

    /// <summary>A value as Python prints it inside a dict: True/False, floats in their shortest form with a lower-case exponent, a text quoted (<see cref="Repr"/>).</summary>
    public static string Py(object value) => value switch
    {
        bool b => b ? "True" : "False",
        float f => PyFloat(f.ToString("R", Inv)),
        double d => PyFloat(d.ToString("R", Inv)),
        string s => Repr(s),
        _ => Convert.ToString(value, Inv) ?? "None",
    };

    /// <summary>A text as Python's <c>repr()</c> prints it inside a dict: single quotes unless it holds one and no double quote.</summary>
    public static string Repr(string s)
    {
        char q = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder().Append(q);
        foreach (char ch in s)
        {
            sb.Append(ch switch
            {
                '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                _ when ch == q => "\\" + ch,
                _ when ch < ' ' || ch == '\x7f' => string.Create(Inv, $"\\x{(int)ch:x2}"),
                _ => ch.ToString(),
            });
        }
        return sb.Append(q).ToString();
    }

    // training.prompts as str() prints SentenceTransformerTrainingArguments.prompts: a text bare, a mapping as a dict
    private static string Prompts(TrainingPrompts? prompts)
    {
        if (prompts is null) return "None";
        var (all, entries) = prompts.Written;
        return all ?? "{" + string.Join(", ", entries.Select(e => $"{Repr(e.Key)}: " + (e.Text is { } text ? Repr(text)
            : "{" + string.Join(", ", e.Columns!.Select(x => $"{Repr(x.Column)}: {Repr(x.Text)}")) + "}"))) + "}";
    }

    // .NET's "R" gives 5E-05 and 1 where Python gives 5e-05 and 1.0
    private static string PyFloat(string r) => r.Contains('E', StringComparison.Ordinal) ? r.Replace("E", "e", StringComparison.Ordinal)
        : r.Contains('.', StringComparison.Ordinal) || r.Contains("Infinity", StringComparison.Ordinal) || r == "NaN" ? r : r + ".0";
}
