using System.Text.Json;

namespace Skald.Models.Architectures;

/// <summary>
/// Checkpoints published with their own modeling code (config.json's <c>auto_map</c>, loaded in Python with
/// <c>trust_remote_code=True</c>): NorBERT3's <c>modeling_norbert.py</c> (LTG-BERT), NorBERT4's <c>modeling_gptbert.py</c>
/// (GPT-BERT), GTE's <c>modeling.py</c> of Alibaba-NLP/new-impl (NewModel, matched on module and class: "modeling"
/// alone is too generic). Skald never runs that Python; it knows the architectures those files define and re-implements them, so
/// such a folder is recognised by the module its <c>auto_map</c> names rather than by <c>model_type</c> (which these
/// configs often leave out or name differently).
/// </summary>
public static class CustomCode
{
    /// <summary>auto_map module (the file name without .py) → the Skald model type that re-implements it.</summary>
    private static readonly Dictionary<string, string> Modules = new(StringComparer.Ordinal)
    {
        ["modeling_norbert"] = "norbert",   // ltg/norbert3-*: LTG-BERT (ltgoslo/ltg-bert)
        ["modeling_ltgbert"] = "norbert",   // ltg/ltg-bert-*, the same architecture under its original name
        ["modeling_gptbert"] = "gptbert",   // ltg/norbert4-*: GPT-BERT
    };

    /// <summary>
    /// auto_map targets whose module name alone says too little ("modeling"): the module and the classes of it that
    /// Skald re-implements. Alibaba-NLP/new-impl's modeling.py (GTE's "NewModel": gte-multilingual-base,
    /// gte-*-en-v1.5, Snowflake/snowflake-arctic-embed-m-v2.0) and its task heads, which share the encoder.
    /// </summary>
    private static readonly Dictionary<string, (string Type, HashSet<string> Classes)> ModuleClasses = new(StringComparer.Ordinal)
    {
        ["modeling"] = (GteConfigReader.ModelType, new(StringComparer.Ordinal)
        {
            "NewModel", "NewForMaskedLM", "NewForSequenceClassification", "NewForTokenClassification",
            "NewForMultipleChoice", "NewForQuestionAnswering",
        }),
    };

    /// <summary>The auto_map modules Skald re-implements (those of <see cref="ModuleClasses"/> for some classes only).</summary>
    public static IReadOnlyCollection<string> KnownModules => [.. Modules.Keys, .. ModuleClasses.Keys];

    /// <summary>
    /// The Skald model type of a config whose <c>auto_map</c> points at custom modeling code; null when the config has
    /// no auto_map or its auto_map only names configuration/tokenizer classes. A modeling module Skald does not know
    /// is an error naming the class and the modules it does know.
    /// </summary>
    public static string? ModelType(JsonElement config, string path)
    {
        if (!config.TryGetProperty("auto_map", out var map) || map.ValueKind != JsonValueKind.Object) return null;
        string? found = null;
        foreach (var entry in map.EnumerateObject())
        {
            // AutoModel / AutoModelForMaskedLM / ...: "modeling_x.Class" (or "repo--modeling_x.Class" from the hub).
            if (!entry.Name.StartsWith("AutoModel", StringComparison.Ordinal)) continue;
            string? target = entry.Value.ValueKind switch
            {
                JsonValueKind.String => entry.Value.GetString(),
                JsonValueKind.Array when entry.Value.GetArrayLength() > 0 && entry.Value[0].ValueKind == JsonValueKind.String
                    => entry.Value[0].GetString(),
                _ => null,
            };
            if (string.IsNullOrEmpty(target)) continue;
            string module = ModuleOf(target);
            string? type = Modules.TryGetValue(module, out var byModule) ? byModule
                : ModuleClasses.TryGetValue(module, out var byClass) && byClass.Classes.Contains(ClassOf(target)) ? byClass.Type
                : null;
            if (type is null)
                throw new ModelFormatException(
                    $"{path}: auto_map.{entry.Name} names custom code \"{target}\" that Skald does not implement " +
                    $"(Skald re-implements {string.Join(", ", Modules.Keys.Select(m => m + ".py"))}, and modeling.py's NewModel of Alibaba-NLP/new-impl)");
            if (found is not null && found != type)
                throw new ModelFormatException($"{path}: auto_map names the code of two architectures ({found} and {type})");
            found = type;
        }
        return found;
    }

    /// <summary>
    /// The bidirectional encoder code McGill-NLP's LLM2Vec repositories publish beside their MNTP adapter
    /// (<c>McGill-NLP/LLM2Vec-Meta-Llama-3-8B-Instruct-mntp</c>: config.json's auto_map names
    /// <c>modeling_llama_encoder.LlamaEncoderModel</c>, the base decoder with causal masking off).
    /// </summary>
    private static readonly HashSet<string> Llm2VecEncoderModules = new(StringComparer.Ordinal)
    {
        "modeling_llama_encoder", "modeling_mistral_encoder", "modeling_gemma_encoder", "modeling_qwen2_encoder",
    };

    /// <summary>
    /// Whether <paramref name="folder"/>'s config.json maps AutoModel to LLM2Vec's bidirectional encoder code: such an
    /// adapter (an LLM2Vec MNTP repository) is meant to run with bidirectional attention, as <c>LLM2Vec.from_pretrained</c>
    /// runs every model it loads, even without an llm2vec_config.json.
    /// </summary>
    public static bool IsLlm2VecEncoder(string folder)
    {
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return false;
        using var doc = Skald.Models.Modules.JsonFiles.Read(path);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("auto_map", out var map)
            || map.ValueKind != JsonValueKind.Object || !map.TryGetProperty("AutoModel", out var target) || target.ValueKind != JsonValueKind.String)
            return false;
        return Llm2VecEncoderModules.Contains(ModuleOf(target.GetString()!));
    }

    /// <summary>"org/repo--modeling_x.Class" or "modeling_x.Class" → "Class".</summary>
    private static string ClassOf(string target) => target[(target.LastIndexOf('.') + 1)..];

    /// <summary>"org/repo--modeling_x.Class" or "modeling_x.Class" → "modeling_x".</summary>
    private static string ModuleOf(string target)
    {
        int repo = target.IndexOf("--", StringComparison.Ordinal);
        if (repo >= 0) target = target[(repo + 2)..];
        int dot = target.LastIndexOf('.');
        return dot > 0 ? target[..dot] : target;
    }
}
