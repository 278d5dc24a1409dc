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

    /// <summary>Progress messages.</summary>
    public Action<string>? Log { get; init; }
}
