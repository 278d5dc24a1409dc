using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;

namespace Skald.Evaluation.Benchmark;

/// <summary>Settings of a benchmark run.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Root of the result and embedding caches; null = no caching.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Embedding settings for model folders (the cache directory is filled in by the runner).</summary>
    public EvaluationEmbeddingOptions Embedding { get; init; } = new();

    /// <summary>Retrieval settings.</summary>
    public RetrievalOptions Retrieval { get; init; } = new();

    /// <summary>
    /// How a remote model (<c>openai:URL#MODEL</c>) is called (API key, batch size, price); null: without a key, the
    /// defaults (enough for a local endpoint).
    /// </summary>
    public Func<Skald.Retrieval.Remote.RemoteModelSpec, Skald.Retrieval.Remote.RemoteEmbeddingSettings>? Remote { get; init; }

    /// <summary>Progress messages.</summary>
    public Action<string>? Log { get; init; }
}
