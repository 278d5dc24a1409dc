using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;

namespace Skald.Evaluation.Benchmark;

/// <summary>Settings of a benchmark run.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Root of the result and embedding caches; null = no caching.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Encoding settings for model folders (the cache directory is filled in by the runner).</summary>
    public EncoderModelOptions Encoder { get; init; } = new();

    /// <summary>Retrieval settings.</summary>
    public RetrievalOptions Retrieval { get; init; } = new();

    /// <summary>Progress messages.</summary>
    public Action<string>? Log { get; init; }
}
