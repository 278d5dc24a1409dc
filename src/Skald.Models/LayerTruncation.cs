using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Models.Modules;
using Skald.Tokenizers.Serialization;

namespace Skald.Models;

/// <summary>
/// A model folder cut to its first layers (sentence-transformers' recipe after AdaptiveLayerLoss / Matryoshka2dLoss:
/// <c>model[0].auto_model.encoder.layer = ...[:n]</c>, then save): the same folder with config.json's
/// <c>num_hidden_layers</c> (and <c>layer_types</c>) cut to n and the weights of layers n and later left out, every
/// other tensor kept in its stored precision. Transformers and sentence-transformers load the result as a smaller
/// model of the same architecture. For BERT, XLM-R, ModernBERT, NorBERT3, NorBERT4 (its config's <c>num_layers</c>),
/// DistilBERT, GPT-2, Llama-family and Gemma transformers (those whose layers are numbered <c>layer.{i}</c> / <c>layers.{i}</c> /
/// <c>h.{i}</c> in their checkpoint keys). A PEFT adapter folder given as the source (<see cref="AdapterBase"/>) is cut as the model it loads
/// as: its base's folder with the adapters merged, the weights written in float32 as <c>skald merge</c> writes them, so
/// the result is a plain model folder that needs neither the base nor the adapter (an LLM2Vec adapter's llm2vec_config.json
/// and query instruction come with it). A cross-encoder folder (a
/// sentence-transformers CrossEncoder or transformers <c>*ForSequenceClassification</c> folder) is cut the same way,
/// loaded as one (<see cref="CrossEncoder.Load"/>), its head's tensors and the rest of its config.json kept; an
/// adapter folder that loads as a cross-encoder is refused here (its head and config are the saver's:
/// <c>CrossEncoderSaver.Save</c> with a layer count, what <c>skald truncate-layers</c> calls for one).
/// </summary>
public static partial class LayerTruncation
{
    /// <summary>A checkpoint key's layer number: <c>encoder.layer.3.</c>, <c>model.layers.3.</c>, <c>layers.3.</c>, GPT-2's <c>transformer.h.3.</c>.</summary>
    [GeneratedRegex(@"(?:^|\.)(?:layers?|h)\.(\d+)\.")]
    private static partial Regex LayerKey();

    /// <summary>
    /// Writes <paramref name="source"/> with its first <paramref name="layers"/> layers to <paramref name="output"/>
    /// (atomically). Returns the source's number of layers.
    /// </summary>
    public static int Write(string source, int layers, string output)
    {
        // An adapter folder: its base's folder and weights, the adapters merged into the loaded model's parameters.
        var (folder, weightsPath, adapters) = SentenceEncoder.Sources(source);
        string configPath = Path.Combine(folder.TransformerPath, "config.json");
        bool crossEncoder = CrossEncoder.IsCrossEncoder(folder.Path);
        if (adapters.Count > 0 && (crossEncoder || adapters.Any(AdapterBase.IsSequenceClassification)))
            throw new ModelFormatException($"{source}: a cross-encoder with PEFT adapters is cut with them merged and its head by " +
                "CrossEncoderSaver.Save(CrossEncoder.Load(path), folder, layers), as skald truncate-layers does");
        // A cross-encoder loads as one (its head and config checked), an embedding model as one; either is cut the same way.
        using IDisposable model = crossEncoder ? CrossEncoder.Load(source) : SentenceEncoder.Load(source);
        var transformer = model is CrossEncoder ce ? ce.Transformer : ((SentenceEncoder)model).Transformer;
        int total = RequireCut(source, transformer, layers);
        var config = Modules.JsonFiles.ReadNodeObject(configPath);
        CutConfig(config, transformer.Config, layers);
        using var weights = Checkpoint.OpenFolder(weightsPath);
        var keep = weights.Keys.Where(k => Keeps(k, layers)).Order(StringComparer.Ordinal).ToList();
        static bool IsFloat(SafeTensorsDType t) => t is SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16;
        if (keep.Any(k => weights.DType(k) is SafeTensorsDType.I8 or SafeTensorsDType.U8))
            throw new ModelFormatException(Quantized(source));
        keep = [.. keep.Where(k => IsFloat(weights.DType(k)))]; // integer buffers (position_ids) are rebuilt by the loaders
        var floatTypes = keep.Select(weights.DType).Distinct().ToList();
        // mixed precisions: F32 holds each exactly; merged adapters: F32 holds the merged values
        var dtype = floatTypes.Count == 1 && adapters.Count == 0 ? floatTypes[0] : SafeTensorsDType.F32;
        var merged = adapters.Count == 0 ? null : Merged(transformer, keep);
        string transformerRelative = Path.GetRelativePath(folder.Path, folder.TransformerPath);
        IReadOnlyList<string> llm2Vec = model is SentenceEncoder encoder ? encoder.Llm2VecAdapterFiles() : [];
        StagingPaths.ReplaceFolder(output, tmp =>
        {
            CopyTree(folder.Path, tmp, skip: rel => Path.GetDirectoryName(rel) is var dir && (dir ?? "") == (transformerRelative == "." ? "" : transformerRelative)
                && (Checkpoint.IsWeightsFile(Path.GetFileName(rel))
                    || Path.GetFileName(rel) == "config.json" || Path.GetFileName(rel) == "README.md" || AdapterFiles.Contains(Path.GetFileName(rel))));
            foreach (string file in llm2Vec) File.Copy(file, Path.Combine(tmp, Path.GetFileName(file)), overwrite: true); // an LLM2Vec adapter's settings
            string target = Path.Combine(tmp, transformerRelative);
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "config.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            SafeTensorsWriter.Write(Path.Combine(target, "model.safetensors"),
                keep.Select(k => new TensorToWrite(k, weights.Shape(k), merged?.GetValueOrDefault(k) ?? weights.Read(k, weights.Shape(k)))), dtype);
        });
        return total;
    }

    /// <summary>
    /// The depth of <paramref name="transformer"/> (loaded from <paramref name="source"/>), once it is known that it can
    /// be cut to its first <paramref name="layers"/> layers: an architecture whose layers are numbered in its checkpoint
    /// keys, and at least one layer kept and one left out; else one line naming <paramref name="source"/>.
    /// </summary>
    internal static int RequireCut(string source, ITransformer transformer, int layers)
    {
        if (!transformer.ReportsHiddenStates)
            throw new ModelFormatException($"{source}: cutting layers is for BERT, XLM-R, DistilBERT, ModernBERT, NorBERT, GPT-2, Llama-family and Gemma models, not {transformer.Config.ModelType}");
        int total = transformer.Config.NumLayers;
        if (total < 2) throw new ModelFormatException($"{source}: the model has {total} layer; there is none to cut away");
        if (layers < 1 || layers >= total)
            throw new ModelFormatException($"{source}: the model has {Counted.Of(total, "layer")}; keep between 1 and {total - 1} of them, not {layers}");
        return total;
    }

    /// <summary>
    /// Cuts the config.json object <paramref name="json"/> of a model of <paramref name="model"/>'s architecture to its
    /// first <paramref name="layers"/> layers: <c>num_hidden_layers</c> (GPT-BERT's <c>num_layers</c>, DistilBERT's <c>n_layers</c>, GPT-2's <c>n_layer</c>) and the per-layer
    /// list <c>layer_types</c>, as transformers reads them.
    /// </summary>
    internal static void CutConfig(JsonObject json, TransformerConfig model, int layers)
    {
        // GPT-BERT reads num_layers, DistilBERT n_layers, GPT-2 n_layer (num_hidden_layers is their alias)
        string? own = model.ModelType switch
        {
            "gptbert" => "num_layers", DistilBertConfigReader.ModelType => "n_layers", Gpt2ConfigReader.ModelType => "n_layer", _ => null,
        };
        if (own is not null) json[own] = layers;
        if (own is null || json.ContainsKey("num_hidden_layers")) json["num_hidden_layers"] = layers;
        if (json["layer_types"] is JsonArray types && types.Count == model.NumLayers)
            json["layer_types"] = new JsonArray([.. types.Take(layers).Select(t => t?.DeepClone())]);
    }

    /// <summary>Whether the checkpoint key <paramref name="key"/> stays in a model cut to <paramref name="layers"/> layers: it names no layer, or one of the first.</summary>
    internal static bool Keeps(string key, int layers) =>
        LayerKey().Match(key) is not { Success: true } m || int.Parse(m.Groups[1].ValueSpan, provider: System.Globalization.CultureInfo.InvariantCulture) < layers;

    /// <summary>The one line refusing to cut a quantized (int8) checkpoint.</summary>
    internal static string Quantized(string source) => $"{source}: a quantized checkpoint; cut the layers of the float model, then quantize it";

    // A sentence-transformers folder saved with a peft adapter on its Transformer holds these beside its config.json; the
    // cut model has the adapter merged, so they stay behind.
    private static readonly string[] AdapterFiles = [PeftAdapters.ConfigFile, PeftAdapters.WeightsFile, PeftAdapters.PickleWeightsFile, AdapterBase.ChainFile];

    /// <summary>
    /// The values of <paramref name="transformer"/>'s parameters (adapters merged), by checkpoint key: a key
    /// names the parameter it loads, once the architecture's key prefix (<c>bert.</c>, <c>model.</c>) is dropped.
    /// </summary>
    private static Dictionary<string, float[]> Merged(ITransformer transformer, IEnumerable<string> keys)
    {
        var byName = transformer.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var prefixes = ArchitectureRegistry.KeyPrefixes(transformer.Config);
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            string name = prefixes.FirstOrDefault(p => key.StartsWith(p, StringComparison.Ordinal)) is { } prefix ? key[prefix.Length..] : key;
            if (byName.TryGetValue(name, out var p)) values[key] = p.Data.ToArray();
        }
        return values;
    }

    private static void CopyTree(string from, string to, Func<string, bool> skip)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            if (StagingPaths.IsStaging(rel) || skip(rel)) continue;
            string dst = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(file, dst);
        }
    }
}
