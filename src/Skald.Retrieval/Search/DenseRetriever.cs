using Skald.Models.Modules;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Models;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Search;

/// <summary>
/// Dense retrieval with an <see cref="IEmbeddingModel"/>: queries and documents (title + " " + text) embedded with
/// their role prompts, exact top-k by <see cref="ExactSearch"/> under the model's similarity (cosine: vectors
/// normalised, then inner product; dot: raw inner product; Euclidean/Manhattan: the negated distance of the raw vectors,
/// by <see cref="DistanceSearch"/>, as sentence-transformers' <c>model.similarity</c> scores them). With
/// <paramref name="quantization"/> the document vectors are quantized (calibrated on themselves) and searched by
/// <see cref="QuantizedSearch"/> with float queries, as sentence-transformers' quantized semantic search (or, with
/// <see cref="QuantizedSearchOptions.Product"/>, product-quantized with codebooks trained on them and searched by
/// <see cref="PqSearch"/>, as a <c>--pq</c> index answers). With
/// <paramref name="ivf"/> the search is approximate, as an IVF index answers (<c>index build --ivf-lists</c>): lists
/// trained on the corpus's own vectors, each query scanning its nearest lists (<see cref="IvfSearch"/>); with
/// <paramref name="hnsw"/>, as an HNSW index answers (<c>index build --hnsw</c>): the corpus's vectors linked into a
/// graph on one thread (so scores repeat run to run) and walked with the options' ef (<see cref="HnswSearch"/>).
/// A Euclidean or Manhattan model is searched by its distance of the raw vectors throughout: its IVF lists are Euclidean
/// (k-means on L2, probed by the nearest centroids; a Manhattan model's probed rows ranked by L1:
/// <see cref="InvertedLists"/>) and its graph is linked and walked by the distance (<see cref="HnswGraph.Similarity"/>),
/// so probing every list gives the exact search's hits, as does an ef of at least the corpus on a graph whose walk
/// reaches every row. Quantized, in an exact scan (<see cref="QuantizedDistance"/>), the probed lists or the graph walk
/// alike: int8 / uint8 rows by the distance of their dequantized values (<see cref="QuantizedDistanceSearch"/>), PQ codes
/// by distance tables (<see cref="PqSearch.DistanceTopK(SimilarityFunction, IReadOnlyList{float[]}, ProductCodes, int, IReadOnlyList{int}?)"/>;
/// of q − c_list for residual codes in lists), binary / ubinary rows, which keep signs only, propose by the Hamming
/// distance of their sign bits; the rescored page is ranked by the distance of the float embeddings.
/// </summary>
public sealed class DenseRetriever(IEmbeddingModel model, LongDocuments longDocuments = LongDocuments.Truncate,
    QuantizedSearchOptions? quantization = null, IvfOptions? ivf = null, HnswOptions? hnsw = null) : IRetrievalModel, ICandidateScorer
{
    /// <summary>The embedding model.</summary>
    public IEmbeddingModel Model { get; } = Checked(model, quantization);

    /// <inheritdoc/>
    public string Name => Model.Name;

    /// <inheritdoc/>
    /// <remarks>The same search over the model's view for the task (a new retriever only when the model has one).</remarks>
    public IEvaluationModel ForTask(string taskName, string? taskType) =>
        Model.ForTask(taskName, taskType) is IEmbeddingModel view && !ReferenceEquals(view, Model)
            ? new DenseRetriever(view, longDocuments, quantization, ivf, hnsw) : this;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>(Model.Metadata)
    {
        ["long_documents"] = longDocuments == LongDocuments.Chunk ? "chunk (best chunk)" : "truncate",
        ["search"] = (ivf is not null ? $"IVF top-k ({IvfSettings(ivf)})"
                : hnsw is not null ? $"HNSW top-k (M {hnsw.M}, ef construction {hnsw.EfConstruction}, ef {hnsw.EfSearchOrDefault})" : "exact top-k")
            + ", " + RankedBy
            + (quantization is { Compresses: true } q ? $", {q.Describe()}" : ""),
    };

    /// <summary>
    /// What the search ranks by: the model's similarity (<c>cosine</c>, <c>dot product</c>, <c>euclidean</c>,
    /// <c>manhattan</c>; a distance model under quantization with what the quantized rows give, under IVF with how its
    /// lists were grouped), or the Hamming distance for a distance model's binary rows not rescored.
    /// </summary>
    private string RankedBy => Model.Similarity switch
    {
        SimilarityFunction.Dot => "dot product",
        SimilarityFunction.Cosine => "cosine",
        _ => DistanceRanking + (ivf is not null ? ", in lists by Euclidean k-means, probed by the nearest centroids" : "")
            + (hnsw is not null ? $", the graph linked and walked by {Similarities.Name(Model.Similarity)} distance" : ""),
    };

    /// <summary>A distance model's ranking under <see cref="RankedBy"/>: the distance, of what the quantized rows give.</summary>
    private string DistanceRanking => quantization switch
    {
        { Product: not null } => $"{Similarities.Name(Model.Similarity)} (of the PQ codes' reconstructions, by distance tables)",
        { Precision: var p } when EmbeddingQuantizer.NeedsRanges(p) =>
            $"{Similarities.Name(Model.Similarity)} (of the {EmbeddingQuantizer.Name(p)} rows dequantized, each level at the middle of its values)",
        { Precision: var p, RescoreMultiplier: > 0 } when EmbeddingQuantizer.IsBinary(p) =>
            $"{Similarities.Name(Model.Similarity)} (candidates by the Hamming distance of the {EmbeddingQuantizer.Name(p)} sign bits)",
        { Precision: var p } when EmbeddingQuantizer.IsBinary(p) =>
            $"Hamming distance of the {EmbeddingQuantizer.Name(p)} sign bits (they hold no {Similarities.Name(Model.Similarity)} distance)",
        _ => Similarities.Name(Model.Similarity),
    };

    /// <summary>Whether the model's own distance of the raw vectors ranks (a Euclidean or Manhattan model, in every search); else the inner product of the prepared vectors does.</summary>
    private bool ByDistance => Model.Similarity is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan;

    /// <summary>What the lists and the graph are built by (<see cref="InvertedLists.Similarity"/>): the model's distance, else inner products.</summary>
    private SimilarityFunction IndexSimilarity => ByDistance ? Model.Similarity : SimilarityFunction.Dot;

    /// <summary>
    /// <paramref name="model"/>, refused with one line (<see cref="EvaluationException"/>) when its distance cannot rank
    /// under <paramref name="quantization"/>: binary rows rescored against their own bits (signs hold no distance),
    /// PQ codes with an OPQ rotation that keeps no such distance (<see cref="ProductQuantizer.DistanceRefusal(SimilarityFunction, bool, int, int)"/>).
    /// </summary>
    private static IEmbeddingModel Checked(IEmbeddingModel model, QuantizedSearchOptions? quantization)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Similarity is not (SimilarityFunction.Euclidean or SimilarityFunction.Manhattan) || quantization is null) return model;
        string name = Similarities.Name(model.Similarity);
        if (quantization is { Product: null, RescoreWithFloats: false, RescoreMultiplier: > 0 } && EmbeddingQuantizer.IsBinary(quantization.Precision))
            throw new EvaluationException($"{model.Name}: --rescore-quantized with --precision {EmbeddingQuantizer.Name(quantization.Precision)}: " +
                $"sign bits hold no {name} distance for a {name} model; rescore with the float embeddings (drop --rescore-quantized)");
        if (quantization.Product is { } pq
            && ProductQuantizer.DistanceRefusal(model.Similarity, pq.RotationRounds > 0, pq.CodeDimension(model.Dimension), model.Dimension) is { } refusal)
            throw new EvaluationException($"{model.Name}: {refusal}");
        return model;
    }

    // The lists and probes the last IVF search used (0: none yet): fewer lists than asked when the corpus is smaller.
    private int listsUsed, probesUsed;

    /// <summary>
    /// The IVF settings as the last search used them (the lists asked for are capped at one per document, probes at the
    /// lists), else as asked.
    /// </summary>
    private string IvfSettings(IvfOptions o)
    {
        int lists = listsUsed, probes = probesUsed;
        if (lists == 0)
            return $"{(o.Lists > 0 ? o.Lists + " lists" : "4·√N lists")}, {(o.Probes > 0 ? o.Probes + " probed" : "a sixteenth (at least 8) probed")}";
        string l = o.Lists == 0 ? $"{lists} lists (4·√N)" : lists == o.Lists ? $"{lists} lists" : $"{lists} lists ({o.Lists} asked, at most one per document)";
        string p = o.Probes == 0 ? $"{probes} probed (a sixteenth, at least 8)" : probes == o.Probes ? $"{probes} probed" : $"{probes} probed ({o.Probes} asked, at most every list)";
        return $"{l}, {p}";
    }

    /// <summary>Document vectors, prepared for an inner-product search (normalised unless the similarity is dot).</summary>
    public float[][] EmbedDocuments(IReadOnlyList<string> texts) => Prepare(Model.Embed(texts, TextRole.Document));

    /// <summary>Query vectors, prepared for search.</summary>
    public float[][] EmbedQueries(IReadOnlyList<string> texts) => Prepare(Model.Embed(texts, TextRole.Query));

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        SearchArguments.Check(corpus, queries, topK);
        var tie = TieKeys.For(corpus);
        var q = Vectors(queries, TextRole.Query);
        if (longDocuments == LongDocuments.Truncate)
            return TopK(q, Vectors([.. corpus.Select(d => d.FullText)], TextRole.Document), topK, tie);
        var pieces = new List<string>();
        var owner = new List<int>();
        int maxPieces = 1;
        for (int d = 0; d < corpus.Count; d++)
        {
            var split = Model.SplitToFit(corpus[d].FullText, TextRole.Document);
            maxPieces = Math.Max(maxPieces, split.Count);
            foreach (var p in split) { pieces.Add(p); owner.Add(d); }
        }
        var pieceTie = owner.Select(d => tie[d]).ToArray();
        int k = (int)Math.Min(pieces.Count, (long)Math.Min(topK, corpus.Count) * maxPieces);
        var hits = TopK(q, Vectors(pieces, TextRole.Document), k, pieceTie);
        // A document's first appearance in piece order is its best piece: keep the first topK distinct documents.
        return [.. hits.Select(h =>
        {
            var seen = new HashSet<int>();
            var result = new List<Hit>();
            foreach (var hit in h)
            {
                if (result.Count == topK) break;
                if (seen.Add(owner[hit.Index])) result.Add(new Hit(owner[hit.Index], hit.Score));
            }
            return result.ToArray();
        })];
    }

    /// <summary>
    /// The similarity of each query to each of its candidates (documents embedded once however many queries list them;
    /// long documents truncated).
    /// </summary>
    public float[][] ScoreCandidates(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, string? language)
    {
        var needed = candidates.SelectMany(c => c).Distinct().Order().ToArray();
        var docs = Vectors([.. needed.Select(i => corpus[i].FullText)], TextRole.Document);
        var row = new Dictionary<int, int>(needed.Length);
        for (int i = 0; i < needed.Length; i++) row[needed[i]] = i;
        var q = Vectors(queries, TextRole.Query);
        var f = ByDistance ? Model.Similarity : SimilarityFunction.Dot; // the prepared vectors' inner product, or the raw ones' distance
        return [.. candidates.Select((c, qi) => c.Select(d => Similarities.Compute(f, q[qi], docs[row[d]])).ToArray())];
    }

    /// <summary>
    /// Exact top-k of the float document vectors, or of their quantized form: then, as a search system would answer
    /// for its first page, the best <see cref="QuantizedSearchOptions.RescoredHits"/> come rescored from the best
    /// RescoredHits·multiplier quantized hits, and the rest of the k follow in the quantized order (their scores are
    /// placeholders below the rescored ones that keep that order).
    /// </summary>
    private Hit[][] TopK(float[][] queries, float[][] documents, int k, IReadOnlyList<int> tie)
    {
        if (ByDistance && ivf is null && hnsw is null)
            return quantization is { Compresses: true } q ? QuantizedDistance(queries, documents, k, tie, q) : DistanceSearch.TopK(Model.Similarity, queries, documents, k, tie);
        if (hnsw is not null) return Graph(queries, documents, k, tie);
        if (ivf is null || documents.Length == 0) return TopK(queries, documents, k, tie, null);
        return Inverted(queries, documents, k, tie);
    }

    /// <summary>
    /// A Euclidean or Manhattan model's exact search of quantized raw vectors: the first stage by the model's distance of
    /// the dequantized int8 / uint8 rows or of the PQ codes' reconstructions, or by the Hamming distance of binary rows'
    /// sign bits; its best page rescored, as the inner-product search's is (<see cref="RescoredPage"/>), by the distance
    /// of the float embeddings (int8 / uint8 rescored against their quantized values: the first stage's scores already).
    /// </summary>
    private Hit[][] QuantizedDistance(float[][] queries, float[][] documents, int k, IReadOnlyList<int> tie, QuantizedSearchOptions q)
    {
        if (documents.Length == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        var similarity = Model.Similarity;
        int pool = Math.Max(k, Math.Min(k, q.RescoredHits) * q.RescoreMultiplier);
        if (q.Product is { } product)
        {
            var codes = Codes(documents, product, null);
            return RescoredPage(PqSearch.DistanceTopK(similarity, queries, codes, pool, tie), k, q, ByFloats(queries, documents, tie));
        }
        var quantized = Quantize(documents, q);
        var listed = EmbeddingQuantizer.IsBinary(q.Precision) ? QuantizedSearch.TopK(queries, quantized, pool, 0, tie)
            : QuantizedDistanceSearch.TopK(similarity, queries, quantized, pool, tie);
        return QuantizedPage(listed, k, q, quantized, queries, documents, tie);
    }

    /// <summary>
    /// The page of quantized hits (<paramref name="listed"/>, scored in the first stage) rescored as
    /// <see cref="RescoredPage"/> does: an inner-product search against the quantized values or the float rows; a
    /// distance model's against the float rows' distance (<see cref="QuantizedSearchOptions.RescoreWithFloats"/> off:
    /// int8 / uint8 first-stage scores are the dequantized rows' distance already, kept).
    /// </summary>
    private Hit[][] QuantizedPage(Hit[][] listed, int k, QuantizedSearchOptions q, QuantizedEmbeddings quantized, float[][] queries, float[][] documents,
        IReadOnlyList<int> tie)
    {
        if (!ByDistance)
            return RescoredPage(listed, k, q, (candidates, page) => QuantizedSearch.Rescore(queries, quantized, candidates, page, tie,
                q.RescoreWithFloats ? r => documents[r] : null));
        return q.RescoreWithFloats || EmbeddingQuantizer.IsBinary(q.Precision) ? RescoredPage(listed, k, q, ByFloats(queries, documents, tie))
            : [.. listed.Select(h => h.Take(k).ToArray())];
    }

    /// <summary>The search an IVF index of these documents answers: lists trained on them, each query's nearest probed.</summary>
    private Hit[][] Inverted(float[][] queries, float[][] documents, int k, IReadOnlyList<int> tie)
    {
        // An IVF index's layout: the documents grouped by list, tie keys with them; hits mapped back to the corpus.
        var options = ivf ?? throw new InvalidOperationException("no IVF options");
        var lists = InvertedLists.Train(documents, Math.Min(documents.Length, options.ListsFor(documents.Length)), options.Training, out var order, IndexSimilarity);
        (listsUsed, probesUsed) = (lists.Lists, options.ProbesFor(lists.Lists));
        var hits = TopK(queries, [.. order.Select(i => documents[i])], k, [.. order.Select(i => tie[i])], lists);
        return [.. hits.Select(h => h.Select(x => new Hit(order[x.Index], x.Score)).ToArray())];
    }

    /// <summary>The search over documents in <paramref name="lists"/>' order (null: exact).</summary>
    private Hit[][] TopK(float[][] queries, float[][] documents, int k, IReadOnlyList<int> tie, InvertedLists? lists)
    {
        int probes = lists is null ? 0 : ivf!.ProbesFor(lists.Lists);
        if (quantization is { Product: { } product } pqSearch && documents.Length > 0)
            return ProductSearch(queries, documents, k, tie, lists, probes, product, pqSearch);
        if (quantization is not { Precision: not EmbeddingPrecision.Float32 } q || documents.Length == 0)
        {
            if (lists is null) return ExactSearch.TopK(queries, documents, k, tie);
            int dim = documents[0].Length;
            var flat = new float[checked(documents.Length * dim)];
            for (int i = 0; i < documents.Length; i++) documents[i].CopyTo(flat, i * dim);
            return IvfSearch.TopK(queries, lists, probes, (s, c) => flat.AsSpan(s * dim, c * dim), k, tie);
        }
        QuantizedEmbeddings quantized = Quantize(documents, q);
        // One quantized scan: deep enough for the listed k and for the candidates of the rescored page.
        int pool = Math.Min(k, q.RescoredHits) * q.RescoreMultiplier;
        var listed = lists is null
            ? QuantizedSearch.TopK(queries, quantized, Math.Max(k, pool), 0, tie)
            : IvfSearch.TopK(queries, lists, probes, quantized, Math.Max(k, pool), 0, tie);
        return QuantizedPage(listed, k, q, quantized, queries, documents, tie);
    }

    /// <summary>
    /// The search a product-quantized index of these documents answers: codebooks trained on them (on their residuals
    /// in <paramref name="lists"/>), their codes scored, the first page rescored with their float embeddings.
    /// </summary>
    private Hit[][] ProductSearch(float[][] queries, float[][] documents, int k, IReadOnlyList<int> tie, InvertedLists? lists, int probes,
        ProductQuantizerOptions product, QuantizedSearchOptions q)
    {
        var codes = Codes(documents, product, lists);
        int pool = Math.Max(k, Math.Min(k, q.RescoredHits) * q.RescoreMultiplier);
        var listed = lists is null ? PqSearch.TopK(queries, codes, pool, 0, tie) : PqSearch.TopK(queries, lists, probes, codes, pool, 0, tie);
        return RescoredPage(listed, k, q, ByFloats(queries, documents, tie));
    }

    /// <summary>The documents' codes under codebooks trained on them (on their residuals in <paramref name="lists"/>).</summary>
    private ProductCodes Codes(float[][] documents, ProductQuantizerOptions product, InvertedLists? lists)
    {
        try { return ProductCodes.Encode(ProductQuantizer.Train(documents, product, lists), documents, lists); }
        catch (ArgumentException e) { throw new EvaluationException($"{Model.Name}: {e.Message}"); } // e.g. a width not divisible by M
    }

    /// <summary>Rescoring of candidates against the documents' float embeddings (their inner product, or a distance model's distance).</summary>
    private Func<IReadOnlyList<IReadOnlyList<Hit>>, int, Hit[][]> ByFloats(float[][] queries, float[][] documents, IReadOnlyList<int> tie)
    {
        var similarity = IndexSimilarity;
        return (candidates, page) => QuantizedSearch.RescoreBy(queries.Length, candidates, page, tie,
            (qi, r) => FloatScorer.Pair(similarity, queries[qi], documents[r]));
    }

    private QuantizedEmbeddings Quantize(float[][] documents, QuantizedSearchOptions q)
    {
        try { return EmbeddingQuantizer.Quantize(documents, q.Precision); }
        catch (ArgumentException e) { throw new EvaluationException($"{Model.Name}: {e.Message}"); } // e.g. bits of a width not divisible by 8
    }

    /// <summary>
    /// The k hits of each query from its quantized hits (<paramref name="listed"/>, best first): the first
    /// <see cref="QuantizedSearchOptions.RescoredHits"/> rescored from the best RescoredHits·multiplier, the rest after
    /// them in the quantized order.
    /// </summary>
    private static Hit[][] RescoredPage(Hit[][] listed, int k, QuantizedSearchOptions q,
        Func<IReadOnlyList<IReadOnlyList<Hit>>, int, Hit[][]> rescore)
    {
        int page = Math.Min(k, q.RescoredHits), pool = page * q.RescoreMultiplier;
        if (q.RescoreMultiplier == 0) return [.. listed.Select(h => h.Take(k).ToArray())];
        var head = rescore([.. listed.Select(h => (IReadOnlyList<Hit>)h.Take(pool).ToArray())], page);
        return [.. listed.Select((all, i) =>
        {
            var top = head[i].Select(h => h.Index).ToHashSet();
            float below = head[i].Length == 0 ? 0f : head[i][^1].Score;
            return head[i].Concat(all.Where(h => !top.Contains(h.Index)).Select((h, j) => new Hit(h.Index, below - 1f - j))).Take(k).ToArray();
        })];
    }

    /// <summary>
    /// The search an HNSW index of these documents answers: the graph linked over the float rows and walked with them,
    /// or with quantization over the quantized rows or product-quantized codes (then rescored as the exact quantized
    /// search is).
    /// </summary>
    private Hit[][] Graph(float[][] queries, float[][] documents, int k, IReadOnlyList<int> tie)
    {
        if (ivf is not null) throw new EvaluationException($"{Model.Name}: --hnsw and --ivf-lists are two kinds of approximate index; choose one");
        if (documents.Length == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        var graph = HnswGraph.Build(documents.Length, r => documents[r], hnsw! with { Threads = 1, Similarity = IndexSimilarity });
        int ef = hnsw!.EfSearchOrDefault;
        if (quantization is { Product: { } product } pq)
        {
            int pool = Math.Min(documents.Length, Math.Max(k, Math.Min(k, pq.RescoredHits) * pq.RescoreMultiplier));
            var walked = HnswSearch.TopK(queries, graph, Codes(documents, product, null), pool, ef, 0, tie);
            return RescoredPage(walked, k, pq, ByFloats(queries, documents, tie));
        }
        if (quantization is not { Precision: not EmbeddingPrecision.Float32 } q)
            return HnswSearch.TopK(queries, graph, r => documents[r], Math.Min(k, documents.Length), ef, tie);
        var quantized = Quantize(documents, q);
        int wanted = Math.Min(documents.Length, Math.Max(k, Math.Min(k, q.RescoredHits) * q.RescoreMultiplier));
        var listed = HnswSearch.TopK(queries, graph, quantized, wanted, ef, 0, tie);
        return QuantizedPage(listed, k, q, quantized, queries, documents, tie);
    }

    /// <summary>The vectors the search compares: raw for the model's distance, else prepared for inner products.</summary>
    private float[][] Vectors(IReadOnlyList<string> texts, TextRole role) =>
        ByDistance ? Model.Embed(texts, role) : Prepare(Model.Embed(texts, role));

    private float[][] Prepare(float[][] v) => Model.Similarity == SimilarityFunction.Dot ? v : ExactSearch.Normalize(v);
}
