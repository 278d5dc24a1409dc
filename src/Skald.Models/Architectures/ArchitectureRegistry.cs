using Skald.Models.Checkpoints;
using Skald.Tensors;

namespace Skald.Models.Architectures;

/// <summary>
/// config.json's <c>model_type</c> → architecture. Adding an architecture is one file (its class) and one entry here:
/// the key prefixes its checkpoints may carry (stripped on load), how to build it from a <see cref="ParameterBuilder"/>,
/// and how transformers initialises a new one.
/// </summary>
public static class ArchitectureRegistry
{
    private sealed record Entry(
        string[] KeyPrefixes,
        Func<TransformerConfig, ParameterBuilder, ITransformer> Build,
        Func<TransformerConfig, SkaldRandom, ParameterInitializer> Initializer);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        ["bert"] = new(["bert."], (c, p) => new BertModel(c, p, positionsFromPadding: false), (c, r) => BertModel.Initializer(c, r)),
        ["xlm-roberta"] = new(["roberta.", "xlm_roberta."], (c, p) => new BertModel(c, p, positionsFromPadding: true), (c, r) => BertModel.Initializer(c, r)),
        ["roberta"] = new(["roberta."], (c, p) => new BertModel(c, p, positionsFromPadding: true), (c, r) => BertModel.Initializer(c, r)),
        ["camembert"] = new(["roberta.", "camembert."], (c, p) => new BertModel(c, p, positionsFromPadding: true), (c, r) => BertModel.Initializer(c, r)),
        [DistilBertConfigReader.ModelType] = new(["distilbert."], (c, p) => new DistilBert(c, p), DistilBert.Initializer),
        ["llama"] = new(["model."], (c, p) => new Llama(c, p), Llama.Initializer),
        ["mistral"] = new(["model."], (c, p) => new Llama(c, p), Llama.Initializer),
        ["qwen2"] = new(["model."], (c, p) => new Llama(c, p), Llama.Initializer),
        ["qwen3"] = new(["model."], (c, p) => new Llama(c, p), Llama.Initializer),
        ["gemma"] = new(["model."], (c, p) => new Gemma(c, p), Gemma.Initializer),
        ["gemma2"] = new(["model."], (c, p) => new Gemma(c, p), Gemma.Initializer),
        ["gemma3_text"] = new(["model."], (c, p) => new Gemma(c, p), Gemma.Initializer),
        [Gpt2ConfigReader.ModelType] = new(["transformer."], (c, p) => new Gpt2(c, p), Gpt2.Initializer),
        ["norbert"] = new(["norbert3."], (c, p) => new Norbert(c, p), Norbert.Initializer),
        ["modernbert"] = new(["model."], (c, p) => new ModernBert(c, p), ModernBert.Initializer),
        [GptBertConfigReader.ModelType] = new([], (c, p) => new GptBert(c, p), GptBert.Initializer),
        [GteConfigReader.ModelType] = new(["new."], (c, p) => new Gte(c, p), Gte.Initializer),
    };

    /// <summary>model_type values Skald can run.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = [.. Entries.Keys];

    /// <summary>
    /// Loads the transformer in <paramref name="folder"/> (config.json + safetensors), its 2-D weights held as
    /// <paramref name="precision"/> (bfloat16 / float16: a frozen base). With <paramref name="keepInt8"/> the int8
    /// tensors of a saved int8 model stay int8 (int8-only parameters, no float32 copy made); otherwise they are
    /// dequantised. <paramref name="namePrefix"/> goes in front of every parameter's name (a second trainable copy of a
    /// model, whose names must differ from the first's in a checkpoint). Float32 matrices stay in the file until first
    /// used (<c>leaveMatricesInFile</c>: copied into memory whole then, or turned straight into an inference-only
    /// model's packed, int8 or bfloat16 form), so loading holds no float32 Linear weight an inference-only model drops.
    /// </summary>
    public static ITransformer Load(string folder, WeightPrecision precision = WeightPrecision.Float32, bool keepInt8 = false, string namePrefix = "")
    {
        if (!Directory.Exists(folder)) throw new ModelFormatException(Modules.ModelFolder.NotFound(folder));
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
        var entry = EntryFor(config);
        using var weights = Checkpoint.OpenFolder(folder, entry.KeyPrefixes);
        return BuildOrClose(entry, config, ParameterBuilder.FromCheckpoint(weights, namePrefix, precision, keepInt8, leaveMatricesInFile: true));
    }

    /// <summary>
    /// The transformer of <paramref name="config"/>'s architecture built through <paramref name="p"/> (a checkpoint opened
    /// with <see cref="KeyPrefixes"/>), for callers that read more than the transformer from the same checkpoint (a
    /// cross-encoder's classification head).
    /// </summary>
    public static ITransformer Build(TransformerConfig config, ParameterBuilder p) => BuildOrClose(EntryFor(config), config, p);

    /// <summary>
    /// <paramref name="entry"/>'s model built through <paramref name="p"/>; a build that fails half-way (a key missing or
    /// misshapen after the vocabulary tables were left in their file) closes the files of what it made, not the GC.
    /// </summary>
    private static ITransformer BuildOrClose(Entry entry, TransformerConfig config, ParameterBuilder p)
    {
        try
        {
            return entry.Build(config, p);
        }
        catch
        {
            foreach (var parameter in p.Parameters) parameter.CloseFile();
            throw;
        }
    }

    /// <summary>The key prefixes checkpoints of <paramref name="config"/>'s architecture may carry (stripped on load).</summary>
    public static IReadOnlyList<string> KeyPrefixes(TransformerConfig config) => EntryFor(config).KeyPrefixes;

    /// <summary>
    /// A new model of <paramref name="config"/>'s architecture, initialised as transformers does (2-D weights rounded
    /// to bfloat16 with <paramref name="precision"/> bfloat16).
    /// </summary>
    public static ITransformer Initialize(TransformerConfig config, ulong seed, WeightPrecision precision = WeightPrecision.Float32)
    {
        var entry = EntryFor(config);
        return entry.Build(config, ParameterBuilder.FromInitializer(entry.Initializer(config, new SkaldRandom(seed)), precision: precision));
    }

    private static Entry EntryFor(TransformerConfig config) => Entries.TryGetValue(config.ModelType, out var e)
        ? e
        : throw new ModelFormatException(
            $"{config.Source}: model_type \"{config.ModelType}\" is not supported yet (supported: {string.Join(", ", SupportedModelTypes)})");
}
