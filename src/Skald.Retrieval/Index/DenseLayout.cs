using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Index;

/// <summary>
/// How an index lays out its dense rows for search: the number format of the rows held in memory
/// (<see cref="Precision"/>), product-quantized codes (<see cref="Pq"/>), inverted lists (<see cref="Ivf"/>) or an HNSW
/// graph (<see cref="Hnsw"/>); none of them: an exact scan of the float rows. <see cref="IndexBuilder.Build"/> lays out
/// freshly embedded rows, <see cref="IndexBuilder.Reindex"/> an index's own stored rows.
/// </summary>
public sealed record DenseLayout
{
    /// <summary>The number format dense search reads (int8 / uint8 calibrated on the rows).</summary>
    public EmbeddingPrecision Precision { get; init; } = EmbeddingPrecision.Float32;

    /// <summary>Product-quantized codes (null: none); not with a quantized <see cref="Precision"/>.</summary>
    public ProductQuantizerOptions? Pq { get; init; }

    /// <summary>Inverted lists (null: none); not with <see cref="Hnsw"/>.</summary>
    public IvfOptions? Ivf { get; init; }

    /// <summary>An HNSW graph linked over the float rows (null: none).</summary>
    public HnswOptions? Hnsw { get; init; }

    /// <summary>The option of the first setting that is not plain exact float32 search, or null (for a sparse encoder's refusal).</summary>
    public string? FirstOption => Ivf is not null ? "--ivf-lists" : Hnsw is not null ? "--hnsw" : Pq is not null ? "--pq"
        : Precision != EmbeddingPrecision.Float32 ? "--precision" : null;

    /// <summary>
    /// Refuses, with one line naming <paramref name="folder"/>, settings that cannot lay out <paramref name="rows"/> rows of
    /// <paramref name="dimension"/> for an index ranking by <paramref name="similarity"/> (<see cref="IndexManifest.SimilarityFunction"/>:
    /// a Euclidean or Manhattan index's PQ codes must keep its distance, <see cref="ProductQuantizer.DistanceRefusal(Skald.Models.Modules.SimilarityFunction, bool, int, int)"/>).
    /// </summary>
    internal void Check(string folder, int dimension, int rows, Skald.Models.Modules.SimilarityFunction similarity)
    {
        if (Hnsw is not null)
        {
            if (Ivf is not null) throw new EvaluationException($"{folder}: --hnsw and --ivf-lists are two kinds of approximate index; choose one");
            try { Hnsw.Check(); }
            catch (ArgumentException e) { throw new EvaluationException($"{folder}: {e.Message}"); }
        }
        if (Pq is not null)
        {
            if (Precision != EmbeddingPrecision.Float32)
                throw new EvaluationException($"{folder}: --pq and --precision are two ways to compress the rows; choose one");
            try { Pq.Check(dimension); }
            catch (ArgumentException e) { throw new EvaluationException($"{folder}: {e.Message}"); }
            if (ProductQuantizer.DistanceRefusal(similarity, Pq.RotationRounds > 0, Pq.CodeDimension(dimension), dimension) is { } refusal)
                throw new EvaluationException($"{folder}: {refusal}");
            if (rows == 0) throw new EvaluationException($"{folder}: a PQ index trains its codebooks on its documents, and there are none");
        }
        if (Ivf is not null && Ivf.Lists > rows)
            throw new EvaluationException($"{folder}: {Ivf.Lists} IVF lists need at least as many rows, and there are {rows}");
        try { EmbeddingQuantizer.BytesPerRow(Precision, dimension); } // a binary index needs a dimension divisible by 8
        catch (ArgumentException e) { throw new EvaluationException($"{folder}: {e.Message}"); }
    }

    /// <summary>
    /// Lays out <paramref name="vectors"/> (one per record, as search compares them) and writes the index: lists trained
    /// and rows grouped by list, the graph linked, int8 / uint8 ranges calibrated, PQ codebooks trained (on residuals in
    /// lists), lists and graph built by the manifest's similarity (a distance index's by its distance), each recorded in <paramref name="manifest"/> (whose own layout fields are ignored). A late-interaction
    /// index's <paramref name="tokens"/> (one per record) are written beside the rows; it takes no layout but plain
    /// float32 rows. Returns the manifest written.
    /// </summary>
    internal IndexManifest Write(string folder, IndexManifest manifest, IReadOnlyList<IndexRecord> records, float[][] vectors,
        Analyzer analyzer, Bm25Parameters bm25, Action<int, int>? linking, IReadOnlyList<Skald.Models.LateInteraction.TokenVectors>? tokens = null,
        Plaid.PlaidWrite? plaid = null)
    {
        if (tokens is not null && FirstOption is not null) throw new ArgumentException("a late-interaction index takes no layout", nameof(tokens));
        manifest = manifest with
        {
            Precision = EmbeddingQuantizer.Name(Precision), QuantizationMin = null, QuantizationMax = null, IvfLists = 0, IvfProbes = 0,
            HnswM = 0, HnswEfConstruction = 0, HnswEf = 0, HnswReplaceDeleted = false, PqSubspaces = 0, PqBits = 0, PqRotated = false, PqRotatedDim = 0,
        };
        InvertedLists? lists = null;
        if (Ivf is not null && records.Count > 0)
        {
            lists = InvertedLists.Train(vectors, Ivf.ListsFor(records.Count), Ivf.Training, out var order, manifest.SimilarityFunction);
            var rows = vectors;
            var recs = records;
            vectors = [.. order.Select(i => rows[i])];
            records = [.. order.Select(i => recs[i])];
            manifest = manifest with { IvfLists = lists.Lists, IvfProbes = Ivf.ProbesFor(lists.Lists) };
        }
        HnswGraph? graph = null;
        if (Hnsw is not null)
        {
            var rows = vectors;
            graph = HnswGraph.Build(rows.Length, r => rows[r], Hnsw with { Similarity = manifest.SimilarityFunction }, linking);
            manifest = manifest with { HnswM = graph.M, HnswEfConstruction = graph.EfConstruction, HnswEf = Hnsw.EfSearchOrDefault, HnswReplaceDeleted = Hnsw.ReplaceDeleted };
        }
        if (EmbeddingQuantizer.NeedsRanges(Precision))
        {
            if (vectors.Length == 0) throw new EvaluationException($"{folder}: an {manifest.Precision} index calibrates on its documents, and there are none");
            var ranges = QuantizationRanges.FromEmbeddings(vectors);
            manifest = manifest with { QuantizationMin = [.. ranges.Minima], QuantizationMax = [.. ranges.Maxima] };
        }
        ProductQuantizer? codebooks = null;
        if (Pq is not null)
        {
            codebooks = ProductQuantizer.Train(vectors, Pq, lists);
            manifest = manifest with
            {
                PqSubspaces = codebooks.Subspaces, PqBits = Pq.Bits, PqRotated = codebooks.Rotated,
                PqRotatedDim = codebooks.CodeDimension == codebooks.Dimension ? 0 : codebooks.CodeDimension,
            };
        }
        if (tokens is null && manifest.BgeM3 is null) // the version the writer gives it (5 for codes of 5–7 bits), so the manifest returned says it too
            manifest = manifest with { Version = IndexManifest.VersionFor(manifest.MultiVector, manifest.TokenPrecision, manifest.BgeM3, codebooks?.Centroids ?? 0) };
        IndexWriter.Write(folder, manifest, records, vectors.Select(v => (ReadOnlyMemory<float>)v), IndexBuilder.Analyse(manifest, analyzer, records, bm25), lists,
            graph: graph, pq: codebooks, tokens: tokens?.Select(t => (ReadOnlyMemory<float>)t.Values), plaid: plaid);
        return manifest with { Rows = records.Count };
    }
}
