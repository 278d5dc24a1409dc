namespace Skald.Evaluation.Models;

/// <summary>How an <see cref="EvaluationEmbeddingModel"/> embeds texts during evaluation.</summary>
public sealed record EvaluationEmbeddingOptions
{
    /// <summary>Texts per forward pass (the encoder sorts texts by length, so batches hold similar lengths).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Prompt for queries (for an LLM2Vec model: the query instruction); default: the model's "query" prompt, if it has one.</summary>
    public string? QueryPrompt { get; init; }

    /// <summary>Prompt for documents; default: the model's "document" or "passage" prompt, if any.</summary>
    public string? DocumentPrompt { get; init; }

    /// <summary>Token limit below the model's own.</summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// Sparse encoders: keep the N largest entries of each embedding (sentence-transformers' max_active_dims: a CSR
    /// model's autoencoder keeps N latents, a SPLADE model's vectors are pruned to N); null: all.
    /// </summary>
    public int? MaxActiveDims { get; init; }

    /// <summary>Keep the first N values of each embedding (sentence-transformers' truncate_dim, Matryoshka models); null: all.</summary>
    public int? TruncateDim { get; init; }

    /// <summary>
    /// <see cref="EvaluationEmbeddingModel.Load"/> reads hub ids (a base an adapter folder names) from the hub cache only,
    /// never asking the hub (<see cref="Skald.Models.SentenceEncoder.LoadCached"/>): the model a search index's check
    /// read, not a newer revision.
    /// </summary>
    public bool HubCacheOnly { get; init; }

    /// <summary>Embedding cache root folder; null = no disk cache.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Name in results; default: the model folder's name.</summary>
    public string? Name { get; init; }

    /// <summary>Progress callback (done, total) per Embed call.</summary>
    public Action<int, int>? Progress { get; init; }
}
