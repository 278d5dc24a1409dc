using Skald.Models.Adapters;
using Skald.Models.Checkpoints;

namespace Skald.Tests;

/// <summary>A PEFT LoRA adapter folder for the bert fixtures, to give where a model goes.</summary>
internal static class BertLoraFolder
{
    /// <summary>
    /// Writes a rank-2 LoRA on layer 0's query projection [32, 32] (non-zero, so it changes the embeddings) to
    /// <paramref name="folder"/>, its adapter_config.json naming <paramref name="baseValue"/> as its base; returns the folder.
    /// <paramref name="keyPrefix"/> goes before <c>encoder.</c> in the module names (<c>bert.</c> on a
    /// BertForSequenceClassification, the ce-bert fixture); <paramref name="taskType"/>, if given, is peft's task_type (SEQ_CLS).
    /// </summary>
    public static string Write(string folder, string baseValue, string keyPrefix = "", string? taskType = null)
    {
        Directory.CreateDirectory(folder);
        string task = taskType is null ? "" : $", \"task_type\": \"{taskType}\"";
        File.WriteAllText(Path.Combine(folder, PeftAdapters.ConfigFile),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(baseValue)}}{{task}}}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Sin(s * 7 + i))];
        string module = $"base_model.model.{keyPrefix}encoder.layer.0.attention.self.query";
        SafeTensorsWriter.Write(Path.Combine(folder, PeftAdapters.WeightsFile),
            [new($"{module}.lora_A.weight", [2, 32], Values(1)), new($"{module}.lora_B.weight", [32, 2], Values(2))]);
        return folder;
    }
}
