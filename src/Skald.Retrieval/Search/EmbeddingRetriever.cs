using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Models;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Sparse;

namespace Skald.Retrieval.Search;

/// <summary>
/// The retriever an embedding model searches with: a sparse encoder's inverted index (<see cref="SparseRetriever"/>),
/// else the dense search (<see cref="DenseRetriever"/>: exact, quantized, IVF or HNSW as the options say).
/// </summary>
public static class EmbeddingRetriever
{
    /// <summary>The retriever of <paramref name="model"/>; the dense options are refused for a sparse encoder with one line.</summary>
    public static IRetrievalModel For(IEmbeddingModel model, LongDocuments longDocuments = LongDocuments.Truncate,
        QuantizedSearchOptions? quantization = null, IvfOptions? ivf = null, HnswOptions? hnsw = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.IsSparse) return new DenseRetriever(model, longDocuments, quantization, ivf, hnsw);
        string? dense = quantization is { Product: not null } ? "--pq"
            : quantization is { Precision: not EmbeddingPrecision.Float32 } ? "--precision"
            : ivf is not null ? "--ivf-lists" : hnsw is not null ? "--hnsw" : longDocuments == LongDocuments.Chunk ? "--long-documents chunk" : null;
        if (dense is not null)
            throw new EvaluationException($"{model.Name}: {dense} is for dense embedding models; a sparse encoder searches its own inverted index");
        return new SparseRetriever(model);
    }
}
