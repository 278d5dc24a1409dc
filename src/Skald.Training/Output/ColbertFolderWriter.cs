using System.Text;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Checkpoints;
using Skald.Models.LateInteraction;

namespace Skald.Training.Output;

/// <summary>
/// A trained ColBERT saved as PyLate's <c>ColBERT.save</c> lays it out, so that PyLate and
/// <see cref="ColbertEncoder.Load"/> read it: the Transformer module in the root (as for any model), modules.json
/// Transformer → <c>1_Dense</c> (→ <c>2_Dense</c> …) of type <c>pylate.models.Dense.Dense</c>, each Dense folder with the
/// config.json keys its constructor takes (in_features, out_features, bias, activation_function, use_residual) and
/// model.safetensors holding <c>linear.weight</c> (and <c>linear.bias</c>, and <c>residual.weight</c> for a residual Dense
/// whose widths differ), sentence_bert_config.json, and config_sentence_transformers.json with
/// PyLate's keys (query/document prefix and length, attend_to_expansion_tokens, skiplist_words, do_query_expansion,
/// similarity_fn_name MaxSim). No model_type key: PyLate reads a folder without one as a ColBERT.
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/colbert.py
/// (save, _load_sbert_model, _get_model_type) and pylate/models/Dense.py (load) at the same commit.
/// </summary>
internal static class ColbertFolderWriter
{
    /// <summary>Writes <paramref name="model"/> (a late-interaction <see cref="SentenceEncoder"/>) into the staging folder <paramref name="dir"/>.</summary>
    public static void Write(SentenceEncoder model, List<Parameter> parameters, string dir, string? modelCard) =>
        Write(model, parameters, dir, modelCard, adapter: null);

    /// <summary>
    /// Saves <paramref name="model"/> (a late-interaction <see cref="SentenceEncoder"/> with LoRA adapters attached to its
    /// transformer) into <paramref name="folder"/> (atomically) as sentence-transformers saves a model after
    /// <c>add_adapter</c>: the Transformer module holds the peft adapter (adapter_config.json naming the base in
    /// base_model_name_or_path, adapter_model.safetensors; <see cref="PeftAdapters.WriteInto"/>) with the tokenizer files
    /// and no weights (Skald writes the source's config.json there too, which transformers leaves out for an adapter and
    /// sentence-transformers does not read: it takes the base's); the Dense modules (trained whole) and PyLate's configs are written as for a merged
    /// save. <see cref="ColbertEncoder.Load"/> and training's <c>model.path</c> read the base's weights with the adapter merged.
    /// Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Transformer.py
    /// (save: the auto_model's save_pretrained, which writes only the adapter when one was added).
    /// </summary>
    public static void SaveWithAdapter(SentenceEncoder model, LoraConfig adapter, string folder, string? modelCard)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapter);
        StagingPaths.ReplaceFolder(folder, tmp => Write(model, [.. model.Parameters], tmp, modelCard, (adapter, folder)));
    }

    private static void Write(SentenceEncoder model, List<Parameter> parameters, string dir, string? modelCard, (LoraConfig Config, string Folder)? adapter)
    {
        var inputs = model.LateInteraction ?? throw new ArgumentException("not a late-interaction model", nameof(model));
        if (adapter is { } a)
        {
            PeftAdapters.WriteInto(dir, a.Folder, parameters, a.Config);
            ModelSaver.WriteTransformerFiles(model, dir);
        }
        else
        {
            ModelSaver.WriteTransformer(model, parameters, [], dir);
        }
        ModelSaver.WriteJson(Path.Combine(dir, "sentence_bert_config.json"), ModelSaver.SentenceBertConfig(model));
        var modules = new JsonArray { ModelSaver.Module(0, "", "sentence_transformers.models.Transformer") };
        for (int i = 0; i < model.Projections.Count; i++)
        {
            var projection = model.Projections[i];
            var d = projection.Dense;
            string name = $"{i + 1}_Dense", folder = Path.Combine(dir, name);
            Directory.CreateDirectory(folder);
            ModelSaver.WriteJson(Path.Combine(folder, "config.json"), new JsonObject
            {
                ["in_features"] = d.InFeatures,
                ["out_features"] = d.OutFeatures,
                ["bias"] = d.Bias is not null,
                ["activation_function"] = d.ActivationFunction,
                ["use_residual"] = projection.Residual,
            });
            var tensors = new List<TensorToWrite> { new("linear.weight", d.Weight.Shape, ModelSaver.Float32Values(d.Weight)) };
            if (d.Bias is { } bias) tensors.Add(new TensorToWrite("linear.bias", bias.Shape, ModelSaver.Float32Values(bias)));
            if (projection.ResidualWeight is { } residual) tensors.Add(new TensorToWrite("residual.weight", residual.Shape, ModelSaver.Float32Values(residual)));
            SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
            modules.Add(ModelSaver.Module(i + 1, name, "pylate.models.Dense.Dense"));
        }
        ModelSaver.WriteJson(Path.Combine(dir, "modules.json"), modules);
        var s = inputs.Settings;
        var config = ModelSaver.SentenceTransformersConfig(model.Folder);
        ModelSaver.WriteJson(Path.Combine(dir, ColbertSettings.FileName), new JsonObject
        {
            ["__version__"] = config["__version__"]?.DeepClone(),
            ["prompts"] = new JsonObject([.. model.Folder.Prompts.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))]),
            ["default_prompt_name"] = model.Folder.DefaultPromptName,
            ["similarity_fn_name"] = "MaxSim",
            ["query_prefix"] = s.QueryPrefix,
            ["document_prefix"] = s.DocumentPrefix,
            ["query_length"] = s.QueryLength,
            ["document_length"] = s.DocumentLength,
            ["attend_to_expansion_tokens"] = s.AttendToExpansionTokens,
            ["skiplist_words"] = new JsonArray([.. s.SkiplistWords.Select(w => (JsonNode)JsonValue.Create(w))]),
            ["do_query_expansion"] = s.DoQueryExpansion,
        });
        if (modelCard is not null) File.WriteAllText(Path.Combine(dir, "README.md"), modelCard, new UTF8Encoding(false));
    }
}
