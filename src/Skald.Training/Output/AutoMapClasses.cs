using System.Text.Json.Nodes;

namespace Skald.Training.Output;

/// <summary>
/// config.json's <c>auto_map</c> for a model of custom code (GTE's NewModel: <c>"AutoModel":
/// "Alibaba-NLP/new-impl--modeling.NewModel"</c>) saved as one of that code's head classes: the transformers auto class
/// is pointed at the class of the same module, as the published checkpoints of that class name it, so
/// transformers' <c>AutoModelForMaskedLM</c> / <c>AutoModelForSequenceClassification</c> with trust_remote_code=True loads the saved folder.
/// </summary>
internal static class AutoMapClasses
{
    /// <summary>
    /// Sets <c>auto_map[<paramref name="autoClass"/>]</c> to <paramref name="architecture"/> in the module of
    /// <c>auto_map.AutoModel</c>, when <paramref name="config"/> has such an auto_map and does not name
    /// <paramref name="autoClass"/> already; any other config is left as it is.
    /// </summary>
    public static void Name(JsonObject config, string autoClass, string architecture)
    {
        if (config["auto_map"] is not JsonObject map || map.ContainsKey(autoClass)
            || map["AutoModel"] is not JsonValue model || !model.TryGetValue(out string? target))
            return;
        int dot = target.LastIndexOf('.');
        if (dot > 0) map[autoClass] = target[..(dot + 1)] + architecture;
    }
}
