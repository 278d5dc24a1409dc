using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// The result of one (model, task) evaluation, serialised as
/// <c>{"task","type","language","main_score","metrics":{...},"model","seconds","metadata"}</c> with MTEB's metric names.
/// </summary>
public sealed record TaskResult
{
    /// <summary>Task name.</summary>
    [JsonPropertyName("task")] public required string Task { get; init; }

    /// <summary>Task type ("retrieval", "sts", ...).</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }

    /// <summary>Language code(s).</summary>
    [JsonPropertyName("language")] public string Language { get; init; } = "";

    /// <summary>Name of the main metric (e.g. "ndcg_at_10").</summary>
    [JsonPropertyName("main_metric")] public required string MainMetric { get; init; }

    /// <summary>Value of the main metric (higher is better).</summary>
    [JsonPropertyName("main_score")] public required double MainScore { get; init; }

    /// <summary>All metrics, MTEB names.</summary>
    [JsonPropertyName("metrics")] public required SortedDictionary<string, double> Metrics { get; init; }

    /// <summary>Model name.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }

    /// <summary>Wall-clock seconds of the evaluation (encoding included, cache hits excluded).</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; init; }

    /// <summary>Facts about the run: data sizes, model settings, stemming.</summary>
    [JsonPropertyName("metadata")] public SortedDictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new UndefinedAsNull() },
    };

    /// <summary>An undefined score (NaN: a correlation of constant values) is JSON null, and null reads back as NaN.</summary>
    private sealed class UndefinedAsNull : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }

    /// <summary>Indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Parses <see cref="ToJson"/>'s output.</summary>
    public static TaskResult FromJson(string json) =>
        JsonSerializer.Deserialize<TaskResult>(json, Options) ?? throw new JsonException("null result");
}
