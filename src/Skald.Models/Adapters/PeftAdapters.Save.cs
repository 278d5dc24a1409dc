using System.Text;
using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Adapters;

/// <summary>Writing attached adapters as a peft adapter folder, alone or inside a folder that holds more.</summary>
public static partial class PeftAdapters
{
    /// <summary>
    /// Writes the attached adapters of <paramref name="parameters"/> as a peft adapter folder (atomically), with
    /// <paramref name="savedModules"/> beside them: whole tensors of the config's modules_to_save (a cross-encoder's
    /// head), under their module keys without <c>base_model.model.</c>; and, when the config has
    /// <see cref="LoraConfig.BaseAdapters"/>, <see cref="AdapterBase.ChainFile"/> naming them.
    /// </summary>
    public static void Save(string folder, IReadOnlyList<Parameter> parameters, LoraConfig config, IReadOnlyList<TensorToWrite>? savedModules = null)
    {
        var tensors = Tensors(parameters, config, savedModules);
        StagingPaths.ReplaceFolder(folder, tmp => Write(tmp, folder, tensors, config));
    }

    /// <summary>
    /// Writes the attached adapters of <paramref name="parameters"/> (adapter_model.safetensors, adapter_config.json and,
    /// with <see cref="LoraConfig.BaseAdapters"/>, <see cref="AdapterBase.ChainFile"/>) into <paramref name="dir"/>, a
    /// staging folder the caller renames to <paramref name="finalFolder"/> (the chain file names earlier adapters
    /// relative to it): the adapter files of a folder that holds more, such as a ColBERT's Transformer module beside its
    /// Dense modules (sentence-transformers' save after <c>add_adapter</c>), or a cross-encoder's adapter beside its
    /// tokenizer files; <paramref name="savedModules"/> as in <see cref="Save"/>.
    /// </summary>
    public static void WriteInto(string dir, string finalFolder, IReadOnlyList<Parameter> parameters, LoraConfig config,
        IReadOnlyList<TensorToWrite>? savedModules = null) =>
        Write(dir, finalFolder, Tensors(parameters, config, savedModules), config);

    private static List<TensorToWrite> Tensors(IReadOnlyList<Parameter> parameters, LoraConfig config, IReadOnlyList<TensorToWrite>? savedModules)
    {
        var tensors = new List<TensorToWrite>();
        foreach (var p in parameters)
        {
            if (p.Lora is not { } lora) continue;
            tensors.Add(new TensorToWrite(KeyPrefix + config.ModulePrefix + lora.A.Name, lora.A.Shape, lora.A.Data));
            tensors.Add(new TensorToWrite(KeyPrefix + config.ModulePrefix + lora.B.Name, lora.B.Shape, lora.B.Data));
            if (lora.Magnitude is { } m) tensors.Add(new TensorToWrite(KeyPrefix + config.ModulePrefix + m.Name, m.Shape, m.Data));
        }
        if (tensors.Count == 0) throw new InvalidOperationException("no adapters are attached");
        foreach (var t in savedModules ?? []) tensors.Add(t with { Name = KeyPrefix + t.Name });
        return tensors;
    }

    private static void Write(string dir, string finalFolder, List<TensorToWrite> tensors, LoraConfig config)
    {
        SafeTensorsWriter.Write(Path.Combine(dir, WeightsFile), tensors);
        File.WriteAllText(Path.Combine(dir, ConfigFile),
            config.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }), new UTF8Encoding(false));
        if (config.BaseAdapters.Count > 0)
            File.WriteAllText(Path.Combine(dir, AdapterBase.ChainFile), AdapterBase.ChainJson(finalFolder, config.BaseAdapters), new UTF8Encoding(false));
    }
}
