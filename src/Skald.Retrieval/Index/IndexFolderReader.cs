using System.Text.Json;
using Skald.Tokenizers.Serialization;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Index;

/// <summary>
/// Reads and checks the parts of an index folder for <see cref="SearchIndex.Open"/> (<see cref="IndexWriter"/> describes
/// the files): the manifest, the records and tombstones, the BM25 index, IVF lists and HNSW graph, and the quantized
/// rows or product-quantized codes read whole. A missing, damaged or inconsistent part throws
/// <see cref="EvaluationException"/> naming the file (and line).
/// </summary>
internal static class IndexFolderReader
{
    /// <summary>
    /// index.json, checked: format and version, dimension and rows, fingerprint kind, similarity. No folder is a
    /// <see cref="DirectoryNotFoundException"/>, no manifest a <see cref="FileNotFoundException"/> (its path in FileName).
    /// </summary>
    public static IndexManifest Manifest(string folder, out string manifestPath)
    {
        manifestPath = Path.Combine(folder, IndexWriter.ManifestFile);
        if (!Directory.Exists(folder) && !File.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: not a Skald index (no such folder; make one with 'skald index build')");
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"{folder}: not a Skald index (no {IndexWriter.ManifestFile}; make one with 'skald index build')", manifestPath);
        IndexManifest manifest;
        using (var doc = JsonFile.Read(manifestPath, m => new EvaluationException(m))) // "FILE: empty", "FILE: not JSON (line L, column C): ..."
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new EvaluationException($"{manifestPath}: expected a JSON object");
            try
            {
                manifest = doc.RootElement.Deserialize<IndexManifest>()!;
            }
            catch (JsonException e) // JSON, but a value of the wrong kind
            {
                throw new EvaluationException($"{manifestPath}: {e.Path}: {JsonLineError.Reason(e)}");
            }
        }
        if (manifest.Format != "skald-index" || manifest.Version is not (IndexManifest.CurrentVersion or IndexManifest.MultiVectorVersion or IndexManifest.BgeM3Version or IndexManifest.PlaidVersion or IndexManifest.PackedCodesVersion))
            throw new EvaluationException($"{manifestPath}: format {manifest.Format} version {manifest.Version}; this Skald reads skald-index versions " +
                $"{IndexManifest.CurrentVersion} to {IndexManifest.PackedCodesVersion} (update Skald)");
        if (manifest.TokenPrecision is not null && manifest.MultiVector is null && !(manifest.BgeM3 is not null && manifest.TokenPrecision == "plaid"))
            throw new EvaluationException($"{manifestPath}: token_precision \"{manifest.TokenPrecision}\" is for a late-interaction index (or \"plaid\" for a BGE-M3 index's ColBERT vectors), and multi_vector is missing");
        if (manifest.MultiVector is not null || manifest.BgeM3 is not null) manifest.TokenFormat(manifestPath); // an unknown name: one line, before the version's
        int expected = IndexManifest.VersionFor(manifest.MultiVector, manifest.TokenPrecision, manifest.BgeM3);
        if (manifest.Version == IndexManifest.PackedCodesVersion && expected == IndexManifest.CurrentVersion && manifest.PqSubspaces == 0)
            throw new EvaluationException($"{manifestPath}: version {manifest.Version} is a product-quantized index's with packed codes, but pq_subspaces is missing");
        if (manifest.Version != expected && !(manifest.Version == IndexManifest.PackedCodesVersion && expected == IndexManifest.CurrentVersion))
            throw new EvaluationException(manifest.BgeM3 is not null
                ? $"{manifestPath}: bge_m3{(manifest.TokenPrecision is null ? "" : $" with token_precision \"{manifest.TokenPrecision}\"")} needs version {expected}, not {manifest.Version}"
                : manifest.MultiVector is null && manifest.Version == IndexManifest.BgeM3Version
                ? $"{manifestPath}: version {manifest.Version} is a BGE-M3 index's (or a late-interaction index's with token_precision) but bge_m3 and multi_vector are missing"
                : manifest.MultiVector is null
                ? $"{manifestPath}: version {manifest.Version} is a late-interaction index's but multi_vector is missing"
                : $"{manifestPath}: multi_vector \"{manifest.MultiVector}\"{(manifest.TokenPrecision is null ? "" : $" with token_precision \"{manifest.TokenPrecision}\"")} " +
                  $"needs version {expected}, not {manifest.Version}");
        if (manifest.BgeM3 is { } m3) CheckBgeM3(manifest, m3, manifestPath);
        if (manifest.Dimension <= 0 || manifest.Rows < 0) throw new EvaluationException($"{manifestPath}: dimension {manifest.Dimension}, rows {manifest.Rows}");
        if (manifest.ModelFingerprintVersion is < 0 or > ModelFingerprint.CurrentVersion)
            throw new EvaluationException($"{manifestPath}: model_fingerprint_version {manifest.ModelFingerprintVersion}; this Skald knows 0 to {ModelFingerprint.CurrentVersion} (update Skald)");
        if (manifest.Similarity is not ("cosine" or "dot" or "euclidean" or "manhattan"))
            throw new EvaluationException($"{manifestPath}: similarity \"{manifest.Similarity}\", expected cosine, dot, euclidean or manhattan");
        if (manifest.ByDistance && (manifest.Sparse || manifest.MultiVector is not null || manifest.BgeM3 is not null))
            throw new EvaluationException($"{manifestPath}: similarity \"{manifest.Similarity}\" ranks single dense vectors; this index has sparse rows or token vectors");
        CheckReadingAndNoText(manifest, manifestPath);
        return manifest;
    }

    // reading's values and no_text's and unreadable's entries as a sync reads them: a null among them is one line naming it, not a crash
    // of the sync that compares them (JSON deserialisation leaves a missing or null value null).
    private static void CheckReadingAndNoText(IndexManifest manifest, string manifestPath)
    {
        foreach (var (key, value) in manifest.Reading ?? new Dictionary<string, string>())
            if (value is null) throw new EvaluationException($"{manifestPath}: reading.{key}: expected a string, found null");
        var entries = manifest.NoText ?? [];
        for (int i = 0; i < entries.Count; i++)
        {
            var t = entries[i] ?? throw new EvaluationException($"{manifestPath}: no_text[{i}]: expected an object (source, sha256, ocr), found null");
            string? missing = t.Source is null ? "source" : t.Sha256 is null ? "sha256" : t.Ocr is null ? "ocr" : null;
            if (missing is not null) throw new EvaluationException($"{manifestPath}: no_text[{i}]: {missing} is missing (each entry: source, sha256, ocr)");
        }
        var unreadable = manifest.Unreadable ?? [];
        for (int i = 0; i < unreadable.Count; i++)
        {
            var u = unreadable[i] ?? throw new EvaluationException($"{manifestPath}: unreadable[{i}]: expected an object (source, reason), found null");
            string? missing = u.Source is null ? "source" : u.Reason is null ? "reason" : null;
            if (missing is not null) throw new EvaluationException($"{manifestPath}: unreadable[{i}]: {missing} is missing (each entry: source, reason)");
        }
    }

    /// <summary>bm25.bin, which must hold a document per row.</summary>
    public static Bm25Index Bm25(string folder, IndexManifest manifest)
    {
        string bm25Path = Path.Combine(folder, IndexWriter.Bm25File);
        Bm25Index bm25;
        if (!File.Exists(bm25Path)) throw new EvaluationException($"{bm25Path}: missing (index damaged?)");
        using (var fs = File.OpenRead(bm25Path)) bm25 = Bm25Index.Read(fs, bm25Path);
        if (bm25.DocumentCount != manifest.Rows) throw new EvaluationException($"{bm25Path}: {bm25.DocumentCount} documents, the manifest {manifest.Rows} rows");
        return bm25;
    }

    /// <summary>An IVF index's lists (ivf.bin, as many as the manifest says); null when it has none.</summary>
    public static InvertedLists? Lists(string folder, IndexManifest manifest, string manifestPath)
    {
        InvertedLists? lists = null;
        if (manifest.IvfLists < 0 || manifest.IvfProbes < 0) throw new EvaluationException($"{manifestPath}: ivf_lists {manifest.IvfLists}, ivf_probes {manifest.IvfProbes}");
        if (manifest.IvfLists > 0)
        {
            string ivfPath = Path.Combine(folder, IndexWriter.IvfFile);
            lists = InvertedLists.Read(ivfPath, manifest.Dimension, manifest.Rows, manifest.SimilarityFunction); // a distance index's lists are Euclidean
            if (lists.Lists != manifest.IvfLists) throw new EvaluationException($"{ivfPath}: {lists.Lists} lists, the manifest {manifest.IvfLists}");
        }
        return lists;
    }

    /// <summary>An HNSW index's graph (hnsw.bin, the manifest's M; dense rows and no IVF lists); null when it has none.</summary>
    public static HnswGraph? Graph(string folder, IndexManifest manifest, InvertedLists? lists, string manifestPath)
    {
        HnswGraph? graph = null;
        if (manifest.HnswM < 0 || manifest.HnswEf < 0) throw new EvaluationException($"{manifestPath}: hnsw_m {manifest.HnswM}, hnsw_ef {manifest.HnswEf}");
        if (manifest.HnswM > 0)
        {
            if (lists is not null || manifest.Sparse)
                throw new EvaluationException($"{manifestPath}: an HNSW index has dense rows and no IVF lists");
            string hnswPath = Path.Combine(folder, IndexWriter.HnswFile);
            graph = HnswGraph.Open(hnswPath, manifest.Rows, manifest.SimilarityFunction); // mapped: searches read the links from the file
            if (graph.M != manifest.HnswM)
            {
                graph.Dispose();
                throw new EvaluationException($"{hnswPath}: M {graph.M}, the manifest {manifest.HnswM}");
            }
        }
        return graph;
    }

    /// <summary>
    /// A product-quantized index's codebooks and codes (read whole: ⌈M·b / 8⌉ bytes a row for codes of b bits,
    /// <see cref="ProductCodes.CodeBits"/>; a 4-bit index written a byte per code, as Skald did before packing them, and a
    /// 5–7-bit one of version <see cref="IndexManifest.CurrentVersion"/>, written before those were packed, are packed as they are read).
    /// </summary>
    public static ProductCodes? Codes(string folder, IndexManifest manifest, InvertedLists? lists)
    {
        if (manifest.PqSubspaces < 0) throw new EvaluationException($"{Path.Combine(folder, IndexWriter.ManifestFile)}: pq_subspaces {manifest.PqSubspaces}");
        if (manifest.PqSubspaces == 0) return null;
        var pq = ProductQuantizer.Read(Path.Combine(folder, IndexWriter.PqFile), manifest.Dimension);
        string path = Path.Combine(folder, IndexWriter.PqCodesFile);
        if (pq.Subspaces != manifest.PqSubspaces) throw new EvaluationException($"{Path.Combine(folder, IndexWriter.PqFile)}: {pq.Subspaces} sub-vectors, the manifest {manifest.PqSubspaces}");
        if (pq.Rotated != manifest.PqRotated)
            throw new EvaluationException($"{Path.Combine(folder, IndexWriter.PqFile)}: {(pq.Rotated ? "holds" : "lacks")} an OPQ rotation, the manifest says pq_rotated {manifest.PqRotated.ToString().ToLowerInvariant()}");
        if ((pq.CodeDimension == pq.Dimension ? 0 : pq.CodeDimension) != manifest.PqRotatedDim)
            throw new EvaluationException($"{Path.Combine(folder, IndexWriter.PqFile)}: its OPQ matrix maps the rows to {pq.CodeDimension} values, the manifest says pq_rotated_dim {manifest.PqRotatedDim}");
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (a PQ index; index damaged?)");
        var data = File.ReadAllBytes(path);
        int width = ProductCodes.CodeBytes(pq), bits = ProductCodes.CodeBits(pq);
        bool packedVersion = manifest.Version == IndexManifest.PackedCodesVersion;
        if (packedVersion && bits is 4 or 8)
            throw new EvaluationException($"{Path.Combine(folder, IndexWriter.ManifestFile)}: version {manifest.Version} is for codes of 5–7 bits, " +
                $"but {Path.Combine(folder, IndexWriter.PqFile)} holds codebooks of {pq.Centroids} centroids (index damaged?)");
        // A byte a code, packed here: 5–7-bit codes of version 1 (written before they were packed), and 4-bit codes
        // from before those were packed, told by the file's size.
        bool byteCodes = (bits is > 4 and < 8 && !packedVersion)
            || (bits == 4 && width != pq.Subspaces && data.LongLength == (long)manifest.Rows * pq.Subspaces
                && data.AsSpan().IndexOfAnyInRange((byte)pq.Centroids, (byte)255) < 0);
        if (byteCodes)
        {
            int m = pq.Subspaces;
            if (data.LongLength != (long)manifest.Rows * m)
                throw new EvaluationException($"{path}: {data.LongLength} bytes, {manifest.Rows} rows of {m}-byte codes (version {manifest.Version}) need {(long)manifest.Rows * m}");
            int at = data.AsSpan().IndexOfAnyInRange((byte)pq.Centroids, (byte)255);
            if (at >= 0) throw new EvaluationException($"{path}: code byte {data[at]} at row {at / m} names no centroid ({pq.Centroids} per sub-vector; index damaged?)");
            var packed = new byte[(long)manifest.Rows * width];
            ProductCodes.Pack(data, manifest.Rows, m, bits, packed);
            data = packed;
        }
        if (data.LongLength != (long)manifest.Rows * width)
            throw new EvaluationException($"{path}: {data.LongLength} bytes, {manifest.Rows} rows of {width}-byte codes need {(long)manifest.Rows * width}");
        if (ProductCodes.FirstOutOfRange(pq, data, manifest.Rows) is { } bad)
            throw new EvaluationException($"{path}: {ProductCodes.Describe(pq, data, bad)} names no centroid ({pq.Centroids} per sub-vector; index damaged?)");
        return new ProductCodes(pq, manifest.Rows, data, residual: lists is not null);
    }

    /// <summary>The quantized rows of an index that has them (read whole: a 32nd of the float file for binary).</summary>
    public static QuantizedEmbeddings? Quantized(string folder, IndexManifest manifest)
    {
        var precision = manifest.EmbeddingPrecision();
        if (precision == EmbeddingPrecision.Float32) return null;
        string path = Path.Combine(folder, IndexWriter.QuantizedFile);
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (a {manifest.Precision} index; index damaged?)");
        int width = EmbeddingQuantizer.BytesPerRow(precision, manifest.Dimension);
        var data = File.ReadAllBytes(path);
        if (data.LongLength != (long)manifest.Rows * width)
            throw new EvaluationException($"{path}: {data.LongLength} bytes, the manifest's {manifest.Rows} rows of {width} need {(long)manifest.Rows * width}");
        return new QuantizedEmbeddings(precision, manifest.Rows, manifest.Dimension, data, manifest.Ranges());
    }

    /// <summary>records.jsonl: one record a line, as many as the manifest has rows.</summary>
    public static List<IndexRecord> Records(string path, int rows)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (index damaged?)");
        var records = new List<IndexRecord>(rows);
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<IndexRecord>(text) ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new EvaluationException($"{path}:{line}: not a record ({e.Message})");
            }
        }
        if (records.Count != rows) throw new EvaluationException($"{path}: {records.Count} records, the manifest {rows} rows");
        return records;
    }

    /// <summary>tombstones.txt: the deleted rows, one number a line (none when the file is absent).</summary>
    public static HashSet<int> Tombstones(string path, int rows)
    {
        var deleted = new HashSet<int>();
        if (!File.Exists(path)) return deleted;
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            if (!int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int row) || row >= rows)
                throw new EvaluationException($"{path}:{line}: '{text}' is not a row number below {rows}");
            deleted.Add(row);
        }
        return deleted;
    }

    /// <summary>
    /// A BGE-M3 index's <c>bge_m3</c>: known outputs, at least one, each stored one's width, the mean ColBERT score, and
    /// none of the other kinds' settings (sparse, multi_vector, quantized rows, IVF lists, graph, codes, truncation).
    /// </summary>
    private static void CheckBgeM3(IndexManifest manifest, BgeM3Storage m3, string manifestPath)
    {
        var stored = m3.Stored; // an unknown name: one line naming it
        if (stored == 0) throw new EvaluationException($"{manifestPath}: bge_m3.outputs is empty; expected one or more of dense, sparse and colbert");
        if ((stored & Skald.Models.BgeM3.BgeM3Outputs.Sparse) != 0 && m3.VocabularySize <= 0)
            throw new EvaluationException($"{manifestPath}: bge_m3.vocabulary_size {m3.VocabularySize}; an index of lexical weights needs the vocabulary's size");
        if ((stored & Skald.Models.BgeM3.BgeM3Outputs.Colbert) != 0 && (m3.ColbertDimension <= 0 || m3.ColbertScore != BgeM3Storage.MeanMaxSim))
            throw new EvaluationException($"{manifestPath}: bge_m3.colbert_dimension {m3.ColbertDimension}, colbert_score \"{m3.ColbertScore}\"; " +
                $"an index of ColBERT vectors needs their width and the score \"{BgeM3Storage.MeanMaxSim}\"");
        if (manifest.Sparse || manifest.MultiVector is not null || manifest.Precision != "float32" || manifest.IvfLists > 0 || manifest.HnswM > 0
            || manifest.PqSubspaces > 0 || manifest.TruncateDim > 0 || manifest.MaxActiveDims > 0)
            throw new EvaluationException($"{manifestPath}: a BGE-M3 index has float32 rows and no sparse or multi_vector kind, IVF lists, graph, codes or cuts");
        if (manifest.TokenPrecision is not null && (stored & Skald.Models.BgeM3.BgeM3Outputs.Colbert) == 0)
            throw new EvaluationException($"{manifestPath}: token_precision \"{manifest.TokenPrecision}\" codes a BGE-M3 index's ColBERT vectors, and this one stores none");
    }

    /// <summary>
    /// A late-interaction index's token vectors (<see cref="MappedTokenRows"/>; a BGE-M3 index's ColBERT vectors), else
    /// null; such an index has plain float32 rows only.
    /// </summary>
    public static MappedTokenRows? Tokens(string folder, IndexManifest manifest, string manifestPath)
    {
        if (!manifest.HasTokens) return null;
        if (manifest.BgeM3 is null && (manifest.MultiVector!.Length == 0 || manifest.Sparse || manifest.Precision != "float32" || manifest.IvfLists > 0 || manifest.HnswM > 0 || manifest.PqSubspaces > 0))
            throw new EvaluationException($"{manifestPath}: multi_vector \"{manifest.MultiVector}\": a late-interaction index has a kind and float32 rows, and no sparse rows, IVF lists, graph or codes");
        var format = manifest.TokenFormat(manifestPath);
        if ((format == TokenPrecision.Plaid) != (manifest.PlaidBits != 0 || manifest.PlaidCentroids != 0) || (format == TokenPrecision.Plaid && (manifest.PlaidBits == 0 || manifest.PlaidCentroids == 0)))
            throw new EvaluationException($"{manifestPath}: plaid_bits {manifest.PlaidBits}, plaid_centroids {manifest.PlaidCentroids}: a PLAID index (token_precision plaid) has both, any other neither");
        var rows = new MappedTokenRows(folder, manifest.Rows, manifest.TokenDimension, format); // a BGE-M3 index's: its ColBERT width (the rest checked by CheckBgeM3)
        if (rows.Codec is { } codec && (codec.Bits != manifest.PlaidBits || codec.CentroidCount != manifest.PlaidCentroids))
        {
            rows.Dispose();
            throw new EvaluationException($"{Path.Combine(folder, MappedTokenRows.CodecFile)}: {codec.CentroidCount} centroids at {codec.Bits} bits; {manifestPath} says {manifest.PlaidCentroids} at {manifest.PlaidBits} (index damaged?)");
        }
        return rows;
    }
}
