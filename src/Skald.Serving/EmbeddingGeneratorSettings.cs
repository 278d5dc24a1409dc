using System.Globalization;
using Microsoft.Extensions.Configuration;
using Skald.Models;
using Skald.Tensors;

namespace Skald.Serving;

/// <summary>
/// The one reader of <see cref="SkaldServiceCollectionExtensions.AddSkaldEmbeddingGenerator"/>'s configuration section:
/// every key checked when the app registers the model (an unknown key or a value of the wrong form is an
/// <see cref="InvalidOperationException"/>, one line naming the key), the values of the load settings read by
/// <see cref="ModelLoadValues"/> as <c>skald serve</c>'s options are.
/// </summary>
internal sealed class EmbeddingGeneratorSettings
{
    /// <summary>The keys a section may hold, as the README's registration paragraph lists them.</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        "Model", "ModelId", "Adapters", "Precision", "Quantize", "Threads",
        "BatchSize", "Normalize", "TruncateDim", "MaxLength", "PromptName", "Prompt", "Instruction",
    ];

    private readonly string path;

    private EmbeddingGeneratorSettings(string path) => this.path = path;

    /// <summary>The model folder or hub id.</summary>
    public string Model { get; private init; } = "";

    /// <summary>The embeddings' model id (null: the model's name).</summary>
    public string? ModelId { get; private init; }

    /// <summary>PEFT LoRA adapter folders (or hub ids) merged into the model in order (<c>skald serve --adapters</c>).</summary>
    public IReadOnlyList<string>? Adapters { get; private init; }

    /// <summary>How the weight matrices are held (<c>skald serve --weights</c>).</summary>
    public WeightPrecision Precision { get; private init; }

    /// <summary>int8 or bf16 inference (<c>skald serve --quantize</c>); null: as loaded.</summary>
    public ModelQuantization? Quantize { get; private init; }

    /// <summary>The process's kernel threads (<see cref="Parallelism.MaxThreads"/>, as <c>SKALD_THREADS</c>); null: unchanged.</summary>
    public int? Threads { get; private init; }

    /// <summary>The generator's encode options.</summary>
    public EncodeOptions Defaults { get; private init; } = new();

    /// <summary><paramref name="name"/> as the app's configuration spells it (<c>Skald:BatchSize</c>).</summary>
    public string Key(string name) => path.Length == 0 ? name : path + ":" + name;

    /// <summary>Reads <paramref name="section"/>; throws <see cref="InvalidOperationException"/> (one line naming the key) for a bad one.</summary>
    public static EmbeddingGeneratorSettings Read(IConfiguration section)
    {
        var reader = new EmbeddingGeneratorSettings((section as IConfigurationSection)?.Path ?? "");
        foreach (var child in section.GetChildren())
        {
            if (!Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw new InvalidOperationException($"{reader.Key(child.Key)} is not a setting of AddSkaldEmbeddingGenerator; the keys are {string.Join(", ", Keys)}");
        }
        return new EmbeddingGeneratorSettings(reader.path)
        {
            Model = NonEmpty(section["Model"])
                ?? throw new InvalidOperationException($"{reader.Key("Model")} is missing: give the model's folder or hub id"),
            ModelId = NonEmpty(section["ModelId"]),
            Adapters = reader.ReadAdapters(section.GetSection("Adapters")),
            Precision = reader.Value<WeightPrecision>(section, "Precision", ModelLoadValues.Precision, ModelLoadValues.PrecisionNames) ?? WeightPrecision.Float32,
            Quantize = reader.Value<ModelQuantization>(section, "Quantize", ModelLoadValues.Quantization, ModelLoadValues.QuantizationNames),
            Threads = reader.Value<int>(section, "Threads", ModelLoadValues.Threads, "a whole number of threads above 0"),
            Defaults = new EncodeOptions
            {
                BatchSize = reader.Positive(section, "BatchSize") ?? new EncodeOptions().BatchSize,
                Normalize = reader.Value<bool>(section, "Normalize", v => bool.TryParse(v, out bool b) ? b : (bool?)null, "true or false") ?? false,
                TruncateDim = reader.Positive(section, "TruncateDim"),
                MaxLength = reader.Positive(section, "MaxLength"),
                PromptName = NonEmpty(section["PromptName"]),
                Prompt = section["Prompt"],
                Instruction = NonEmpty(section["Instruction"]),
            },
        };
    }

    // "Adapters": "a,b" or ["a", "b"] (appsettings.json's array, Adapters:0, Adapters:1, ...); none given: null
    private string[]? ReadAdapters(IConfigurationSection adapters)
    {
        if (adapters.Value is { } list)
        {
            var names = ModelLoadValues.Adapters(list);
            return names.Length > 0 || list.Length == 0 ? names
                : throw new InvalidOperationException($"{Key("Adapters")} is \"{list}\": expected adapter folders or hub ids, comma-separated or a list");
        }
        var items = adapters.GetChildren().OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : int.MaxValue).ToList();
        if (items.Count == 0) return null;
        foreach (var item in items)
        {
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _) || string.IsNullOrWhiteSpace(item.Value))
                throw new InvalidOperationException($"{Key("Adapters")}:{item.Key} is not an adapter folder or hub id: give a list of them");
        }
        return [.. items.Select(i => i.Value!.Trim())];
    }

    private T? Value<T>(IConfiguration section, string name, Func<string, T?> parse, string expected) where T : struct => section[name] switch
    {
        null or "" => null,
        var v => parse(v) ?? throw new InvalidOperationException($"{Key(name)} is \"{v}\": expected {expected}"),
    };

    private int? Positive(IConfiguration section, string name) => Value<int>(section, name,
        v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : (int?)null, "a whole number above 0");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
