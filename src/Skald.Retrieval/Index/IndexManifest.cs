using System.Text.Json.Serialization;

namespace Skald.Retrieval.Index;

/// <summary>
/// <c>index.json</c>: what an index folder holds and how it was made, so a search embeds queries with the same model
/// and analyses them with the same BM25 settings.
/// </summary>
public sealed record IndexManifest
{
    /// <summary>The format this code writes and reads for a single-vector index.</summary>
    public const int CurrentVersion = 1;

    /// <summary>
    /// The format of a late-interaction index (<see cref="MultiVector"/> set): a version of its own, so a Skald that
    /// predates token vectors refuses it by its version instead of reading its mean vectors as a dense index.
    /// </summary>
    public const int MultiVectorVersion = 2;

    /// <summary>
    /// The format of the layouts added together on 2026-12-06, which a Skald from before them refuses by this version: a
    /// BGE-M3 index (<see cref="BgeM3"/> set: its dense rows, lexical weights and ColBERT vectors side by side, scored
    /// together) and a late-interaction index whose token vectors are stored smaller than float32
    /// (<see cref="TokenPrecision"/> float16 or int8), which an older Skald would otherwise find without its
    /// <c>tokens.f32</c>. <see cref="BgeM3Version"/> and <see cref="QuantizedTokensVersion"/> are this one number.
    /// </summary>
    public const int BgeM3Version = 3;

    /// <summary>The format of a late-interaction index with token vectors narrower than float32: <see cref="BgeM3Version"/>'s.</summary>
    public const int QuantizedTokensVersion = BgeM3Version;

    /// <summary>
    /// The format of a PLAID index (<see cref="TokenPrecision"/> "plaid": token vectors as centroid ids and residual
    /// codes, <see cref="Plaid.ResidualCodec"/>), which a Skald from before it refuses by this version rather than finding
    /// its token files missing; a BGE-M3 index whose ColBERT vectors are PLAID coded has it too.
    /// </summary>
    public const int PlaidVersion = 4;

    /// <summary>
    /// The format of a product-quantized index whose codebooks have 17 to 128 centroids, written from 2026-12-06 with
    /// its codes packed at 5–7 bits (<see cref="Quantization.ProductCodes.CodeBits"/>), which a Skald from before it
    /// refuses by this version; the same index at <see cref="CurrentVersion"/> holds a byte a code (still read).
    /// </summary>
    public const int PackedCodesVersion = 5;

    /// <summary>
    /// The version a manifest with <paramref name="multiVector"/> (null: single-vector), token vectors stored as
    /// <paramref name="tokenPrecision"/> (null: float32), <paramref name="bgeM3"/> (null: not a BGE-M3 index) and product
    /// codebooks of <paramref name="pqCentroids"/> centroids (0: no codes) is written with.
    /// </summary>
    public static int VersionFor(string? multiVector, string? tokenPrecision = null, BgeM3Storage? bgeM3 = null, int pqCentroids = 0) =>
        pqCentroids is > 16 and <= 128 && multiVector is null && bgeM3 is null ? PackedCodesVersion
        : bgeM3 is not null ? tokenPrecision == "plaid" ? PlaidVersion : BgeM3Version
        : multiVector is null ? CurrentVersion
        : tokenPrecision is null or "float32" ? MultiVectorVersion
        : tokenPrecision == "plaid" ? PlaidVersion : QuantizedTokensVersion;

    /// <summary>Always "skald-index".</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = "skald-index";

    /// <summary>Format version (<see cref="CurrentVersion"/>).</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = CurrentVersion;

    /// <summary>Full path of the embedding model folder.</summary>
    [JsonPropertyName("model")] public string Model { get; init; } = "";

    /// <summary>The model's short name (its folder name).</summary>
    [JsonPropertyName("model_name")] public string ModelName { get; init; } = "";

    /// <summary>
    /// The model folder's <see cref="ModelFingerprint"/> when the index was built: a folder with the same files elsewhere
    /// is the same model (<see cref="ModelFingerprint.Matches"/>); null in indexes written before it was recorded.
    /// </summary>
    [JsonPropertyName("model_sha256")] public string? ModelSha256 { get; init; }

    /// <summary>
    /// The model folder's <see cref="ModelFingerprint.Stamp"/> (its files' names, sizes, times and, on Linux, change
    /// times) when the index was built: while the folder shows the same, <see cref="ModelFingerprint.Unchanged"/> need
    /// not read the weights; null in indexes written before it was recorded (then the files are hashed).
    /// </summary>
    [JsonPropertyName("model_files_stamp"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ModelFilesStamp { get; init; }

    /// <summary>
    /// Which files <see cref="ModelSha256"/> and <see cref="ModelFilesStamp"/> cover (<see cref="ModelFingerprint.CurrentVersion"/>):
    /// 3, the files loading the model reads (configs, tokenizer files, the weights it loads), an adapter folder's base
    /// chain included; 2, the same in the folder's own module chain (an adapter folder: its files only); 1, every file directly in
    /// the folders it reads; 0 (absent: indexes written before it was recorded), every file of the folder. An index of an
    /// older kind counts a file added beside the model since as a change until <c>index add</c> records the current kind.
    /// </summary>
    [JsonPropertyName("model_fingerprint_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int ModelFingerprintVersion { get; init; }

    /// <summary>
    /// The folder the records' paths are relative to (<see cref="DocumentRoot"/>): where the documents were when they
    /// were last indexed; null in indexes of full paths, written before it was recorded.
    /// </summary>
    [JsonPropertyName("documents_root"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DocumentsRoot { get; init; }

    /// <summary>
    /// How the documents were read, the options that change what a file yields besides the chunking and the model
    /// (<c>text_column</c>, <c>ocr</c>, ...: names and values as the documents' reader writes them), which
    /// <c>index add --sync</c> reads unchanged files by; null in indexes written before it was recorded, and of a BEIR corpus.
    /// </summary>
    [JsonPropertyName("reading"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyDictionary<string, string>? Reading { get; init; }

    /// <summary>
    /// Document files that were read and gave no text (<see cref="TextlessFile"/>: empty files, scanned PDFs and images
    /// no OCR could read), with their stamps, which <c>index add --sync</c> skips while they are unchanged; null when none.
    /// </summary>
    [JsonPropertyName("no_text"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<TextlessFile>? NoText { get; init; }

    /// <summary>
    /// Document files that could not be read (<see cref="UnreadableFile"/>: no permission, an I/O error, a damaged file
    /// its reader gave up on), with their stamps and why, which <c>index add --sync</c> skips while they are unchanged;
    /// null when none. A Skald from before it ignores the key (and reads them again at each sync, as it did).
    /// </summary>
    [JsonPropertyName("unreadable"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<UnreadableFile>? Unreadable { get; init; }

    /// <summary>Vector width.</summary>
    [JsonPropertyName("dimension")] public int Dimension { get; init; }

    /// <summary>
    /// "cosine" (vectors stored unit length, searched by inner product), "dot", or "euclidean" / "manhattan" (the raw
    /// vectors stored, ranked by their negated distance: <see cref="SimilarityOf"/>); a manifest without it reads as cosine.
    /// </summary>
    [JsonPropertyName("similarity")] public string Similarity { get; init; } = "cosine";

    /// <summary>The function <see cref="Similarity"/> names (cosine when it names none of the four).</summary>
    [JsonIgnore] public Skald.Models.Modules.SimilarityFunction SimilarityFunction => FunctionOf(Similarity);

    /// <summary>The function a <see cref="Similarity"/> value names (cosine when it names none of the four).</summary>
    internal static Skald.Models.Modules.SimilarityFunction FunctionOf(string similarity) => similarity switch
    {
        "dot" => Skald.Models.Modules.SimilarityFunction.Dot,
        "euclidean" => Skald.Models.Modules.SimilarityFunction.Euclidean,
        "manhattan" => Skald.Models.Modules.SimilarityFunction.Manhattan,
        _ => Skald.Models.Modules.SimilarityFunction.Cosine,
    };

    /// <summary>Whether dense search ranks by a Euclidean or Manhattan distance of the raw rows.</summary>
    [JsonIgnore] public bool ByDistance => Similarity is "euclidean" or "manhattan";

    /// <summary>
    /// The <see cref="Similarity"/> recorded for a model of <paramref name="similarity"/>: "dot", a Euclidean or Manhattan
    /// model's own name when <paramref name="distance"/> (single dense vectors, which every layout ranks by it: exact
    /// scans, IVF lists and HNSW graphs built by the distance), else "cosine" (rows at unit length, as a token index scores them).
    /// </summary>
    public static string SimilarityOf(Skald.Models.Modules.SimilarityFunction similarity, bool distance) => similarity switch
    {
        Skald.Models.Modules.SimilarityFunction.Dot => "dot",
        Skald.Models.Modules.SimilarityFunction.Euclidean or Skald.Models.Modules.SimilarityFunction.Manhattan when distance =>
            Skald.Models.Modules.Similarities.Name(similarity),
        _ => "cosine",
    };

    /// <summary>Rows in <c>embeddings.f32</c> and <c>records.jsonl</c> (deleted rows included until compaction).</summary>
    [JsonPropertyName("rows")] public int Rows { get; init; }

    /// <summary>Language code picking BM25's stemmer (null: no stemming; "auto": each record's own, <see cref="Bm25Fields"/>).</summary>
    [JsonPropertyName("language")] public string? Language { get; init; }

    /// <summary>BM25 k1.</summary>
    [JsonPropertyName("bm25_k1")] public double K1 { get; init; }

    /// <summary>BM25 b.</summary>
    [JsonPropertyName("bm25_b")] public double B { get; init; }

    /// <summary>BM25 stemming as built ("snowball norwegian", "snowball per document", "none", ...).</summary>
    [JsonPropertyName("bm25_stemming")] public string Stemming { get; init; } = "none";

    /// <summary>Chunk budget in tokens (0 for a BEIR corpus: one row per document).</summary>
    [JsonPropertyName("chunk_tokens")] public int ChunkTokens { get; init; }

    /// <summary>Overlap between consecutive chunks in tokens.</summary>
    [JsonPropertyName("overlap_tokens")] public int OverlapTokens { get; init; }

    /// <summary>
    /// The number format dense search reads (<see cref="Quantization.EmbeddingQuantizer.Parse"/>): "float32" searches
    /// <c>embeddings.f32</c>; int8, uint8, binary or ubinary search <c>embeddings.q</c>, held in memory, and rescore the
    /// best hits with the float rows (indexes written before this field are float32).
    /// </summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "float32";

    /// <summary>int8 / uint8: each dimension's calibration minimum (from the rows the index was built with).</summary>
    [JsonPropertyName("quantization_min")] public float[]? QuantizationMin { get; init; }

    /// <summary>int8 / uint8: each dimension's calibration maximum.</summary>
    [JsonPropertyName("quantization_max")] public float[]? QuantizationMax { get; init; }

    /// <summary>
    /// Inverted lists of an approximate (IVF) index: the rows are stored grouped by their nearest of this many k-means
    /// centroids (<c>ivf.bin</c>, <see cref="Ivf.InvertedLists"/>) and dense search scans only the lists nearest the
    /// query; 0: no lists, every dense search is exact.
    /// </summary>
    [JsonPropertyName("ivf_lists")] public int IvfLists { get; init; }

    /// <summary>Lists an IVF index's dense search probes unless a search asks for another number.</summary>
    [JsonPropertyName("ivf_probes")] public int IvfProbes { get; init; }

    /// <summary>
    /// Sub-vectors of a product-quantized index's codes (<c>pq.bin</c> holds the codebooks,
    /// <see cref="Quantization.ProductQuantizer"/>; <c>embeddings.pq</c> one code per row of this many bytes, or half as many rounded up
    /// for codebooks of at most 16 centroids, held in memory; in an IVF index each row's residual from its list's centroid): dense search scores the codes and rescores
    /// the best hits with the float rows; 0: no codes.
    /// </summary>
    [JsonPropertyName("pq_subspaces")] public int PqSubspaces { get; init; }

    /// <summary>Bits per sub-vector code of a product-quantized index (8: up to 256 centroids per sub-vector).</summary>
    [JsonPropertyName("pq_bits")] public int PqBits { get; init; }

    /// <summary>Whether a product-quantized index's codes quantize rotated rows (OPQ; <c>pq.bin</c> holds the rotation).</summary>
    [JsonPropertyName("pq_rotated")] public bool PqRotated { get; init; }

    /// <summary>
    /// The width an OPQ matrix maps a product-quantized index's rows to before the codes quantize them, when it is not the
    /// rows' own (<c>--opq-dim</c>; faiss's <c>OPQ{M}_{D}</c>); 0 (not written): the rows' width.
    /// </summary>
    [JsonPropertyName("pq_rotated_dim"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int PqRotatedDim { get; init; }

    /// <summary>
    /// Links per node of an HNSW index's graph (<c>hnsw.bin</c>, <see cref="Hnsw.HnswGraph"/>): dense search walks the
    /// graph from its entry point instead of scanning every row; 0: no graph.
    /// </summary>
    [JsonPropertyName("hnsw_m")] public int HnswM { get; init; }

    /// <summary>Candidates kept while the HNSW graph's links were chosen (and will be for rows added).</summary>
    [JsonPropertyName("hnsw_ef_construction")] public int HnswEfConstruction { get; init; }

    /// <summary>Candidates an HNSW index's dense search keeps unless a search asks for another number.</summary>
    [JsonPropertyName("hnsw_ef")] public int HnswEf { get; init; }

    /// <summary>
    /// Whether <c>index add</c> gives new rows the slots of the rows it drops (<c>--hnsw-replace-deleted</c>, hnswlib's
    /// <c>allow_replace_deleted</c>; an add's <c>--replace-deleted true|false</c> overrides it); false (not written): it appends.
    /// </summary>
    [JsonPropertyName("hnsw_replace_deleted"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool HnswReplaceDeleted { get; init; }

    /// <summary>
    /// A sparse encoder's index (SPLADE): the rows are stored as their non-zero vocabulary entries
    /// (<c>embeddings.sparse</c>, <see cref="Sparse.SparseRows"/>) and searched through an inverted index by dot product
    /// (<c>sparse.postings</c>, <see cref="Sparse.SparseIndex"/>);
    /// no <c>embeddings.f32</c>, precision float32, no IVF lists.
    /// </summary>
    [JsonPropertyName("sparse")] public bool Sparse { get; init; }

    /// <summary>
    /// A sparse index built with max_active_dims: every row keeps its N largest entries (a CSR model's code N latents),
    /// and so does every query's vector; 0: all entries.
    /// </summary>
    [JsonPropertyName("max_active_dims")] public int MaxActiveDims { get; init; }

    /// <summary>
    /// A dense index built with truncate_dim: the rows are the model's embeddings cut to their first
    /// <see cref="Dimension"/> values (a Matryoshka width), and so is every query; 0: the model's full width.
    /// </summary>
    [JsonPropertyName("truncate_dim")] public int TruncateDim { get; init; }

    /// <summary>
    /// A late-interaction index: the kind of token vectors its model makes (<c>colbert</c>,
    /// <see cref="Skald.Models.LateInteraction.IMultiVectorEncoder.Kind"/>), stored per row in <c>tokens.f32</c> with
    /// their offsets in <c>tokens.offsets</c> and searched by exact MaxSim; <c>embeddings.f32</c> holds each row's mean
    /// token vector at unit length. Precision float32, no IVF lists, graph or codes. Null: a single-vector index.
    /// </summary>
    [JsonPropertyName("multi_vector"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? MultiVector { get; init; }

    /// <summary>
    /// A late-interaction index whose document token vectors were pooled (PyLate's hierarchical pooling,
    /// <see cref="Skald.Models.LateInteraction.TokenPooling"/>) by this factor; rows added later are pooled alike. Null: not pooled.
    /// </summary>
    [JsonPropertyName("pool_factor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? PoolFactor { get; init; }

    /// <summary>
    /// A BGE-M3 index (<see cref="BgeM3Storage"/>): which of the model's outputs its rows store and how they are scored;
    /// <see cref="Dimension"/> is the dense vector's width, <see cref="Sparse"/> false and <see cref="MultiVector"/> null.
    /// Null: any other index.
    /// </summary>
    [JsonPropertyName("bge_m3"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public BgeM3Storage? BgeM3 { get; init; }

    /// <summary>
    /// An LLM2Vec model's index: the instruction its queries are embedded with (<c>index build --query-instruction</c>,
    /// else the model's query prompt, which Skald saves from a run's <c>data.instruction</c>), attended to and left out of
    /// pooling as <see cref="Skald.Models.EncodeOptions.Instruction"/>; <c>skald search</c> and <c>serve --index</c> read
    /// it ("": none). Null: none recorded (any other model, or an index written before it was; queries then get the model's own).
    /// </summary>
    [JsonPropertyName("query_instruction"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? QueryInstruction { get; init; }

    /// <summary>Width of the token vectors in <c>tokens.f32</c>: a BGE-M3 index's ColBERT width, else <see cref="Dimension"/>.</summary>
    [JsonIgnore] internal int TokenDimension => BgeM3 is { } m3 ? m3.ColbertDimension : Dimension;

    /// <summary>Entries a row of <c>embeddings.sparse</c> is keyed over: a BGE-M3 index's vocabulary, else <see cref="Dimension"/>.</summary>
    [JsonIgnore] internal int SparseDimension => BgeM3 is { } m3 ? m3.VocabularySize : Dimension;

    /// <summary>Whether the index stores lexical (sparse) rows: a sparse encoder's, or a BGE-M3 index's lexical weights.</summary>
    [JsonIgnore] internal bool HasSparseRows => Sparse || (BgeM3 is { } m3 && (m3.Stored & Skald.Models.BgeM3.BgeM3Outputs.Sparse) != 0);

    /// <summary>Whether the index stores token vectors: a late-interaction index's, or a BGE-M3 index's ColBERT vectors.</summary>
    [JsonIgnore] internal bool HasTokens => MultiVector is not null || (BgeM3 is { } m3 && (m3.Stored & Skald.Models.BgeM3.BgeM3Outputs.Colbert) != 0);

    /// <summary>Whether the index stores dense float rows in <c>embeddings.f32</c> (all but a sparse encoder's and a BGE-M3 index without its dense output).</summary>
    [JsonIgnore] internal bool HasDenseRows => !Sparse && (BgeM3 is not { } m3 || (m3.Stored & Skald.Models.BgeM3.BgeM3Outputs.Dense) != 0);
    /// <summary>
    /// A late-interaction index's token vectors' number format when not float32: "float16" (<c>tokens.f16</c>) or
    /// "int8" (<c>tokens.i8</c> and <c>tokens.scales</c>; <see cref="Skald.Retrieval.Index.TokenPrecision"/>), written with version
    /// <see cref="QuantizedTokensVersion"/>. Null: float32 (<c>tokens.f32</c>), or not a late-interaction index.
    /// </summary>
    [JsonPropertyName("token_precision"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? TokenPrecision { get; init; }

    /// <summary>A PLAID index's bits per residual value (1, 2 or 4; <c>plaid.codec</c> holds the same); 0 in any other index.</summary>
    [JsonPropertyName("plaid_bits"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int PlaidBits { get; init; }

    /// <summary>A PLAID index's number of centroids (k-means on its token vectors when built; kept by <c>index add</c>); 0 in any other index.</summary>
    [JsonPropertyName("plaid_centroids"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int PlaidCentroids { get; init; }

    /// <summary>When the index was last written (UTC, ISO 8601).</summary>
    [JsonPropertyName("updated")] public string Updated { get; init; } = "";

    /// <summary>The precision as a value (an unknown name throws <see cref="EvaluationException"/>).</summary>
    internal Quantization.EmbeddingPrecision EmbeddingPrecision()
    {
        try { return Quantization.EmbeddingQuantizer.Parse(Precision); }
        catch (ArgumentException e) { throw new EvaluationException($"{IndexWriter.ManifestFile}: {e.Message}"); }
    }

    /// <summary>The token vectors' number format as a value (an unknown name throws <see cref="EvaluationException"/> naming <paramref name="manifestPath"/>).</summary>
    internal Skald.Retrieval.Index.TokenPrecision TokenFormat(string? manifestPath = null) => TokenPrecision switch
    {
        null or "float32" => Skald.Retrieval.Index.TokenPrecision.Float32,
        "float16" => Skald.Retrieval.Index.TokenPrecision.Float16,
        "int8" => Skald.Retrieval.Index.TokenPrecision.Int8,
        "plaid" => Skald.Retrieval.Index.TokenPrecision.Plaid,
        _ => throw new EvaluationException($"{manifestPath ?? IndexWriter.ManifestFile}: token_precision \"{TokenPrecision}\"; this Skald reads float32, float16, int8 and plaid token vectors (update Skald)"),
    };

    /// <summary>The name <see cref="TokenPrecision"/> records for <paramref name="precision"/> (null for float32, the default).</summary>
    public static string? TokenPrecisionName(Skald.Retrieval.Index.TokenPrecision precision) =>
        precision == Skald.Retrieval.Index.TokenPrecision.Float32 ? null : precision.ToString().ToLowerInvariant();

    /// <summary>The int8 / uint8 calibration ranges, else null.</summary>
    internal Quantization.QuantizationRanges? Ranges()
    {
        if (!Quantization.EmbeddingQuantizer.NeedsRanges(EmbeddingPrecision())) return null;
        if (QuantizationMin is null || QuantizationMax is null)
            throw new EvaluationException($"{IndexWriter.ManifestFile}: precision {Precision} needs quantization_min and quantization_max");
        try { return new Quantization.QuantizationRanges(QuantizationMin, QuantizationMax); }
        catch (ArgumentException e) { throw new EvaluationException($"{IndexWriter.ManifestFile}: {e.Message}"); }
    }
}
