namespace Skald.Training.Config;

/// <summary>
/// Config keys as transformers' <c>TrainingArguments</c> and peft's <c>LoraConfig</c> spell them, which a user coming
/// from Python writes first, and the key Skald reads in their place: <see cref="SectionReader.Done"/> suggests that key
/// when the name is too far from every known key for a typo's "did you mean".
/// </summary>
internal static class UpstreamKeyNames
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["lora_alpha"] = "alpha",
        ["lora_dropout"] = "dropout",
        ["rank"] = "r",
        ["per_device_train_batch_size"] = "batch_size",
        ["train_batch_size"] = "batch_size",
        ["num_train_epochs"] = "epochs",
        ["lr_scheduler_type"] = "scheduler",
    };

    /// <summary>Skald's key for <paramref name="key"/> when it is one of the upstream names and the section reads it; else null.</summary>
    public static string? For(string key, IReadOnlySet<string> known) =>
        Names.TryGetValue(key, out var ours) && known.Contains(ours) ? ours : null;
}
