using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Data.Indexing;
using Skald.Data.Ingest;
using Skald.Distributed;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// <c>skald index build</c>: an index folder (embeddings, BM25, records) over documents or a BEIR corpus. Under mpirun
/// each rank embeds a shard of the records (dense, sparse, a ColBERT model's token vectors, BGE-M3's outputs;
/// <see cref="RankEncoding"/>) and rank 0 writes the index in input order, training PLAID's centroids, if asked for,
/// over the gathered token vectors as one process does.
/// </summary>
internal sealed class IndexBuildCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Embedding model folder or a hub id org/name[@revision]", "DIR|ID", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Index folder to write (replaced when it holds an earlier index)", "DIR", required: true);
    private readonly Option<string> documents = IndexOptions.Documents();
    private readonly Option<string> corpus = IndexOptions.Corpus();
    private readonly Option<string> language = CliOptions.Text("--language", "Language of the documents (nb, nn, da, sv): picks BM25's Snowball stemmer; auto: each document's own (guessed from its text, or a .jsonl row's language field), for mixed collections", "CODE");
    private readonly Option<int?> chunkTokens = CliOptions.Int("--chunk-tokens",
        "Largest chunk, in tokens of the model's tokenizer (default: 200, or fewer when the model reads fewer: its max_seq_length less special tokens and document prompt)");
    private readonly Option<int?> overlapTokens = CliOptions.Int("--overlap-tokens",
        "Trailing sentences up to this many tokens start the next chunk too (default: 32, at most a quarter of the chunk)", min: 0);
    private readonly Option<string> textColumn = CliOptions.Text("--text-column", "The text field of .jsonl documents", "NAME", "text");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Texts per forward pass", defaultValue: 32);
    private readonly OcrOptions ocr = new();
    private readonly Option<int?> maxActiveDims = CliOptions.Int("--max-active-dims",
        "Sparse encoders: keep each row's N largest entries (a CSR model's autoencoder keeps N latents); queries get the same");
    private readonly Option<int?> truncateDim = CliOptions.Int("--truncate-dim",
        "Dense models: keep the first N values of each embedding (a Matryoshka width); queries are cut the same way");
    private readonly Option<string> queryInstruction = CliOptions.Text("--query-instruction",
        "An LLM2Vec model: the instruction its queries are embedded with, recorded in the index for search and serve --index (default: the model's query prompt, saved from a run's data.instruction)", "TEXT");
    private readonly DenseLayoutOptions layoutOptions = new(tokens: true);
    private readonly Option<string> documentsRoot = IndexOptions.DocumentsRoot();
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<bool> plaid = CliOptions.Flag("--plaid",
        "ColBERT models (and --bge-m3 with colbert): a PLAID index (ColBERTv2's centroids and residual codes: ~14x smaller token files at 2 bits; searched through centroid candidates, approximate)");
    private readonly Option<int?> plaidBits = CliOptions.Int("--plaid-nbits", "With --plaid: bits per residual value, 1, 2 or 4 (default 2)", max: 4);
    private readonly Option<int?> plaidCentroids = CliOptions.Int("--plaid-centroids",
        "With --plaid: k-means centroids (default: ColBERTv2's 2^floor(log2(16 * sqrt(token vectors))))");
    private readonly Option<int?> poolFactor = CliOptions.Int("--pool-factor",
        "ColBERT models: pool each chunk's document token vectors to about 1/N of them (PyLate's hierarchical pooling: Ward clusters, their means); default 1, none");
    private readonly Option<string> bgeM3 = BgeM3Options.Outputs(
        "BGE-M3 folders: store the dense vectors, the sparse (lexical) weights, the colbert vectors, any comma list of them (dense,sparse), or all three, " +
        "from one pass per chunk; search combines them (search --bge-m3-weights; default without the option: a dense index of the dense model)");

    public IndexBuildCommand() : base("build", "Build a search index over documents (chunked) or a BEIR corpus: embeddings, BM25 and metadata")
    {
        foreach (var o in new Option[] { model, output, documents, corpus, documentsRoot, language, chunkTokens, overlapTokens, textColumn, batchSize, maxActiveDims, truncateDim, bgeM3, queryInstruction, float32Matmul }) Options.Add(o);
        foreach (var o in new Option[] { plaid, plaidBits, plaidCentroids, poolFactor }) Options.Add(o);
        foreach (var o in ocr.All) Options.Add(o);
        foreach (var o in layoutOptions.All) Options.Add(o);
        SetAction(Run);
    }

    private const string NotLlm2Vec = "--query-instruction is for an LLM2Vec --model (llm2vec_config.json); a sentence-transformers model's query prompt is used by itself";

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        var layout = layoutOptions.Of(p);
        CliOptions.StemmingLanguage(p.GetValue(language), perDocument: true);
        try
        {
            IndexWriter.CheckTarget(p.GetValue(output)!); // before the model loads and the documents embed
            using var cased = IndexSources.PathCase(p.GetValue(documents), p.GetValue(corpus), p.GetValue(documentsRoot));
            string root = IndexSources.Root(p.GetValue(documents), p.GetValue(corpus), null, p.GetValue(documentsRoot));
            OutputPath.NotHoldingAnInputOf("--output", p.GetValue(output)!, [.. CliOptions.Items(p.GetValue(documents)), p.GetValue(corpus)]);
            string dir = IndexOptions.ModelFolder(p.GetValue(model)!, quiet);
            if ((p.GetValue(plaidBits) is not null || p.GetValue(plaidCentroids) is not null) && !p.GetValue(plaid))
                throw new UsageException($"{(p.GetValue(plaidBits) is not null ? "--plaid-nbits" : "--plaid-centroids")} applies with --plaid");
            if (p.GetValue(plaid) && p.GetValue(bgeM3) is null && !MultiVectorEmbeddingModel.IsMultiVector(dir))
                throw new UsageException($"--plaid is for a late-interaction (ColBERT / PyLate) model's index or a BGE-M3 index's ColBERT vectors (--bge-m3 ...colbert); {dir} makes one vector a text");
            if (p.GetValue(poolFactor) is not null && (p.GetValue(bgeM3) is not null || !MultiVectorEmbeddingModel.IsMultiVector(dir)))
                throw new UsageException($"--pool-factor is for a late-interaction (ColBERT / PyLate) model's index; {dir} {(p.GetValue(bgeM3) is not null ? "is indexed with --bge-m3" : "makes one vector a text")}");
            if (p.GetValue(queryInstruction) is not null && (p.GetValue(bgeM3) is not null || MultiVectorEmbeddingModel.IsMultiVector(dir)))
                throw new UsageException(NotLlm2Vec);
            if (p.GetValue(bgeM3) is { } outputs) return BuildBgeM3(p, dir, root, layout, outputs, quiet);
            if (MultiVectorEmbeddingModel.IsMultiVector(dir)) return BuildLateInteraction(p, dir, root, layout, quiet);
            layoutOptions.RefuseFloat16(p, dir);
            using var embedder = EvaluationEmbeddingModel.Load(dir, new EvaluationEmbeddingOptions
            {
                BatchSize = p.GetValue(batchSize) ?? 32, MaxActiveDims = p.GetValue(maxActiveDims), TruncateDim = p.GetValue(truncateDim),
                QueryPrompt = p.GetValue(queryInstruction),
            });
            Float32MatmulOption.Apply(embedder.Encoder, p.GetValue(float32Matmul), quiet);
            bool llm2vec = embedder.Encoder.Folder.Llm2Vec is not null;
            if (p.GetValue(queryInstruction) is not null && !llm2vec) throw new UsageException(NotLlm2Vec);
            var (chunk, overlap, note) = IndexOptions.Chunking(embedder, p.GetValue(chunkTokens), p.GetValue(overlapTokens));
            var chunking = new ChunkOptions { ChunkTokens = chunk, OverlapTokens = overlap, Counter = TokenCounter.For(embedder.Encoder.Tokenizer, dir) };
            var (records, noText, unreadable) = IndexSources.Read(p.GetValue(documents), p.GetValue(corpus), chunking, p.GetValue(textColumn)!, ocr.From(p), m => Terminal.Log(m, quiet), root, p.GetValue(output), p.GetValue(language) == Bm25Fields.PerDocument);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            IEmbeddingModel vectors = embedder;
            var progress = IndexOptions.Progress(quiet);
            if (Cli.World.Size > 1)
            {
                vectors = EmbedAcrossRanks(Cli.World, embedder, records, progress);
                Terminal.Log($"embedded {Counted.Of(records.Count, "row")} on {Counted.Of(Cli.World.Size, "rank")}", quiet);
                if (Cli.World.Rank != 0) return 0; // rank 0 writes the index
                progress = null;
            }
            var manifest = IndexBuilder.Build(p.GetValue(output)!, vectors, dir, records, new Bm25Options(), p.GetValue(language),
                p.GetValue(corpus) is null ? chunk : 0, p.GetValue(corpus) is null ? overlap : 0, progress, layout.Precision, layout.Ivf, layout.Hnsw, IndexOptions.Linking(quiet), p.GetValue(maxActiveDims) ?? 0,
                p.GetValue(truncateDim) ?? 0, layout.Pq, root, queryInstruction: llm2vec ? embedder.PromptFor(TextRole.Query) : null, reading: Reading(p), noText: noText, unreadable: unreadable);
            if (p.GetValue(corpus) is not null) note = IndexOptions.LongRows(embedder, records);
            if (note is not null) Terminal.Log(note, quiet); // after the checks, which fail in one line
            Terminal.Log($"indexed {Counted.Of(manifest.Rows, "row")} of {Counted.Of(records.Select(r => r.Document).Distinct().Count(), "document")} with {manifest.ModelName} " +
                $"({IndexOptions.Layout(manifest)}; BM25 stemming: {IndexOptions.Stemming(manifest)}) in {clock.Elapsed.TotalSeconds:F1} s → {p.GetValue(output)}", quiet);
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>
    /// An index of a late-interaction model's token vectors (<see cref="MultiVectorEmbeddingModel"/>): chunks fit its
    /// document_length; token vectors stored in <c>--precision</c> float32, float16 or int8; no other layout options,
    /// Matryoshka cut or sparse settings (one line each). Under mpirun each rank encodes its shard.
    /// </summary>
    private int BuildLateInteraction(ParseResult p, string dir, string root, Skald.Retrieval.Index.DenseLayout layout, bool quiet)
    {
        var tokenPrecision = layoutOptions.TokensOf(p, dir);
        Skald.Retrieval.Plaid.PlaidOptions? plaidOptions = null;
        if (p.GetValue(plaid))
        {
            if (tokenPrecision != TokenPrecision.Float32) throw new UsageException("--plaid and --precision are two ways to store the token vectors; choose one");
            tokenPrecision = TokenPrecision.Plaid;
            plaidOptions = new Skald.Retrieval.Plaid.PlaidOptions { Bits = p.GetValue(plaidBits) ?? 2, Centroids = p.GetValue(plaidCentroids) ?? 0 };
        }
        layout = layout with { Precision = Skald.Retrieval.Quantization.EmbeddingPrecision.Float32 }; // an int8 --precision is the token vectors' one
        if (p.GetValue(maxActiveDims) is not null) throw new UsageException($"--max-active-dims is for sparse encoders (SPLADE, CSR); {dir} is a late-interaction (ColBERT) model");
        using var embedder = MultiVectorEmbeddingModel.Load(dir, p.GetValue(batchSize) ?? 32, p.GetValue(poolFactor) ?? 1);
        Float32MatmulOption.Apply(embedder.Encoder, p.GetValue(float32Matmul), quiet);
        var (chunk, overlap, note) = IndexOptions.Chunking(embedder.Encoder, p.GetValue(chunkTokens), p.GetValue(overlapTokens));
        var chunking = new ChunkOptions { ChunkTokens = chunk, OverlapTokens = overlap, Counter = TokenCounter.For(embedder.Encoder.Tokenizer, dir) };
        var (records, noText, unreadable) = IndexSources.Read(p.GetValue(documents), p.GetValue(corpus), chunking, p.GetValue(textColumn)!, ocr.From(p), m => Terminal.Log(m, quiet), root, p.GetValue(output), p.GetValue(language) == Bm25Fields.PerDocument);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool whole = p.GetValue(corpus) is not null;
        var model = embedder;
        var progress = IndexOptions.Progress(quiet);
        if (Cli.World.Size > 1)
        {
            var texts = records.Select(r => r.FullText).ToList();
            var local = RankEncoding.EncodeShard(Cli.World, texts, b => embedder.Encode(b, TextRole.Document), progress);
            model = embedder.WithDocuments(texts, RankEncoding.Gather(Cli.World, local, texts.Count, embedder.Dimension));
            Terminal.Log($"embedded {Counted.Of(records.Count, "row")} on {Counted.Of(Cli.World.Size, "rank")}", quiet);
            if (Cli.World.Rank != 0) return 0; // rank 0 writes the index
            progress = null;
        }
        var manifest = IndexBuilder.Build(p.GetValue(output)!, model, dir, records, new Bm25Options(), p.GetValue(language), whole ? 0 : chunk, whole ? 0 : overlap,
            progress, layout.Precision, layout.Ivf, layout.Hnsw, null, 0, p.GetValue(truncateDim) ?? 0, layout.Pq, root, tokenPrecision: tokenPrecision, plaid: plaidOptions, reading: Reading(p), noText: noText, unreadable: unreadable);
        if (note is not null && !whole) Terminal.Log(note, quiet);
        Terminal.Log($"indexed {Counted.Of(manifest.Rows, "row")} of {Counted.Of(records.Select(r => r.Document).Distinct().Count(), "document")} with {manifest.ModelName} " +
            $"({IndexOptions.Layout(manifest)}; BM25 stemming: {IndexOptions.Stemming(manifest)}) in {clock.Elapsed.TotalSeconds:F1} s → {p.GetValue(output)}", quiet);
        return 0;
    }

    /// <summary>
    /// A BGE-M3 index (<see cref="BgeM3EmbeddingModel"/>): the chosen outputs of every chunk from one pass, chunks that fit
    /// max_seq_length; no layout options, Matryoshka cut or sparse settings (one line each). Under mpirun each rank
    /// encodes its shard.
    /// </summary>
    private int BuildBgeM3(ParseResult p, string dir, string root, Skald.Retrieval.Index.DenseLayout layout, string outputs, bool quiet)
    {
        if (!BgeM3EmbeddingModel.IsBgeM3(dir)) throw new UsageException($"--bge-m3 is for BGE-M3 folders ({dir} has no sparse_linear.pt or colbert_linear.pt)");
        if ((p.GetValue(truncateDim) is not null ? "--truncate-dim" : p.GetValue(maxActiveDims) is not null ? "--max-active-dims" : null) is { } setting)
            throw new UsageException($"{setting} does not apply with --bge-m3 (a BGE-M3 index scores its stored outputs exactly)");
        using var embedder = BgeM3EmbeddingModel.Load(dir, BgeM3Options.ParseOutputs(outputs), p.GetValue(batchSize) ?? 32);
        Float32MatmulOption.Apply(embedder.Encoder, p.GetValue(float32Matmul), quiet);
        var (chunk, overlap, note) = IndexOptions.Chunking(embedder, p.GetValue(chunkTokens), p.GetValue(overlapTokens));
        var chunking = new ChunkOptions { ChunkTokens = chunk, OverlapTokens = overlap, Counter = TokenCounter.For(embedder.Encoder.Tokenizer, dir) };
        var (records, noText, unreadable) = IndexSources.Read(p.GetValue(documents), p.GetValue(corpus), chunking, p.GetValue(textColumn)!, ocr.From(p), m => Terminal.Log(m, quiet), root, p.GetValue(output), p.GetValue(language) == Bm25Fields.PerDocument);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool whole = p.GetValue(corpus) is not null;
        var model = embedder;
        var progress = IndexOptions.Progress(quiet);
        if (Cli.World.Size > 1)
        {
            var texts = records.Select(r => r.FullText).ToList();
            var local = RankEncoding.EncodeShard(Cli.World, texts, b => embedder.Encode(b, TextRole.Document), progress);
            model = embedder.WithDocuments(texts, RankEncoding.Gather(Cli.World, local, texts.Count, embedder.Outputs, embedder.Dimension, embedder.Encoder.ColbertDimension));
            Terminal.Log($"embedded {Counted.Of(records.Count, "row")} on {Counted.Of(Cli.World.Size, "rank")}", quiet);
            if (Cli.World.Rank != 0) return 0; // rank 0 writes the index
            progress = null;
        }
        var manifest = IndexBuilder.Build(p.GetValue(output)!, model, dir, records, new Bm25Options(), p.GetValue(language), whole ? 0 : chunk, whole ? 0 : overlap,
            progress, layout.Precision, layout.Ivf, layout.Hnsw, pq: layout.Pq, documentsRoot: root, // the layout options: refused in one line
            tokenPrecision: p.GetValue(plaid) ? TokenPrecision.Plaid : TokenPrecision.Float32,
            plaid: p.GetValue(plaid) ? new Skald.Retrieval.Plaid.PlaidOptions { Bits = p.GetValue(plaidBits) ?? 2, Centroids = p.GetValue(plaidCentroids) ?? 0 } : null,
            reading: Reading(p), noText: noText, unreadable: unreadable);
        if (note is not null && !whole) Terminal.Log(note, quiet);
        Terminal.Log($"indexed {Counted.Of(manifest.Rows, "row")} of {Counted.Of(records.Select(r => r.Document).Distinct().Count(), "document")} with {manifest.ModelName} " +
            $"({IndexOptions.Layout(manifest)}; BM25 stemming: {IndexOptions.Stemming(manifest)}) in {clock.Elapsed.TotalSeconds:F1} s → {p.GetValue(output)}", quiet);
        return 0;
    }

    /// <summary>
    /// Under mpirun: each rank embeds its <see cref="Shard"/> of the records (as documents, in batches of
    /// <see cref="IndexBuilder.EmbedBatch"/>), the blocks are gathered in input order, and the index is built from them.
    /// </summary>
    private static PrecomputedEmbeddings EmbedAcrossRanks(ICommunicator world, IEmbeddingModel embedder, IReadOnlyList<IndexRecord> records,
        Action<int, int>? progress)
    {
        var texts = records.Select(r => r.FullText).ToList();
        var local = RankEncoding.EncodeShard(world, texts, b => embedder.Embed(b, TextRole.Document), progress);
        return new PrecomputedEmbeddings(embedder, texts, RowGather.Gather(world, local, texts.Count, embedder.Dimension));
    }

    /// <summary>The reading settings recorded for --documents (index.json's <c>reading</c>, which a sync reads files by); none for a --corpus.</summary>
    private IReadOnlyDictionary<string, string>? Reading(ParseResult p) =>
        p.GetValue(corpus) is null ? DocumentIndex.Reading(IndexSources.Options(p.GetValue(textColumn)!, ocr.From(p), _ => { })) : null;
}
