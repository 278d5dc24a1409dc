using System.Globalization;
using System.Text;
using Skald.Training.Config;

namespace Skald.Training.Output;

/// <summary>
/// The model card's "Training Hyperparameters" as sentence-transformers' ModelCardCallback writes them
/// (model_card.py and model_card_template.md at 85ec64559f4414aa536eca4bf53538291e0a333f): the settings that differ
/// from SentenceTransformerTrainingArguments' defaults under "Non-Default Hyperparameters", then every one under "All
/// Hyperparameters" in a collapsed block, each value as Python prints it (<c>True</c>, <c>5e-05</c>, <c>{'power': 2.0}</c>).
/// Settings with no TrainingArguments name (dropout, total_steps, world_size) are listed under "All" only.
/// </summary>
internal static class CardHyperparameters
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Appends the section for <paramref name="c"/>'s run of <paramref name="steps"/> steps.</summary>
    public static void Write(StringBuilder sb, TrainingConfig c, int steps, int worldSize)
    {
        var t = c.Training;
        // (name, value, TrainingArguments' default or null when it has none)
        var rows = new (string Name, string Value, string? Default)[]
        {
            ("per_device_train_batch_size", Py(t.BatchSize), "8"), ("learning_rate", Py(t.LearningRate), "5e-05"),
            ("num_train_epochs", Py(t.Epochs), "3.0"), ("max_steps", Py(t.MaxSteps > 0 ? t.MaxSteps : -1), "-1"),
            ("warmup_steps", Py(t.WarmupSteps), "0"), ("warmup_ratio", Py(t.WarmupRatio), "0.0"),
            ("lr_scheduler_type", t.Scheduler, "linear"),
            ("lr_scheduler_kwargs", "{" + string.Join(", ", t.SchedulerKwargs.For(t.Scheduler).Select(kv => $"'{kv.Name}': {Py(kv.Value)}")) + "}", "{}"),
            ("weight_decay", Py(t.WeightDecay), "0.0"), ("adam_beta1", Py(t.AdamBeta1), "0.9"), ("adam_beta2", Py(t.AdamBeta2), "0.999"),
            ("adam_epsilon", Py(t.AdamEpsilon), "1e-08"), ("max_grad_norm", Py(t.MaxGradNorm), "1.0"),
            ("gradient_accumulation_steps", Py(t.GradientAccumulationSteps), "1"), ("seed", Py(t.Seed), "42"),
            ("batch_sampler", t.NoDuplicates ? "no_duplicates" : "batch_sampler", "batch_sampler"),
            ("multi_dataset_batch_sampler", c.Data.Sampling, "proportional"),
            ("dropout", Py(c.Model.Dropout), null), ("total_steps", Py(steps), null), ("world_size", Py(worldSize), null),
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

    /// <summary>A value as Python's <c>str()</c> prints it: True/False, floats in their shortest form with a lower-case exponent.</summary>
    public static string Py(object value) => value switch
    {
        bool b => b ? "True" : "False",
        float f => PyFloat(f.ToString("R", Inv)),
        double d => PyFloat(d.ToString("R", Inv)),
        string s => $"'{s}'",
        _ => Convert.ToString(value, Inv) ?? "None",
    };

    // .NET's "R" gives 5E-05 and 1 where Python gives 5e-05 and 1.0
    private static string PyFloat(string r) => r.Contains('E', StringComparison.Ordinal) ? r.Replace("E", "e", StringComparison.Ordinal)
        : r.Contains('.', StringComparison.Ordinal) || r.Contains("Infinity", StringComparison.Ordinal) || r == "NaN" ? r : r + ".0";
}
