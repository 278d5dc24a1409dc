using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Skald.Models;
using Skald.Tensors;

namespace Skald.Serving;

/// <summary>
/// Registers a Skald embedding model in an app's container from its configuration (appsettings.json), as
/// Microsoft.Extensions.AI's <c>AddEmbeddingGenerator</c> registers a generator: one singleton
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <see cref="Embedding{T}"/>, its model loaded once on first
/// use and disposed with the container (the generator owns it, <see cref="EncoderEmbeddingGenerator{TEmbedding}.OwnsEncoder"/>).
/// </summary>
public static class SkaldServiceCollectionExtensions
{
    /// <summary>
    /// Registers the model <paramref name="section"/> describes (e.g. <c>configuration.GetSection("Skald")</c>) as the
    /// app's <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>; the returned builder adds middleware
    /// (<c>UseLogging</c>, <c>UseOpenTelemetry</c>) as <c>AddEmbeddingGenerator</c>'s does. Keys:
    /// <c>Model</c> (required: a model folder or hub id, as <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, WeightPrecision)"/> takes it),
    /// <c>ModelId</c> (the embeddings' model id; default the model's name), <c>Precision</c> (<c>Float32</c>,
    /// <c>BFloat16</c>, <c>Float16</c>), and <see cref="EncodeOptions"/>' <c>BatchSize</c>, <c>Normalize</c>,
    /// <c>TruncateDim</c>, <c>MaxLength</c>, <c>PromptName</c>, <c>Prompt</c>. The section is read here: a missing
    /// <c>Model</c> or a value of the wrong form throws <see cref="InvalidOperationException"/>, one line naming the key
    /// (<c>Skald:BatchSize</c>); a model that does not load (no such folder, not a model) and a <c>TruncateDim</c> past
    /// its dimension are refused the same way when the model loads (the first resolve).
    /// </summary>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> AddSkaldEmbeddingGenerator(this IServiceCollection services,
        IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        string path = (section as IConfigurationSection)?.Path ?? "";
        string Key(string name) => path.Length == 0 ? name : path + ":" + name;

        string model = NonEmpty(section["Model"])
            ?? throw new InvalidOperationException($"{Key("Model")} is missing: give the model's folder or hub id");
        string? modelId = NonEmpty(section["ModelId"]);
        var precision = WeightPrecision.Float32;
        if (section["Precision"] is { } p && !Enum.TryParse(p, ignoreCase: true, out precision) || !Enum.IsDefined(precision))
            throw new InvalidOperationException($"{Key("Precision")} is \"{section["Precision"]}\": use Float32, BFloat16 or Float16");
        var defaults = new EncodeOptions
        {
            BatchSize = Positive(section, "BatchSize", Key) ?? new EncodeOptions().BatchSize,
            Normalize = Bool(section, "Normalize", Key) ?? false,
            TruncateDim = Positive(section, "TruncateDim", Key),
            MaxLength = Positive(section, "MaxLength", Key),
            PromptName = NonEmpty(section["PromptName"]),
            Prompt = section["Prompt"],
        };

        return services.AddEmbeddingGenerator(_ =>
        {
            SentenceEncoder encoder;
            try
            {
                encoder = SentenceEncoder.Load(model, null, precision);
            }
            catch (Exception e) when (e is ModelFormatException or Skald.Hub.HubException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // a folder that is not there or not a model: the app's operator fixes the key, so the line names it
                throw new InvalidOperationException($"{Key("Model")} \"{model}\" does not load: {e.Message}", e);
            }
            if (defaults.TruncateDim > encoder.Dimension)
            {
                encoder.Dispose();
                throw new InvalidOperationException($"{Key("TruncateDim")} is {defaults.TruncateDim}, past the model's dimension {encoder.Dimension}");
            }
            return new SkaldEmbeddingGenerator(encoder, defaults, modelId) { OwnsEncoder = true };
        }, ServiceLifetime.Singleton); // one model for the app: a scoped registration would load one per scope
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static int? Positive(IConfiguration section, string name, Func<string, string> key) => section[name] switch
    {
        null or "" => null,
        var v when int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 => n,
        var v => throw new InvalidOperationException($"{key(name)} is \"{v}\": expected a whole number above 0"),
    };

    private static bool? Bool(IConfiguration section, string name, Func<string, string> key) => section[name] switch
    {
        null or "" => null,
        var v when bool.TryParse(v, out bool b) => b,
        var v => throw new InvalidOperationException($"{key(name)} is \"{v}\": expected true or false"),
    };
}
