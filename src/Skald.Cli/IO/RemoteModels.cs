using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.Commands;
using Skald.Retrieval.Remote;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.IO;

/// <summary>
/// The options every verb that takes a remote embedding model (<c>openai:URL#MODEL</c>) shares, and the settings they
/// make: the API key from <c>--api-key-env</c> (default OPENAI_API_KEY; a loopback endpoint needs none, as for
/// <c>skald data generate --llm</c>), texts per request and the price per million tokens for the cost line.
/// </summary>
internal sealed class RemoteModels
{
    /// <summary>--api-key-env VAR.</summary>
    public Option<string> ApiKeyEnv { get; } = CliOptions.Text("--api-key-env",
        "openai:URL#MODEL models: environment variable holding the API key (a local endpoint needs none)", "VAR", "OPENAI_API_KEY");

    /// <summary>--remote-batch-size N.</summary>
    public Option<int?> BatchSize { get; } = CliOptions.Int("--remote-batch-size", "openai:URL#MODEL models: texts per request", defaultValue: 64);

    /// <summary>--price-per-1m X.</summary>
    public Option<double?> Price { get; } = CliOptions.Number("--price-per-1m",
        "openai:URL#MODEL models: price per million input tokens, to report the cost", v => v >= 0 && double.IsFinite(v), "a non-negative number");

    /// <summary>The three options, to add to a command.</summary>
    public IEnumerable<Option> All => [ApiKeyEnv, BatchSize, Price];

    /// <summary>The settings for <paramref name="spec"/> from the parsed options; <paramref name="stop"/>: Ctrl-C (<see cref="RemoteDrain"/>).</summary>
    public RemoteEmbeddingSettings Settings(ParseResult p, RemoteModelSpec spec, RemoteStop? stop = null) => new()
    {
        Spec = spec,
        ApiKey = DataGenerateCommand.ApiKey(spec.Endpoint, p.GetValue(ApiKeyEnv)!),
        BatchSize = p.GetValue(BatchSize) ?? 64,
        PricePerMillionTokens = p.GetValue(Price) ?? 0,
        Stop = stop,
    };

    /// <summary>One line about what a remote model cost: requests, retries, tokens and (with a price) the cost.</summary>
    public static string Usage(OpenAiEmbeddingClient client) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{client.Settings.Spec}: {Counted.Of(client.Requests, "request")} ({client.RetryCounts}), {Counted.Of(client.Tokens, "token")}")
        + (client.Settings.PricePerMillionTokens > 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", cost {client.Cost:0.######} at {client.Settings.PricePerMillionTokens} per 1M tokens")
            : "");
}
