using Skald.Models.LateInteraction;
using Skald.Models.Modules;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Index;

/// <summary>
/// Makes and changes index folders: <see cref="Build"/> embeds records (document role, the model's prompts) and
/// indexes them for BM25 (and, for an IVF index, trains the lists' centroids and stores the rows grouped by list; for
/// an HNSW index, links the rows into its graph); <see cref="Add"/> appends records (a document added again replaces
/// its old rows; an IVF index's new rows join their nearest lists, the centroids unchanged; a product-quantized index
/// encodes every row again with its codebooks, unchanged; an HNSW index's new rows
/// are inserted into its graph, which is built again when rows were dropped) and compacts away deleted rows while it
/// rewrites the folder;
/// A late-interaction model (<see cref="MultiVectorEmbeddingModel"/>) makes an index of token vectors
/// (<see cref="IndexManifest.MultiVector"/>), built, added to and deleted from the same way, with no layout options;
/// so does BGE-M3 (<see cref="BgeM3EmbeddingModel"/>): the outputs it stores (<see cref="IndexManifest.BgeM3"/>) from one pass.
/// <see cref="Reindex"/> lays out an index's stored rows anew (another search structure, lists retrained, compaction)
/// without embedding them again; <see cref="Delete"/> only writes tombstones.
/// </summary>
public static partial class IndexBuilder
{
    /// <summary>Texts embedded per call (progress granularity).</summary>
    public const int EmbedBatch = 256;

    /// <summary>Builds a new index of <paramref name="records"/> in <paramref name="folder"/> (replacing an earlier index there).</summary>
    /// <param name="folder">Output folder.</param>
    /// <param name="model">The embedding model.</param>
    /// <param name="modelPath">Its folder (recorded in the manifest).</param>
    /// <param name="records">Rows to index; ids must be unique.</param>
    /// <param name="bm25">BM25 settings.</param>
    /// <param name="language">Language code for BM25 stemming, or null.</param>
    /// <param name="chunkTokens">Chunk budget used (0: whole documents), recorded.</param>
    /// <param name="overlapTokens">Chunk overlap used, recorded.</param>
    /// <param name="progress">Called with (rows embedded, total).</param>
    /// <param name="precision">The number format dense search reads (int8 / uint8 calibrated on these rows; rows added
    /// later keep those ranges).</param>
    /// <param name="ivf">Build inverted lists for approximate dense search (null: exact search).</param>
    /// <param name="hnsw">Build an HNSW graph for approximate dense search (null: exact search; not with
    /// <paramref name="ivf"/>). The graph is linked over the float32 rows; with a quantized precision its searches walk
    /// the quantized rows and rescore the best with the float32 ones.</param>
    /// <param name="linking">Called with (rows linked into the HNSW graph, total) while it is built.</param>
    /// <param name="truncateDim">The model's embeddings were cut to this width (give the model the same cut); recorded so that queries are cut too (0: full width).</param>
    /// <param name="pq">Product-quantize the rows for dense search (codebooks trained on these rows, or on their residuals
    /// from <paramref name="ivf"/>'s centroids; rows added later use the same codebooks; an HNSW graph is linked over
    /// the float rows and walked over the codes); not with a quantized <paramref name="precision"/>.</param>
    /// <param name="maxActiveDims">A sparse encoder's rows keep their N largest entries, and the index's queries too (0: all; with a CSR model, give the model N as well so that its codes hold N latents).</param>
    /// <param name="documentsRoot">The folder the records' paths are relative to (<see cref="DocumentRoot"/>), recorded with its links resolved (<see cref="RealPath"/>); null: none (full paths, or no files).</param>
    /// <param name="cancellationToken">Stops the embedding (between the layers of a forward pass with an
    /// <see cref="EncoderEmbeddingModel"/>, see <see cref="IEmbeddingModel.Embed(IReadOnlyList{string}, TextRole, CancellationToken)"/>):
    /// <see cref="OperationCanceledException"/> before anything is written, an earlier index in <paramref name="folder"/> left as it was.</param>
    /// <param name="tokenPrecision">A late-interaction model's index: the number format its token vectors are stored and
    /// scanned in (float16: half the bytes; int8: a quarter, plus a scale per vector); rows added later are stored the
    /// same way; plaid: ColBERTv2's centroids and residual codes (<paramref name="plaid"/>'s settings), searched by
    /// <see cref="SearchIndex.SearchTokens"/>' PLAID stages. Any other model: float32 only.</param>
    /// <param name="plaid">A PLAID index's codec settings (null: <see cref="Plaid.PlaidOptions"/>' defaults); ignored unless <paramref name="tokenPrecision"/> is plaid.</param>
    /// <param name="reading">How the documents were read (<see cref="IndexManifest.Reading"/>), recorded; null: none recorded.</param>
    /// <param name="noText">Document files read without text (<see cref="IndexManifest.NoText"/>), recorded; null or empty: none.</param>
    /// <param name="unreadable">Document files that could not be read (<see cref="IndexManifest.Unreadable"/>), recorded; null or empty: none.</param>
    /// <param name="queryInstruction">An LLM2Vec model's query instruction, recorded (<see cref="IndexManifest.QueryInstruction"/>) so that searches embed queries with it ("": with none); null: none recorded.</param>
    public static IndexManifest Build(string folder, IEmbeddingModel model, string modelPath, IReadOnlyList<IndexRecord> records,
        Bm25Options bm25, string? language, int chunkTokens, int overlapTokens, Action<int, int>? progress = null,
        Quantization.EmbeddingPrecision precision = Quantization.EmbeddingPrecision.Float32, IvfOptions? ivf = null, HnswOptions? hnsw = null,
        Action<int, int>? linking = null, int maxActiveDims = 0, int truncateDim = 0, Quantization.ProductQuantizerOptions? pq = null,
        string? documentsRoot = null, CancellationToken cancellationToken = default, TokenPrecision tokenPrecision = TokenPrecision.Float32,
        Plaid.PlaidOptions? plaid = null, string? queryInstruction = null, IReadOnlyDictionary<string, string>? reading = null,
        IReadOnlyList<TextlessFile>? noText = null, IReadOnlyList<UnreadableFile>? unreadable = null)
    {
        if (tokenPrecision == TokenPrecision.Plaid && model is BgeM3EmbeddingModel bge && (bge.Outputs & Skald.Models.BgeM3.BgeM3Outputs.Colbert) == 0)
            throw new EvaluationException($"{folder}: --plaid codes a BGE-M3 index's ColBERT vectors, and this index stores {string.Join(", ", BgeM3Storage.Names(bge.Outputs))} only (add colbert to --bge-m3)");
        if (tokenPrecision != TokenPrecision.Float32 && model is not MultiVectorEmbeddingModel && !(tokenPrecision == TokenPrecision.Plaid && model is BgeM3EmbeddingModel))
            throw new EvaluationException($"{folder}: {IndexManifest.TokenPrecisionName(tokenPrecision)} is the number format of a late-interaction (ColBERT) index's token vectors; {model.Name} makes one vector a text");
        if (maxActiveDims < 0 || (maxActiveDims > 0 && !model.IsSparse))
            throw new EvaluationException(maxActiveDims < 0 ? "max_active_dims must be at least 1"
                : $"{folder}: --max-active-dims is for sparse encoders (SPLADE, CSR); {model.Name} makes dense embeddings");
        var layout = new DenseLayout { Precision = precision, Ivf = ivf, Hnsw = hnsw, Pq = pq };
        if (model.IsSparse && layout.FirstOption is { } option)
            throw new EvaluationException($"{folder}: {option} is for dense embedding models; a sparse encoder's index is an inverted index of its vocabulary weights");
        var multi = model as MultiVectorEmbeddingModel;
        if (multi is not null && (layout.FirstOption ?? (truncateDim != 0 ? "--truncate-dim" : null)) is { } setting)
            throw new EvaluationException($"{folder}: {setting} is for single-vector dense models; a late-interaction ({multi.Kind}) index scores every row's token vectors by exact MaxSim");
        var m3 = model as BgeM3EmbeddingModel;
        if (m3 is not null && (layout.FirstOption ?? (truncateDim != 0 ? "--truncate-dim" : null)) is { } m3Setting)
            throw new EvaluationException($"{folder}: {m3Setting} is for single-vector dense models; a BGE-M3 index scores its stored outputs exactly");
        // A single-vector dense model's index ranks by its distance in every layout (lists and graphs built by it too).
        string similarity = IndexManifest.SimilarityOf(model.Similarity, !model.IsSparse && multi is null && m3 is null);
        layout.Check(folder, model.Dimension, records.Count, IndexManifest.FunctionOf(similarity));
        CheckUnique(records, []);
        using var writing = IndexWriteLock.Take(folder, cancellationToken);
        var analyzer = new Bm25Model(bm25).AnalyzerFor(language, out string stemming);
        if (language == Bm25Fields.PerDocument) stemming = bm25.Stem && Snowball.IsAvailable ? Bm25Fields.PerDocumentStemming : Bm25Fields.Unstemmed;
        var manifest = new IndexManifest
        {
            Model = Path.GetFullPath(modelPath),
            ModelName = model.Name,
            DocumentsRoot = documentsRoot is null ? null : RealPath.Of(documentsRoot),
            Dimension = model.Dimension,
            Similarity = similarity,
            Language = language,
            K1 = bm25.Parameters.K1,
            B = bm25.Parameters.B,
            Stemming = stemming,
            ChunkTokens = chunkTokens,
            OverlapTokens = overlapTokens,
            Precision = Quantization.EmbeddingQuantizer.Name(precision),
            Sparse = model.IsSparse,
            MaxActiveDims = maxActiveDims,
            TruncateDim = truncateDim,
            MultiVector = multi?.Kind,
            PoolFactor = multi is { PoolFactor: > 1 } ? multi.PoolFactor : null,
            BgeM3 = m3 is null ? null : BgeM3Storage.For(m3.Encoder, m3.Outputs),
            TokenPrecision = IndexManifest.TokenPrecisionName(tokenPrecision),
            QueryInstruction = queryInstruction, // "" recorded too: told none, queries get none (not the folder's)
            Reading = reading,
            NoText = noText is { Count: > 0 } ? noText : null,
            Unreadable = unreadable is { Count: > 0 } ? unreadable : null,
        };
        manifest = ModelFingerprint.Record(manifest with { Version = IndexManifest.VersionFor(manifest.MultiVector, manifest.TokenPrecision, manifest.BgeM3) }, modelPath);
        if (m3 is not null)
        {
            var outputs = EmbedBgeM3(m3, records, m3.Outputs, progress, cancellationToken);
            Plaid.PlaidWrite? colbertCodes = null;
            if (tokenPrecision == TokenPrecision.Plaid)
            {
                var codec = TrainPlaid(folder, [.. outputs.Select(o => o.Colbert!)], manifest.TokenDimension, plaid ?? new Plaid.PlaidOptions());
                manifest = manifest with { PlaidBits = codec.Bits, PlaidCentroids = codec.CentroidCount };
                colbertCodes = new Plaid.PlaidWrite(codec);
            }
            WriteBgeM3(folder, manifest, records, analyzer, null, [], outputs, colbertCodes);
            return manifest with { Rows = records.Count };
        }
        if (model.IsSparse)
        {
            var rows = EmbedSparse(model, records, manifest.Similarity == "cosine", maxActiveDims, progress, cancellationToken); // a cosine model's rows at unit length
            IndexWriter.Write(folder, manifest, records, [], Analyse(manifest, analyzer, records, bm25.Parameters), sparse: rows);
            return manifest with { Rows = records.Count };
        }
        var vectors = Embed(model, records, manifest.Similarity == "cosine", progress, cancellationToken, out var tokens);
        Plaid.PlaidWrite? coded = null;
        if (tokenPrecision == TokenPrecision.Plaid)
        {
            var codec = TrainPlaid(folder, tokens!, manifest.Dimension, plaid ?? new Plaid.PlaidOptions());
            manifest = manifest with { PlaidBits = codec.Bits, PlaidCentroids = codec.CentroidCount };
            coded = new Plaid.PlaidWrite(codec);
        }
        return layout.Write(folder, manifest, records, vectors, analyzer, bm25.Parameters, IndexKillPoint.Linking(linking), tokens, coded);
    }

    /// <summary>The BM25 analyzer an index was built with (its language and stemming).</summary>
    private static Analyzer AnalyzerOf(IndexManifest manifest) =>
        new Bm25Model(new Bm25Options { Stem = manifest.Stemming.StartsWith("snowball", StringComparison.Ordinal) }).AnalyzerFor(manifest.Language, out _);

    /// <summary>
    /// The share of an HNSW index's rows that may be deleted (tombstones) before <see cref="Add"/> compacts the rows and
    /// builds the graph again: below it, rows dropped by a delete or a replaced document stay in the graph, deleted.
    /// </summary>
    public const double HnswDeadShare = 0.25;

    /// <summary>
    /// Adds <paramref name="records"/> to the index in <paramref name="folder"/>: live rows of a document that is added
    /// again are replaced by the new ones, deleted rows are dropped (compaction), and the folder is rewritten atomically.
    /// An HNSW index keeps the rows it would drop as deleted ones while they are at most <see cref="HnswDeadShare"/> of
    /// its rows, so the saved graph only grows (no rebuild); beyond that it compacts and builds the graph again. With
    /// <paramref name="replaceDeleted"/> true (an HNSW index only) the new rows first take the slots of the rows it drops
    /// (<see cref="HnswGrowth"/>, hnswlib's replace_deleted), so delete-and-add churn keeps the index its size; false
    /// appends them; null (the default) does as the index was built to (<see cref="IndexManifest.HnswReplaceDeleted"/>).
    /// Returns (rows added, rows replaced); <paramref name="linking"/> as in <see cref="Build"/>. With
    /// <paramref name="documentsRoot"/> (the folder <paramref name="records"/>' paths are relative to, usually
    /// <see cref="DocumentRoot.For"/>) it becomes the recorded root, and the rows of an index written with full paths
    /// are made relative to its <see cref="DocumentRoot.Recorded"/> root first, so re-added documents replace them; a
    /// root moved up or down the tree renames the kept rows whose files are still there, and the files recorded without rows
    /// by the same rule (<see cref="DocumentRoot.Rerooted{T}"/>).
    /// With <paramref name="modelPath"/>, the folder <paramref name="model"/> was loaded from, which the caller checked to
    /// be the index's model (<see cref="ModelFingerprint.Unchanged"/>), its fingerprint and stamp are recorded anew, of
    /// the current kind (<see cref="ModelFingerprint.Record"/>: an index of the older kind moves to it, and a model
    /// touched since is trusted from its stamp again); without, they stay as they were. A mapped file of the index cut
    /// shorter in place by another process while the new records were embedded is an <see cref="EvaluationException"/>
    /// naming it (<see cref="SearchIndex.ThrowIfCut"/>) before a kept row is read, the folder left as it was.
    /// <paramref name="cancellationToken"/> stops the embedding as in <see cref="Build"/>: nothing is written, the index stays as it was.
    /// </summary>
    public static (int Added, int Replaced) Add(string folder, IEmbeddingModel model, IReadOnlyList<IndexRecord> records,
        Action<int, int>? progress = null, Action<int, int>? linking = null, string? documentsRoot = null, string? modelPath = null,
        bool? replaceDeleted = null, CancellationToken cancellationToken = default) =>
        Update(folder, model, (_, _) => new IndexChange(records, []), progress, linking, documentsRoot, modelPath, replaceDeleted, cancellationToken)
        ?? (records.Count, 0);

    /// <summary>Throws <see cref="EvaluationException"/> naming the folder unless <paramref name="index"/> can reuse
    /// deleted rows' slots (<see cref="Add"/>'s replaceDeleted): an HNSW index; any other drops deleted rows on every add.</summary>
    public static void CheckReplaceDeleted(SearchIndex index)
    {
        if (index.Graph is null)
            throw new EvaluationException($"{index.Folder}: --replace-deleted is for an HNSW index (--hnsw), which keeps deleted rows; this index drops them on every add");
    }

    /// <summary>
    /// An HNSW index's graph over the rows to write (<paramref name="sources"/>: kept row i is source i, fresh row j is
    /// source kept + j): the saved graph grown in place (<see cref="HnswGrowth"/>: node i stays row i), else a graph
    /// built again with the same settings (a dropped node's links cannot simply be cut without leaving parts of the
    /// graph unreachable).
    /// </summary>
    private static HnswGraph Grow(string folder, SearchIndex index, HnswGrowth? growth, List<int> keptRows, float[][] fresh, int[] sources,
        Action<int, int>? linking)
    {
        var old = index.Graph!;
        int kept = keptRows.Count;
        ReadOnlySpan<float> Row(int r) => sources[r] < kept ? index.Vector(keptRows[sources[r]]) : fresh[sources[r] - kept];
        if (growth is not null) return growth.Graph(folder, kept, sources.Length, Row, linking, old.Similarity);
        return HnswGraph.Build(sources.Length, Row, new HnswOptions { M = old.M, EfConstruction = old.EfConstruction, Seed = old.Seed, Similarity = old.Similarity }, linking);
    }

    /// <summary>
    /// Marks as deleted every live row whose record id or document is in <paramref name="ids"/>, or whose source file is
    /// in <paramref name="sources"/> (as the index recorded it, or compared as full paths with links resolved, a relative
    /// source under the index's documents root). Returns the rows deleted.
    /// </summary>
    public static int Delete(string folder, IReadOnlyCollection<string> ids, IReadOnlyCollection<string> sources)
    {
        using var writing = IndexWriteLock.Take(folder);
        using var index = SearchIndex.Open(folder);
        using var cased = DocumentPaths.On(index.Manifest.DocumentsRoot);
        var idSet = ids.ToHashSet(StringComparer.Ordinal);
        // a file's path as given, absolute, with links resolved, or a recorded source written with Windows' '\'
        var sourceSet = sources.Concat(sources.Select(Path.GetFullPath)).Concat(sources.Select(RealPath.Of))
            .Concat(sources.Select(f => f.Replace('\\', '/'))).ToHashSet(DocumentPaths.Comparer); // paths as the file system compares them
        string? root = index.Manifest.DocumentsRoot;
        string? real = root is not null && Directory.Exists(root) ? RealPath.Of(root) : root; // a root recorded through a link
        var deleted = new HashSet<int>(index.Deleted);
        int before = deleted.Count;
        for (int r = 0; r < index.Records.Count; r++)
        {
            var rec = index.Records[r];
            if (idSet.Contains(rec.Id) || idSet.Contains(rec.Document) || (sourceSet.Count > 0 && (sourceSet.Contains(rec.Source) || sourceSet.Contains(DocumentRoot.Full(root, rec.Source))
                || sourceSet.Contains(DocumentRoot.Full(real, rec.Source)))))
                deleted.Add(r);
        }
        if (deleted.Count > before) IndexWriter.WriteTombstones(folder, deleted);
        return deleted.Count - before;
    }

    /// <summary>The rows to write, by source: kept rows read from the old index's mapping, then fresh ones.</summary>
    private static IEnumerable<ReadOnlyMemory<float>> Rows(SearchIndex index, List<int> keptRows, float[][] fresh, int[] sources)
    {
        var row = new float[index.Manifest.Dimension];
        foreach (int i in sources)
        {
            if (i >= keptRows.Count)
            {
                yield return fresh[i - keptRows.Count];
                continue;
            }
            index.Vector(keptRows[i]).CopyTo(row);
            yield return row;
        }
    }

    /// <summary>"token vectors (colbert)" or "single vectors", for a refusal.</summary>
    private static string VectorKind(string? multiVector) => multiVector is null ? "single vectors" : $"token vectors ({multiVector})";

    /// <summary>The token vectors to write, by source as <see cref="Rows"/>: kept rows copied out of the old index's mapping, then fresh ones.</summary>
    private static IEnumerable<ReadOnlyMemory<float>> TokenRows(SearchIndex index, List<int> keptRows, TokenVectors[] fresh, int[] sources)
    {
        var buffer = new float[index.Manifest.Dimension];
        foreach (int i in sources)
        {
            if (i >= keptRows.Count)
            {
                yield return fresh[i - keptRows.Count].Values;
                continue;
            }
            int n = index.CopyTokens(keptRows[i], ref buffer);
            yield return buffer.AsMemory(0, n);
        }
    }

    /// <summary>The BM25 index of <paramref name="records"/>: with <paramref name="analyzer"/>, or, in an index stemmed per document (<see cref="Bm25Fields"/>), each record with its language's.</summary>
    internal static Bm25Index Analyse(IndexManifest manifest, Analyzer analyzer, IReadOnlyList<IndexRecord> records, Bm25Parameters parameters)
    {
        if (Bm25Fields.IsPerDocument(manifest)) return Bm25Fields.Analyse(records, parameters, manifest.Stemming != Bm25Fields.Unstemmed);
        var docs = new IReadOnlyList<string>[records.Count];
        Parallel.For(0, records.Count, d => docs[d] = analyzer.Analyze(records[d].FullText));
        return new Bm25Index(docs, parameters);
    }

    private static void CheckUnique(IReadOnlyList<IndexRecord> records, IReadOnlyList<IndexRecord> existing)
    {
        var seen = existing.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var r in records)
            if (!seen.Add(r.Id)) throw new EvaluationException($"record id '{r.Id}' occurs twice (ids must be unique in an index)");
    }
}
