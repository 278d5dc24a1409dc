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

    /// <summary>
    /// How the local models' float32 Linear products are formed where AMX runs them (<c>--float32-matmul</c>): set on
    /// each model folder's encoder and each cross-encoder before it packs; part of every local model's result key
    /// (<see cref="EvaluationEmbeddingModel.Numerics(Skald.Tensors.WeightPrecision, bool, bool, Skald.Tensors.Float32MatmulPrecision)"/>).
    /// </summary>
    public Skald.Tensors.Float32MatmulPrecision Float32Matmul { get; init; }

    /// <summary>Retrieval settings.</summary>
    public RetrievalOptions Retrieval { get; init; } = new();

    /// <summary>
    /// How a remote model (<c>openai:URL#MODEL</c>) is called (API key, batch size, price); null: without a key, the
    /// defaults (enough for a local endpoint).
    /// </summary>
    public Func<Skald.Retrieval.Remote.RemoteModelSpec, Skald.Retrieval.Remote.RemoteEmbeddingSettings>? Remote { get; init; }

    /// <summary>
    /// Widths each dense model folder is also evaluated at (sentence-transformers' truncate_dim: a Matryoshka model's
    /// first values), one entry per width named <c>MODEL (Nd)</c>; null: the full width only.
    /// </summary>
    public IReadOnlyList<int>? TruncateDims { get; init; }

    /// <summary>
    /// Active dimensions each sparse model folder (SPLADE, CSR) is evaluated at (max_active_dims), one entry per count
    /// named <c>MODEL (N active)</c>; null: as the model gives them.
    /// </summary>
    public IReadOnlyList<int>? MaxActiveDims { get; init; }

    /// <summary>
    /// The local folder of a model given as a hub id <c>org/name[@revision]</c> that is no folder here (the CLI's
    /// download with a progress bar; called once per id a run); null: <see cref="Skald.Hub.HubResolver.Locate"/> (the
    /// hub cache, downloading what is missing unless HF_HUB_OFFLINE is set).
    /// </summary>
    public Func<string, string>? ResolveModel { get; init; }

    /// <summary>
    /// A document's language from its text (an ISO code, null for none), which BM25 (<c>bm25</c>, <c>hybrid:DIR</c>, a
    /// cross-encoder's first stage) stems each document in on a task whose language is "auto" or lists several of
    /// different stemmers (<see cref="Skald.Retrieval.Bm25.Bm25Model.StemmingLanguage"/>), as <c>skald index build
    /// --language auto</c> does; the CLI gives that command's detector. Null: a task of language "auto" is refused and a
    /// list is not stemmed.
    /// </summary>
    public Func<string, string?>? Bm25DocumentLanguage { get; init; }

    /// <summary>Progress messages.</summary>
    public Action<string>? Log { get; init; }
}
