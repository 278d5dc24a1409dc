using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Retrieval.Bm25;

namespace Skald.Retrieval.Index;

/// <summary>
/// Writes an index folder: <c>index.json</c> (<see cref="IndexManifest"/>), <c>embeddings.f32</c> (rows × dim
/// little-endian float32, read back memory-mapped), <c>records.jsonl</c> (one <see cref="IndexRecord"/> per row),
/// <c>bm25.bin</c> (<see cref="Bm25Index.Write"/>), <c>tombstones.txt</c> (deleted rows) and, for an index of quantized
/// embeddings (<see cref="IndexManifest.Precision"/>), <c>embeddings.q</c> (rows × the precision's bytes, made from the
/// float rows as they are written, with the manifest's ranges) and, for an IVF index (<see cref="IndexManifest.IvfLists"/>),
/// <c>ivf.bin</c> (the rows then come grouped by list) and, for an HNSW index (<see cref="IndexManifest.HnswM"/>),
/// <c>hnsw.bin</c> (<see cref="Hnsw.HnswGraph"/>, node i is row i) and, for a product-quantized index
/// (<see cref="IndexManifest.PqSubspaces"/>), <c>pq.bin</c> (<see cref="Quantization.ProductQuantizer"/>) and
/// <c>embeddings.pq</c> (a code per row, made from the float rows as they are written) and, for a late-interaction
/// index (<see cref="IndexManifest.MultiVector"/>), <c>tokens.f32</c> (or, as <see cref="IndexManifest.TokenPrecision"/>
/// says, <c>tokens.f16</c>, or <c>tokens.i8</c> and <c>tokens.scales</c>) and <c>tokens.offsets</c> (every row's token
/// vectors, <see cref="MappedTokenRows"/>), written with the rows before the <c>rows</c> kill point. A whole folder is built as
/// a staging sibling and moved into place (<see cref="StagingPaths"/>), so a reader never sees half an index; a delete
/// replaces only the tombstone file, through a temporary sibling and a rename. Every file is flushed to the disk before
/// its rename and the folders' entries after (<see cref="DurableFiles"/>), so a power cut leaves the old index or the
/// new one too; <see cref="IndexKillPoint"/> names the steps a test may kill a write at.
/// </summary>
public static class IndexWriter
{
    /// <summary>The manifest's file name; its presence marks a folder as an index.</summary>
    public const string ManifestFile = "index.json";

    /// <summary>
    /// Throws the line <see cref="EvaluationException"/> an index write into <paramref name="folder"/> would end with:
    /// its parent missing, a file in its place, or a folder holding something other than an index (which it would
    /// replace). Commands call it before they embed anything.
    /// </summary>
    public static void CheckTarget(string folder)
    {
        if (StagingPaths.FolderProblem(folder, ManifestFile, "a Skald index folder") is { } problem) throw new EvaluationException(problem);
    }

    /// <summary>Embeddings file name.</summary>
    public const string EmbeddingsFile = "embeddings.f32";

    /// <summary>A sparse index's rows (<see cref="Sparse.SparseRows"/>), in place of <see cref="EmbeddingsFile"/>.</summary>
    public const string SparseFile = "embeddings.sparse";

    /// <summary>A sparse index's inverted lists and row offsets (<see cref="Sparse.SparseIndex.Write"/>), mapped at open.</summary>
    public const string PostingsFile = "sparse.postings";

    /// <summary>Quantized embeddings file name.</summary>
    public const string QuantizedFile = "embeddings.q";

    /// <summary>Records file name.</summary>
    public const string RecordsFile = "records.jsonl";

    /// <summary>BM25 index file name.</summary>
    public const string Bm25File = "bm25.bin";

    /// <summary>An IVF index's centroids and list starts (<see cref="Ivf.InvertedLists"/>).</summary>
    public const string IvfFile = "ivf.bin";

    /// <summary>An HNSW index's graph (<see cref="Hnsw.HnswGraph"/>).</summary>
    public const string HnswFile = "hnsw.bin";

    /// <summary>A product-quantized index's codebooks (<see cref="Quantization.ProductQuantizer"/>).</summary>
    public const string PqFile = "pq.bin";

    /// <summary>A product-quantized index's codes, rows × <see cref="Quantization.ProductCodes.CodeBytes"/> bytes.</summary>
    public const string PqCodesFile = "embeddings.pq";

    /// <summary>Deleted rows, one row number a line.</summary>
    public const string TombstonesFile = "tombstones.txt";

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions Line = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes (or replaces) the index in <paramref name="folder"/>. An existing folder is replaced only when it is
    /// empty or already an index; <paramref name="vectors"/> yields one row [dim] per record, in order (an IVF index's
    /// rows in <paramref name="lists"/>' order); a sparse index (<see cref="IndexManifest.Sparse"/>) takes its rows as
    /// <paramref name="sparse"/> instead, and <paramref name="vectors"/> is empty; an HNSW index's
    /// <paramref name="graph"/> has a node per record. <paramref name="tombstones"/>: rows written deleted (an HNSW
    /// index keeps dropped rows in its graph until a compaction), in the same atomic step. A product-quantized index's
    /// <paramref name="pq"/> encodes every row (residuals from <paramref name="lists"/>' centroids in an IVF index).
    /// A late-interaction index takes each record's token vectors as <paramref name="tokens"/> (row-major [tokens × dim]),
    /// in order, stored in the manifest's <see cref="IndexManifest.TokenPrecision"/>; any other none. A PLAID index's are
    /// coded with <paramref name="plaid"/>'s codec, and <paramref name="tokens"/> holds only the rows it does not copy. A BGE-M3 index
    /// (<see cref="IndexManifest.BgeM3"/>) takes what it stores of the three: dense <paramref name="vectors"/> (else
    /// none), lexical rows as <paramref name="sparse"/>, ColBERT vectors as <paramref name="tokens"/>, written as a
    /// dense, sparse and late-interaction index writes each.
    /// </summary>
    public static void Write(string folder, IndexManifest manifest, IReadOnlyList<IndexRecord> records,
        IEnumerable<ReadOnlyMemory<float>> vectors, Bm25Index bm25, Ivf.InvertedLists? lists = null,
        IEnumerable<Skald.Models.SparseEmbedding>? sparse = null, Hnsw.HnswGraph? graph = null, IReadOnlyCollection<int>? tombstones = null,
        Quantization.ProductQuantizer? pq = null, IEnumerable<ReadOnlyMemory<float>>? tokens = null, Plaid.PlaidWrite? plaid = null)
    {
        if ((manifest.HasTokens && manifest.TokenFormat() == TokenPrecision.Plaid) != (plaid is not null)
            || (plaid is not null && (plaid.Codec.Bits != manifest.PlaidBits || plaid.Codec.CentroidCount != manifest.PlaidCentroids || plaid.Codec.Dimension != manifest.TokenDimension)))
            throw new ArgumentException("a PLAID index (token_precision plaid) takes the codec its manifest describes, any other none", nameof(plaid));
        if (manifest.HasTokens != (tokens is not null))
            throw new ArgumentException("a late-interaction index (or a BGE-M3 index of ColBERT vectors) takes every row's token vectors, any other none", nameof(tokens));
        if (manifest.BgeM3 is not null && (manifest.Sparse || manifest.MultiVector is not null))
            throw new ArgumentException("a BGE-M3 index is neither a sparse encoder's nor a late-interaction model's", nameof(manifest));
        int version = IndexManifest.VersionFor(manifest.MultiVector, manifest.TokenPrecision, manifest.BgeM3, pq?.Centroids ?? 0);
        if (manifest.HasTokens && manifest.Version != version)
            throw new ArgumentException($"a late-interaction index with token_precision {manifest.TokenPrecision ?? "float32"} is version {version}", nameof(manifest));
        if (tokens is not null && (manifest.Sparse || lists is not null || graph is not null || pq is not null || manifest.Precision != "float32"))
            throw new ArgumentException("a late-interaction index has float32 rows and no IVF lists, graph or codes", nameof(manifest));
        if ((manifest.PqSubspaces > 0) != (pq is not null) || (pq is not null && (pq.Subspaces != manifest.PqSubspaces || pq.Dimension != manifest.Dimension || pq.Rotated != manifest.PqRotated
            || (pq.CodeDimension == pq.Dimension ? 0 : pq.CodeDimension) != manifest.PqRotatedDim)))
            throw new ArgumentException($"the manifest's {manifest.PqSubspaces} PQ sub-vectors do not match the codebooks given", nameof(pq));
        if (pq is not null && manifest.Precision != "float32")
            throw new ArgumentException("a product-quantized index has float32 rows beside its codes", nameof(pq));
        if ((manifest.HnswM > 0) != (graph is not null) || (graph is not null && (graph.M != manifest.HnswM || graph.Count != records.Count)))
            throw new ArgumentException($"the manifest's HNSW M {manifest.HnswM} does not match the graph given for {records.Count} records", nameof(graph));
        if (manifest.HasSparseRows != (sparse is not null)) throw new ArgumentException("a sparse index takes sparse rows, a dense one none", nameof(sparse));
        if (manifest.HasSparseRows && (lists is not null || graph is not null || pq is not null || manifest.Precision != "float32"))
            throw new ArgumentException("a sparse index has no IVF lists or quantized rows", nameof(manifest));
        if (bm25.DocumentCount != records.Count) throw new ArgumentException("the BM25 index must cover every record", nameof(bm25));
        if ((manifest.IvfLists > 0) != (lists is not null) || (lists is not null && (lists.Lists != manifest.IvfLists || lists.Rows != records.Count)))
            throw new ArgumentException($"the manifest's {manifest.IvfLists} IVF lists do not match the lists given for {records.Count} records", nameof(lists));
        CheckTarget(folder);
        string full = RealPath.Of(folder); // a folder named through a link: the real one replaced, the link kept (and the staging on its volume)
        using var writing = IndexWriteLock.HeldHere(full) ? null : IndexWriteLock.Take(full); // a caller of its own: recovery trusts every writer to hold it
        IndexRecovery.Recover(full, full);
        string tmp = StagingPaths.Temp(full), old = StagingPaths.Old(full);
        Directory.CreateDirectory(tmp);
        try
        {
            IndexKillPoint.Reach("staging"); // the staging folder made, nothing written in it yet
            int rows = 0;
            if (sparse is not null)
            {
                var all = sparse as IReadOnlyList<Skald.Models.SparseEmbedding> ?? [.. sparse];
                var offsets = new List<long>(all.Count + 1);
                using (var ss = Create(Path.Combine(tmp, SparseFile)))
                {
                    rows = Sparse.SparseRows.Write(ss, all, manifest.SparseDimension, offsets);
                    ss.Flush(true);
                }
                IndexKillPoint.Reach("postings"); // a sparse index's rows staged, its inverted lists not yet
                using (var postings = Create(Path.Combine(tmp, PostingsFile)))
                {
                    Sparse.SparseIndex.Build(all, manifest.SparseDimension).Write(postings, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(offsets));
                    postings.Flush(true);
                }
                if (rows != records.Count) throw new ArgumentException($"{rows} sparse rows for {records.Count} records");
            }
            if (!manifest.HasDenseRows && vectors.Any()) throw new ArgumentException("a sparse index takes no dense rows", nameof(vectors));
            var precision = manifest.EmbeddingPrecision();
            var ranges = manifest.Ranges();
            bool quantize = precision != Quantization.EmbeddingPrecision.Float32;
            var row = quantize ? new byte[Quantization.EmbeddingQuantizer.BytesPerRow(precision, manifest.Dimension)] : [];
            int dense = 0;
            using (var fs = manifest.HasDenseRows ? Create(Path.Combine(tmp, EmbeddingsFile)) : Stream.Null)
            using (var qs = quantize ? Create(Path.Combine(tmp, QuantizedFile)) : null)
            using (var ps = pq is not null ? Create(Path.Combine(tmp, PqCodesFile)) : null)
            {
                var codes = pq is null ? null : new Quantization.ProductCodeWriter(pq, lists, ps!);
                foreach (var v in vectors)
                {
                    if (v.Length != manifest.Dimension) throw new ArgumentException($"row {dense} has {v.Length} values, expected {manifest.Dimension}");
                    fs.Write(MemoryMarshal.AsBytes(v.Span));
                    if (qs is not null)
                    {
                        Quantization.EmbeddingQuantizer.QuantizeRow(v.Span, precision, ranges, row);
                        qs.Write(row);
                    }
                    codes?.Add(v.Span);
                    dense++;
                }
                codes?.Flush();
                (fs as FileStream)?.Flush(true);
                qs?.Flush(true);
                ps?.Flush(true);
            }
            if (manifest.HasDenseRows) rows = dense;
            else if (sparse is null) rows = records.Count; // a BGE-M3 index of ColBERT vectors alone: WriteTokens counts them
            if (rows != records.Count) throw new ArgumentException($"{rows} vectors for {records.Count} records");
            if (plaid is not null) Plaid.PlaidTokenWriter.Write(tmp, tokens!, records.Count, plaid);
            else if (tokens is not null) WriteTokens(tmp, tokens, manifest.TokenDimension, records.Count, manifest.TokenFormat());
            IndexKillPoint.Reach("rows");
            using (var fs = Create(Path.Combine(tmp, RecordsFile)))
            using (var w = new StreamWriter(fs, new UTF8Encoding(false)))
            {
                foreach (var r in records) w.WriteLine(JsonSerializer.Serialize(r, Line));
                w.Flush();
                fs.Flush(true);
            }
            using (var fs = Create(Path.Combine(tmp, Bm25File)))
            {
                bm25.Write(fs);
                fs.Flush(true);
            }
            if (lists is not null)
            {
                using var fs = Create(Path.Combine(tmp, IvfFile));
                lists.Write(fs);
                fs.Flush(true);
            }
            if (pq is not null)
            {
                using var fs = Create(Path.Combine(tmp, PqFile));
                pq.Write(fs);
                fs.Flush(true);
            }
            if (graph is not null)
            {
                using var fs = Create(Path.Combine(tmp, HnswFile));
                graph.Write(fs);
                fs.Flush(true);
            }
            DurableFiles.WriteText(Path.Combine(tmp, TombstonesFile), Lines(tombstones ?? []));
            DurableFiles.WriteText(Path.Combine(tmp, ManifestFile), JsonSerializer.Serialize(manifest with
            {
                Version = version, // a PQ index's codes are written packed (5–7 bits: its own version), whatever it was read as
                Rows = rows,
                Updated = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            }, Json) + "\n");
            DurableFiles.SyncFolder(tmp); // every file's name on the disk before the folder is renamed into place
            IndexKillPoint.Reach("staged");
            string parent = Path.GetDirectoryName(full)!;
            if (Directory.Exists(full))
            {
                Directory.Move(full, old);
                IndexKillPoint.Reach("aside"); // no index at the path now: IndexRecovery (at the next open) moves the old one back
            }
            Directory.Move(tmp, full);
            DurableFiles.SyncFolder(parent);
            IndexKillPoint.Reach("swapped");
            try { if (Directory.Exists(old)) Directory.Delete(old, recursive: true); }
            catch (IOException) { } // a search wrote model-verified.json into it meanwhile: the next write's Recover removes it
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>Replaces the tombstone file of the index in <paramref name="folder"/> (temporary sibling, then a rename).</summary>
    public static void WriteTombstones(string folder, IEnumerable<int> deletedRows)
    {
        string path = Path.GetFullPath(Path.Combine(folder, TombstonesFile));
        using var writing = IndexWriteLock.HeldHere(folder) ? null : IndexWriteLock.Take(folder);
        IndexRecovery.Recover(folder, path);
        string tmp = StagingPaths.Temp(path);
        try
        {
            DurableFiles.WriteText(tmp, Lines(deletedRows));
            IndexKillPoint.Reach("tombstones");
            File.Move(tmp, path, overwrite: true);
            DurableFiles.SyncFolder(Path.GetDirectoryName(path)!);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// A late-interaction index's token vectors in <paramref name="precision"/> (<c>tokens.f32</c>, <c>tokens.f16</c>, or
    /// <c>tokens.i8</c> and <c>tokens.scales</c>) and <c>tokens.offsets</c> (<see cref="MappedTokenRows"/>), one entry of
    /// <paramref name="tokens"/> per row, given as float32 (a kept row decoded from its old index codes to the same bytes).
    /// </summary>
    private static void WriteTokens(string tmp, IEnumerable<ReadOnlyMemory<float>> tokens, int dim, int rows, TokenPrecision precision)
    {
        var offsets = new byte[(rows + 1L) * sizeof(long)];
        long at = 0;
        int row = 0;
        ushort[] halves = [];
        sbyte[] codes = [];
        float[] maxima = [];
        using (var fs = Create(Path.Combine(tmp, MappedTokenRows.FileOf(precision))))
        using (var ss = precision == TokenPrecision.Int8 ? Create(Path.Combine(tmp, MappedTokenRows.ScalesFile)) : null)
        {
            foreach (var t in tokens)
            {
                if (row >= rows) throw new ArgumentException($"token vectors for more than the {rows} records", nameof(tokens));
                if (t.Length % dim != 0) throw new ArgumentException($"row {row}'s {t.Length} token values are not vectors of {dim}", nameof(tokens));
                int n = t.Length / dim;
                switch (precision)
                {
                    case TokenPrecision.Float16:
                        if (halves.Length < t.Length) halves = new ushort[t.Length];
                        Skald.Tensors.Kernels.F16.FromSingle(t.Span, halves);
                        fs.Write(MemoryMarshal.AsBytes(halves.AsSpan(0, t.Length)));
                        break;
                    case TokenPrecision.Int8:
                        if (codes.Length < t.Length) (codes, maxima) = (new sbyte[t.Length], new float[n]);
                        for (int v = 0; v < n; v++)
                            maxima[v] = Skald.Tensors.Kernels.MaxSimQuantized.QuantizeInt8(t.Span.Slice(v * dim, dim), codes.AsSpan(v * dim, dim));
                        fs.Write(MemoryMarshal.AsBytes(codes.AsSpan(0, t.Length)));
                        ss!.Write(MemoryMarshal.AsBytes(maxima.AsSpan(0, n)));
                        break;
                    default:
                        fs.Write(MemoryMarshal.AsBytes(t.Span));
                        break;
                }
                at += n;
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(offsets.AsSpan(++row * sizeof(long)), at);
            }
            fs.Flush(true);
            ss?.Flush(true);
        }
        if (row != rows) throw new ArgumentException($"token vectors for {row} rows, {rows} records", nameof(tokens));
        using var os = Create(Path.Combine(tmp, MappedTokenRows.OffsetsFile));
        os.Write(offsets);
        os.Flush(true);
    }

    /// <summary>Row numbers in order, one a line, as <c>tombstones.txt</c> holds them.</summary>
    private static string Lines(IEnumerable<int> rows) =>
        string.Concat(rows.Order().Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture) + Environment.NewLine));

    private static FileStream Create(string path) => new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
}
