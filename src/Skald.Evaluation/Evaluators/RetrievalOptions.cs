using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Evaluation.Evaluators;

/// <summary>Retrieval settings.</summary>
public sealed record RetrievalOptions
{
    /// <summary>qrels split file name (qrels/SPLIT.tsv).</summary>
    public string Split { get; init; } = "test";

    /// <summary>Documents retrieved per query (MTEB: 1000 = the largest cut-off).</summary>
    public int TopK { get; init; } = 1000;

    /// <summary>Truncate (MTEB) or chunk long documents for embedding models.</summary>
    public LongDocuments LongDocuments { get; init; } = LongDocuments.Truncate;

    /// <summary>Embedding models: search quantized document embeddings (null: float32).</summary>
    public QuantizedSearchOptions? Quantization { get; init; }

    /// <summary>Embedding models: approximate search over inverted lists, as an IVF index (null: exact).</summary>
    public Skald.Retrieval.Ivf.IvfOptions? Ivf { get; init; }

    /// <summary>Embedding models: approximate search over an HNSW graph, as an HNSW index (null: exact).</summary>
    public Skald.Retrieval.Hnsw.HnswOptions? Hnsw { get; init; }

    /// <summary>The option asking for approximate search (<c>--ivf-lists</c> or <c>--hnsw</c>), or null for exact search.</summary>
    public string? ApproximateOption => Ivf is not null ? "--ivf-lists" : Hnsw is not null ? "--hnsw" : null;
}
