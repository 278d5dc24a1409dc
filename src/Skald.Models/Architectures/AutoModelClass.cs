using System.Text.Json;

namespace Skald.Models.Architectures;

/// <summary>
/// The class transformers' <c>AutoModel</c> builds for a checkpoint (BertModel for <c>model_type: bert</c>), which
/// sentence-transformers' Transformer module holds and prints as its <c>architecture</c>
/// (<c>Transformer({'max_seq_length': 256, 'do_lower_case': False, 'architecture': 'BertModel'})</c>). The table is
/// transformers' MODEL_MAPPING_NAMES (models/auto/modeling_auto.py) for the types Skald runs; a checkpoint with its own
/// modeling code names the class in config.json's <c>auto_map.AutoModel</c>.
/// </summary>
public static class AutoModelClass
{
    /// <summary>The class for <paramref name="modelType"/>, or null for a type not in the table.</summary>
    public static string? Of(string modelType) => modelType switch
    {
        "bert" => "BertModel",
        "xlm-roberta" => "XLMRobertaModel",
        "roberta" => "RobertaModel",
        "camembert" => "CamembertModel",
        "distilbert" => "DistilBertModel",
        "modernbert" => "ModernBertModel",
        "gpt2" => "GPT2Model",
        "llama" => "LlamaModel",
        "mistral" => "MistralModel",
        "qwen2" => "Qwen2Model",
        "qwen3" => "Qwen3Model",
        "gemma" => "GemmaModel",
        "gemma2" => "Gemma2Model",
        "gemma3_text" => "Gemma3TextModel",
        _ => null,
    };

    /// <summary>
    /// The class for the checkpoint whose config.json is in <paramref name="folder"/>: <see cref="Of"/> its model type,
    /// else the class its <c>auto_map.AutoModel</c> names (custom code), else its first <c>architectures</c> entry, else the type.
    /// </summary>
    public static string ForFolder(string folder, string modelType)
    {
        if (Of(modelType) is { } known) return known;
        string file = Path.Combine(folder, "config.json");
        if (!File.Exists(file)) return modelType;
        using var doc = Modules.JsonFiles.ReadObject(file); // read as every loader reads it: one line when it is not JSON
        var r = doc.RootElement;
        if (r.TryGetProperty("auto_map", out var map) && map.ValueKind == JsonValueKind.Object
            && map.TryGetProperty("AutoModel", out var auto) && auto.ValueKind == JsonValueKind.String && auto.GetString() is { Length: > 0 } target)
            return target[(target.LastIndexOf('.') + 1)..];
        if (TransformerConfig.ArchitectureOf(r) is { } first) return first;
        return modelType;
    }
}
