namespace Skald.Retrieval.Quantization;

/// <summary>
/// Dense retrieval over quantized document embeddings (<see cref="QuantizedSearch"/>): the documents' embeddings are
/// quantized to <paramref name="Precision"/> (int8 / uint8 calibrated on the corpus's own embeddings), queries stay
/// float, and the best <see cref="RescoredHits"/> are rescored from the best RescoredHits·<paramref name="RescoreMultiplier"/>
/// (0: no rescoring; sentence-transformers' default multiplier is 2). With <see cref="Product"/> the documents'
/// embeddings are product-quantized instead (<see cref="ProductQuantizer"/>, codebooks trained on the corpus; Precision
/// stays float32) and searched by <see cref="PqSearch"/>, rescored the same way with the float embeddings.
/// </summary>
public sealed record QuantizedSearchOptions(EmbeddingPrecision Precision, int RescoreMultiplier = 2)
{
    /// <summary>Hits rescored per query in evaluation: a first page, the main metric's cut-off (nDCG@10).</summary>
    public int RescoredHits { get; init; } = 10;

    /// <summary>
    /// Rescore against the documents' float embeddings (true, the default: what a Skald index does with its float file)
    /// or against their quantized values (false: sentence-transformers' semantic_search_faiss / _usearch). Product-quantized
    /// codes are always rescored with the float embeddings (their own values give the codes' scores again).
    /// </summary>
    public bool RescoreWithFloats { get; init; } = true;

    /// <summary>Product-quantize the documents' embeddings with these settings (null: <see cref="Precision"/> says how they are stored).</summary>
    public ProductQuantizerOptions? Product { get; init; }

    /// <summary>Whether the documents are searched in another form than their float embeddings.</summary>
    public bool Compresses => Product is not null || Precision != EmbeddingPrecision.Float32;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming what does not fit <paramref name="dimension"/>-d embeddings (a PQ
    /// sub-vector count that does not divide it, bits of a width not divisible by 8), so a run can refuse a model before
    /// it spends time on its other tasks.
    /// </summary>
    public void Check(int dimension)
    {
        if (Product is { } pq) pq.Check(dimension);
        else if (Compresses) EmbeddingQuantizer.BytesPerRow(Precision, dimension);
    }

    /// <summary>A description for results metadata, e.g. "ubinary, top 10 rescored from the best 20 with the float embeddings".</summary>
    public string Describe() => !Compresses
        ? "float32"
        : (Product is { } pq ? $"PQ {pq.Subspaces} × {pq.Bits} bits{(pq.RotationRounds == 0 ? "" : pq.RotationDimension > 0 ? $", OPQ to {pq.RotationDimension}-d" : ", OPQ")}" : EmbeddingQuantizer.Name(Precision)) + (RescoreMultiplier > 0
            ? $", top {RescoredHits} rescored from the best {RescoredHits * RescoreMultiplier} with the {(RescoreWithFloats || Product is not null ? "float" : "quantized")} embeddings"
            : ", not rescored");
}
