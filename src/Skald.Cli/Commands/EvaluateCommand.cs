using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Evaluation;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Hub;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;
using Skald.Retrieval.Remote;
using Skald.Retrieval.Search;

namespace Skald.Cli.Commands;

/// <summary><c>skald evaluate</c>: one model (or BM25) on one task, or an embedding model or a cross-encoder on NanoBEIR (--nanobeir), results as MTEB-style JSON.</summary>
internal sealed partial class EvaluateCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Model folder, bm25, hybrid:DIR (BM25 + the model's dense retrieval, fused; also hybrid-rrf:DIR, hybrid-convex-0.3:DIR, hybrid-rerank:DIR), a cross-encoder folder (it scores a reranking task's candidates; with --rerank any first stage), a PyLate ColBERT folder (exact MaxSim over the corpus), a BGE-M3 folder (with --bge-m3: its sparse, colbert or combined score), or openai:URL#MODEL (an OpenAI-compatible embeddings API); for --type generation a decoder that answers the task's prompts", "DIR|bm25|hybrid:DIR|openai:URL#MODEL");
    private readonly Option<string> task = CliOptions.Text("--task", "Task folder or file (BEIR folder for retrieval, with top_ranked for reranking; a JSONL/Parquet file of rows listing each query's documents is reranking too; JSONL/CSV for the others), or a hub dataset id org/name[@rev][:split]", "PATH|ID");
    private readonly Option<string> nanobeir = new("--nanobeir")
    {
        Description = "Instead of --task: sentence-transformers' NanoBEIR evaluation of an embedding model over these datasets (comma-separated: climatefever, dbpedia, fever, fiqa2018, hotpotqa, msmarco, nfcorpus, nq, quoraretrieval, scidocs, arguana, scifact, touche2020; default all), fetched from the hub (zeta-alpha-ai/Nano...); with a cross-encoder as --model, its CrossEncoderNanoBEIREvaluator: each query's first --rerank-candidates BM25 documents reranked (default all but arguana and touche2020)",
        HelpName = "NAMES",
        Arity = ArgumentArity.ZeroOrOne,
    };
    private readonly Option<string> type = CliOptions.OptionalChoice("--type",
        "Task type (default: guessed from the task's files)", "retrieval", "sts", "pairs", "triplets", "classification", "clustering", "bitext", "reranking", "mse", "paraphrase-mining", "generation");
    private readonly Option<string> teacher = CliOptions.Text("--teacher", "--type mse: the teacher model (folder or hub id) that embeds the task's sources; --model, the student, embeds its targets", "DIR|ID");
    private readonly Option<bool> transitiveClosure = CliOptions.Flag("--add-transitive-closure",
        "--type paraphrase-mining: every two texts joined by a chain of duplicates count as duplicates too (sentence-transformers' add_transitive_closure)");
    private readonly Option<string> output = CliOptions.Text("--output", "Write the MTEB-style results JSON here (default: stdout)", "FILE");
    private readonly Option<string> name = CliOptions.Text("--name", "Task name in the results (default: the folder or file name)", "NAME");
    private readonly Option<string> language = CliOptions.Text("--language", "Language code recorded in the results (e.g. nb, da, sv), which BM25 stems with; auto: BM25 stems each document in its own language, as skald index build --language auto", "CODE");
    private readonly Option<string> split = CliOptions.Text("--split", "Retrieval split (qrels/SPLIT.tsv)", "SPLIT", "test");
    private readonly Option<int?> limit = CliOptions.Int("--limit", "Use at most N examples: a seeded random sample of N queries of a retrieval task, or of N rows of a classification, clustering, STS or pairs task (such files are often sorted by label or topic)");
    private readonly Option<bool> chunk = CliOptions.Flag("--chunk", "Split long documents into chunks instead of truncating them (retrieval)");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Texts per forward pass", defaultValue: 32);
    private readonly Option<int?> maxLength = CliOptions.Int("--max-length", "Truncate texts to N tokens (default: the model's max_seq_length)");
    private readonly Option<string> nanobeirDataset = CliOptions.Text("--nanobeir-dataset",
        "With --nanobeir: read the datasets from this hub dataset in sentence-transformers' single-repo layout (corpus, queries and qrels subsets, one split per dataset named NanoMSMARCO, ...), e.g. sentence-transformers/NanoBEIR-en or a translated set such as lightonai/NanoBEIR-de; default: Zeta Alpha's repository per dataset",
        "ID");
    private readonly Option<string[]> nanobeirQueryPrompt = new("--nanobeir-query-prompt")
    {
        Description = "With --nanobeir: this dataset's query prompt, as NAME=TEXT (e.g. msmarco=\"query: \"); repeatable, upstream's query_prompts dict; a dataset without one takes --query-prompt, and without that either is an error, as upstream",
        HelpName = "NAME=TEXT",
    };
    private readonly Option<string[]> nanobeirCorpusPrompt = new("--nanobeir-corpus-prompt")
    {
        Description = "With --nanobeir: this dataset's document prompt, as NAME=TEXT (e.g. msmarco=\"passage: \"); repeatable, upstream's corpus_prompts dict; a dataset without one takes --document-prompt, and without that either is an error, as upstream",
        HelpName = "NAME=TEXT",
    };
    private readonly Option<string> queryPrompt = CliOptions.Text("--query-prompt", "Prepend this text to queries (e.g. \"query: \"); for an LLM2Vec model, the queries' instruction", "TEXT");
    private readonly Option<string> documentPrompt = CliOptions.Text("--document-prompt", "Prepend this text to documents (e.g. \"passage: \")", "TEXT");
    private readonly Option<int?> maxActiveDims = CliOptions.Int("--max-active-dims",
        "Sparse encoders: keep the N largest entries of each embedding (a CSR model's autoencoder keeps N latents), as sentence-transformers' max_active_dims");
    private readonly Option<int?> truncateDim = CliOptions.Int("--truncate-dim",
        "Keep the first N values of each embedding (sentence-transformers' truncate_dim: a Matryoshka model at a smaller width)");
    private readonly Option<string> cache = CliOptions.Text("--cache", "Folder caching document embeddings between runs", "DIR");
    private readonly Option<double?> k1 = CliOptions.Number("--k1", "BM25 term-frequency saturation k1", v => v >= 0, "a non-negative number");
    private readonly Option<double?> b = CliOptions.Number("--b", "BM25 length normalisation b", v => v >= 0, "a non-negative number");
    private readonly Option<bool> noStem = CliOptions.Flag("--no-stem", "BM25 without Snowball stemming");
    private readonly GenerationEvaluation generation = new();
    private readonly RemoteModels remote = new();
    private OpenAiEmbeddingClient? remoteClient;
    private RemoteDrain? drain; // Ctrl-C while a remote model embeds (into --cache, or nothing saved without it)
    private readonly Option<string> fusion = CliOptions.OptionalChoice("--fusion",
        "hybrid: reciprocal-rank fusion, convex combination of normalised scores, or BM25's top 100 re-ranked by the dense score (default: convex, z-score, alpha 0.3; measured, see README)", "rrf", "convex", "rerank");
    private readonly Option<double?> alpha = CliOptions.Number("--alpha", "hybrid convex: weight of the dense score (1: dense only, 0: BM25 only) [default: 0.3]", v => v is >= 0 and <= 1, "a number in [0, 1]");
    private readonly Option<string> quantize = QuantizeOption.Create();
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<string> normalization = CliOptions.OptionalChoice("--normalization", "hybrid convex: score normalisation per side (default: zscore)", "minmax", "zscore");
    private readonly Option<string> rerank = CliOptions.Text("--rerank",
        "Retrieval: a cross-encoder (reranker folder or hub id) reorders --model's top --rerank-candidates per query (two-stage retrieval)", "DIR|ID");
    private readonly Option<int?> rerankCandidates = CliOptions.Int("--rerank-candidates", "With --rerank: first-stage hits reranked per query; with --nanobeir and a cross-encoder, BM25's (sentence-transformers' rerank_k)", defaultValue: 100);
    private readonly Option<int?> atK = CliOptions.Int("--at-k",
        "With --nanobeir and a cross-encoder: the cut-off of MRR and nDCG (sentence-transformers' at_k; keys NanoMSMARCO_R100_mrr@K, ..., main NanoBEIR_R100_mean_ndcg@K)", defaultValue: 10, helpName: "K");
    private readonly Option<string> alwaysRerankPositives = CliOptions.Choice("--always-rerank-positives",
        "With --nanobeir and a cross-encoder: true reranks each query's relevant documents BM25 missed too (sentence-transformers' always_rerank_positives; the best score is 1); false only BM25's --rerank-candidates, the relevant ones among them counting, as a real first stage (a query whose list holds none scores 0)",
        "true", "true", "false");
    private readonly IvfCommandOptions ivf = new("Retrieval tasks: search as an IVF index would");
    private readonly HnswCommandOptions hnsw = new("Retrieval tasks: search as an HNSW index would");
    private readonly PrecisionOptions precision = new("Retrieval: search the documents' embeddings", rescoring: true);
    private readonly Option<string> bgeM3 = CliOptions.OptionalChoice("--bge-m3",
        "BGE-M3 folders: retrieve by the dense, sparse (lexical) or colbert score, or all three weighted (--bge-m3-weights), exactly over the corpus (default without the option: the dense model)",
        "dense", "sparse", "colbert", "all");
    private readonly Option<string> bgeM3Weights = BgeM3Options.Weights("with --bge-m3 all,");
    private readonly Option<bool> rerankCausalLm = CliOptions.Flag("--rerank-causal-lm", "The --rerank model is a causal LM that answers yes or no (Qwen3-Reranker as published; as skald rerank --causal-lm)");

    public EvaluateCommand() : base("evaluate", "Evaluate one model (or BM25) on one task; MTEB-style results JSON")
    {
        foreach (var o in new Option[] { model, task, nanobeir, nanobeirDataset, nanobeirQueryPrompt, nanobeirCorpusPrompt, type, teacher, transitiveClosure, output, name, language, split, limit, chunk, batchSize, maxLength, queryPrompt, documentPrompt, maxActiveDims, truncateDim, cache, k1, b, noStem, fusion, alpha, normalization, quantize, float32Matmul, rerank, rerankCandidates, atK, alwaysRerankPositives, rerankCausalLm, bgeM3, bgeM3Weights })
            Options.Add(o);
        foreach (var o in precision.All) Options.Add(o);
        foreach (var o in ivf.All) Options.Add(o);
        foreach (var o in hnsw.All) Options.Add(o);
        foreach (var o in generation.Options) Options.Add(o);
        foreach (var o in remote.All) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string? outputPath = p.GetValue(output);
        if (outputPath is not null)
        {
            OutputPath.NotAnInput(outputPath, p.GetValue(task));
            if (p.GetValue(model) is { } m && Directory.Exists(m)) OutputPath.NotAFileOf("--output", outputPath, [m]);
            AtomicFile.CheckWritable(outputPath); // before the task is encoded, not after
        }
        OptionsOfItsType(p);
        bool nano = p.GetResult(nanobeir) is { Implicit: false };
        foreach (var o in new Option[] { nanobeirDataset, nanobeirQueryPrompt, nanobeirCorpusPrompt, atK, alwaysRerankPositives })
        {
            if (!nano && p.GetResult(o) is { Implicit: false }) throw new UsageException($"{o.Name} goes with --nanobeir");
        }
        if (p.GetValue(task) is null && !nano) throw new UsageException("'evaluate' needs --task (or --nanobeir; see 'skald evaluate --help')");
        if (p.GetValue(type) == "generation") return generation.Run(p, p.GetValue(task)!, outputPath, p.GetValue(model), p.GetValue(batchSize) ?? 8, p.GetValue(quantize));
        if (p.GetValue(model) is null) throw new UsageException("'evaluate' needs --model (see 'skald evaluate --help')");
        if (nano) return NanoBeir(p, outputPath);
        try
        {
            string taskPath = HubModels.Task(p.GetValue(task)!, p.GetValue(split) ?? "test", p.GetValue(CliOptions.Quiet));
            var definition = TaskDefinition.FromPath(taskPath, p.GetValue(type) is { } t ? TaskDefinition.ParseKind(t) : null,
                p.GetValue(name), p.GetValue(language), p.GetValue(limit));
            if (p.GetValue(transitiveClosure))
            {
                if (definition.Kind != TaskKind.ParaphraseMining)
                    throw new UsageException($"--add-transitive-closure applies to --type paraphrase-mining; this task is {definition.TypeName}");
                definition = definition with { AddTransitiveClosure = true };
            }
            var retrieval = new RetrievalOptions
            {
                Split = p.GetValue(split) ?? "test",
                LongDocuments = p.GetValue(chunk) ? LongDocuments.Chunk : LongDocuments.Truncate,
                Quantization = precision.Search(p),
                Ivf = ivf.Of(p),
                Hnsw = hnsw.Of(p),
            };
            if (retrieval.Ivf is not null && retrieval.Hnsw is not null) throw new UsageException("--hnsw and --ivf-lists are two kinds of approximate index; choose one");
            if (retrieval.Quantization is not null && definition.Kind != TaskKind.Retrieval)
                throw new UsageException($"{Named(retrieval.Quantization)} applies to retrieval tasks; this one is {definition.Kind.ToString().ToLowerInvariant()}");
            if (retrieval.ApproximateOption is { } approximate && definition.Kind != TaskKind.Retrieval)
                throw new UsageException($"{approximate} applies to retrieval tasks; this one is {definition.Kind.ToString().ToLowerInvariant()}");
            using var loaded = new LoadedModels(); // the models the evaluation loads, disposed when it is done or fails
            using var ctrlC = drain = new RemoteDrain(p.GetValue(cache));
            TaskResult? result;
            try
            {
                result = TaskEvaluator.Create(definition, retrieval, Teacher(p, definition, loaded)).Evaluate(WithReranker(p, retrieval, loaded));
            }
            catch (OperationCanceledException) when (ctrlC.Requested)
            {
                result = null;
            }
            if (result is null || ctrlC.Requested) // (stopped in its last request, it may have finished: still stopped)
            {
                Console.Error.WriteLine(ctrlC.Interrupted(outputPath));
                return 130;
            }
            return Written(p, result, outputPath);
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>Writes the result (to --output or stdout) and logs its main score.</summary>
    private int Written(ParseResult p, TaskResult result, string? outputPath)
    {
        string json = result.ToJson();
        if (outputPath is null) Console.WriteLine(json);
        else AtomicFile.Write(outputPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
        string score = double.IsFinite(result.MainScore)
            ? result.MainScore.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)
            : $"undefined ({(result.Metadata.TryGetValue("note", out var why) ? why : "not a number")})";
        Terminal.Log($"{result.Task} ({result.Type}, {result.Model}): {result.MainMetric} = {score} in {result.Seconds:F1} s",
            p.GetValue(CliOptions.Quiet));
        if (remoteClient is not null) Terminal.Log(RemoteModels.Usage(remoteClient), p.GetValue(CliOptions.Quiet));
        return 0;
    }

    /// <summary>
    /// Refuses an option given for the other kind of evaluation (--limit, --rerank, ... with --type generation;
    /// --predictions, --metrics, ... without it): it would be ignored, and the run would not be the one asked for.
    /// </summary>
    private void OptionsOfItsType(ParseResult p)
    {
        bool generating = p.GetValue(type) == "generation";
        var shared = new HashSet<Option>([model, task, type, output, batchSize, quantize]);
        var ofGeneration = generation.Options.ToHashSet();
        foreach (var o in Options)
        {
            if (shared.Contains(o) || generating == ofGeneration.Contains(o) || p.GetResult(o) is not { Implicit: false }) continue;
            // an embedding model's adapters load from their folder: the last one given as --model brings its base and earlier ones
            string embedding = o == generation.Adapters
                ? "; an embedding model's LoRA adapters: give the last adapter folder as --model (it loads onto its base and earlier adapters) or merge them (skald merge)"
                : "";
            throw new UsageException(generating ? $"{o.Name} does not apply to --type generation" : $"{o.Name} applies to --type generation only{embedding}");
        }
    }

    /// <summary>
    /// --teacher for an mse task (loaded as an embedding model with --batch-size, --max-length and --truncate-dim: upstream's
    /// MSEEvaluator truncates the teacher's embeddings as the student's), else null; refused for other kinds.
    /// </summary>
    private EvaluationEmbeddingModel? Teacher(ParseResult p, TaskDefinition definition, LoadedModels loaded)
    {
        if (p.GetValue(teacher) is not { } spec) return null;
        if (definition.Kind != TaskKind.Mse) throw new UsageException($"--teacher applies to --type mse; this task is {definition.TypeName}");
        string dir = HubModels.Resolve(spec, p.GetValue(CliOptions.Quiet));
        if (!Directory.Exists(dir)) throw new InputException(Skald.Models.Modules.ModelFolder.NotFound(dir));
        var options = new EvaluationEmbeddingOptions { BatchSize = p.GetValue(batchSize) ?? 32, MaxLength = p.GetValue(maxLength), TruncateDim = p.GetValue(truncateDim) };
        return loaded.Own(EvaluationEmbeddingModel.Load(dir, options));
    }

    /// <summary>
    /// A cross-encoder given as --model (it scores a reranking task's candidates), or --model's retrieval reranked by the
    /// --rerank cross-encoder, or --model as it is.
    /// </summary>
    private IEvaluationModel WithReranker(ParseResult p, RetrievalOptions retrieval, LoadedModels loaded)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        var ceOptions = new CrossEncoderOptions { BatchSize = p.GetValue(batchSize) ?? 32 };
        string spec = p.GetValue(model)!;
        string local = Directory.Exists(spec) ? spec : HubId.TryParse(spec) is not null ? HubModels.Resolve(spec, quiet) : spec;
        if (Directory.Exists(local) && CrossEncoder.IsCrossEncoder(local))
        {
            if (p.GetValue(rerank) is not null) throw new UsageException("--model is a cross-encoder already; --rerank takes the cross-encoder when --model is the first stage");
            if (retrieval.Quantization is not null) throw new UsageException($"{Named(retrieval.Quantization)} applies to embedding models, not to a cross-encoder");
            if (retrieval.ApproximateOption is { } approximate) throw new UsageException($"{approximate} applies to embedding models, not to a cross-encoder");
            return new CrossEncoderRetriever(QuantizeOption.Apply(Float32MatmulOption.Apply(loaded.Own(Rerankers.Load(local, quiet)), p.GetValue(float32Matmul), quiet), p.GetValue(quantize), quiet), options: ceOptions);
        }
        if (p.GetValue(rerankCausalLm) && p.GetValue(rerank) is null) throw new UsageException("--rerank-causal-lm needs --rerank DIR");
        if (p.GetValue(bgeM3Weights) is not null && p.GetValue(bgeM3) != "all") throw new UsageException("--bge-m3-weights applies with --bge-m3 all");
        var first = Directory.Exists(local) && ColbertEncoder.IsColbert(local) ? LateInteraction(p, retrieval, local, loaded)
            : p.GetValue(bgeM3) is { } mode ? BgeM3(p, retrieval, local, mode, loaded)
            : CreateModel(p, retrieval, loaded);
        if (p.GetValue(rerank) is not { } reranker) return first;
        var stage = first as IRetrievalModel ?? EmbeddingRetriever.For((IEmbeddingModel)first, retrieval.LongDocuments, retrieval.Quantization, retrieval.Ivf, retrieval.Hnsw);
        var ce = QuantizeOption.Apply(Float32MatmulOption.Apply(loaded.Own(Rerankers.Load(reranker, quiet, p.GetValue(rerankCausalLm))), p.GetValue(float32Matmul), quiet), p.GetValue(quantize), quiet);
        return new CrossEncoderRetriever(ce, stage, p.GetValue(rerankCandidates) ?? 100, ceOptions);
    }

    /// <summary>bm25 (with --k1/--b/--no-stem), hybrid:DIR (with --fusion/--alpha/--normalization), openai:URL#MODEL, or a model folder.</summary>
    private IEvaluationModel CreateModel(ParseResult p, RetrievalOptions retrieval, LoadedModels loaded)
    {
        string spec = p.GetValue(model)!;
        var defaults = new Bm25Parameters();
        var bm25 = new Bm25Options
        {
            Parameters = new Bm25Parameters(p.GetValue(k1) ?? defaults.K1, p.GetValue(b) ?? defaults.B),
            Stem = !p.GetValue(noStem),
            DocumentLanguage = Skald.Cli.Commands.Index.IndexSources.GuessedLanguage, // --language auto: as skald index build --language auto
        };
        if (spec.Equals("bm25", StringComparison.OrdinalIgnoreCase))
        {
            if (retrieval.Quantization is not null) throw new UsageException($"{Named(retrieval.Quantization)} applies to embedding models, not to bm25");
            if (retrieval.ApproximateOption is { } approximate) throw new UsageException($"{approximate} applies to embedding models, not to bm25");
            return new Bm25Model(bm25);
        }
        var options = new EvaluationEmbeddingOptions
        {
            BatchSize = p.GetValue(batchSize) ?? 32,
            MaxLength = p.GetValue(maxLength),
            QueryPrompt = p.GetValue(queryPrompt),
            DocumentPrompt = p.GetValue(documentPrompt),
            CacheDirectory = p.GetValue(cache),
            MaxActiveDims = p.GetValue(maxActiveDims),
            TruncateDim = p.GetValue(truncateDim),
        };
        if (HybridSpec.TryParse(spec) is { } hybrid)
        {
            var fused = hybrid.Options;
            if (p.GetValue(fusion) is { } f) fused = fused with { Mode = FusionOptions.ParseMode(f)!.Value };
            if (p.GetValue(alpha) is { } a) fused = fused with { Alpha = a };
            if (p.GetValue(normalization) is { } n) fused = fused with { Normalization = FusionOptions.ParseNormalization(n)!.Value };
            string dir = HubModels.Resolve(hybrid.Model, p.GetValue(CliOptions.Quiet));
            if (!Directory.Exists(dir)) throw new InputException(Skald.Models.Modules.ModelFolder.NotFound(dir));
            return new HybridRetriever(new Bm25Model(bm25), EmbeddingRetriever.For(Quantized(loaded.Own(EvaluationEmbeddingModel.Load(dir, options)), p), retrieval.LongDocuments, retrieval.Quantization, retrieval.Ivf, retrieval.Hnsw), fused);
        }
        if (p.GetValue(fusion) is not null || p.GetValue(alpha) is not null || p.GetValue(normalization) is not null)
            throw new InputException("--fusion, --alpha and --normalization apply to hybrid:DIR models only");
        if (RemoteModelSpec.IsRemote(spec))
        {
            remoteClient = new OpenAiEmbeddingClient(remote.Settings(p, RemoteModelSpec.Parse(spec), drain?.Stop));
            return new RemoteEmbeddingModel(remoteClient, options);
        }
        if (Directory.Exists(spec) && RemoteAdapterFolder.Is(spec))
        {
            var adapter = RemoteAdapterFolder.Read(spec);
            remoteClient = new OpenAiEmbeddingClient(remote.Settings(p, adapter.Spec, drain?.Stop));
            return new RemoteEmbeddingModel(remoteClient, options with { Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(spec))) }, adapter);
        }
        spec = HubModels.Resolve(spec, p.GetValue(CliOptions.Quiet));
        if (!Directory.Exists(spec)) throw new InputException($"{spec}: model folder not found (or use --model bm25)");
        return Quantized(loaded.Own(EvaluationEmbeddingModel.Load(spec, options)), p);
    }

    /// <summary>
    /// A late-interaction (ColBERT) model: exact MaxSim over the corpus or a reranking task's candidates. The options
    /// of single-vector embeddings (compressed or approximate search, prompts, lengths, a cache) are refused.
    /// </summary>
    private IEvaluationModel LateInteraction(ParseResult p, RetrievalOptions retrieval, string local, LoadedModels loaded)
    {
        if (retrieval.Quantization is not null) throw new UsageException($"{Named(retrieval.Quantization)} applies to single-vector embedding models, not to a ColBERT model");
        if (retrieval.ApproximateOption is { } approximate) throw new UsageException($"{approximate} applies to single-vector embedding models; a ColBERT model is searched by exact MaxSim");
        foreach (var o in new Option[] { chunk, maxLength, queryPrompt, documentPrompt, maxActiveDims, truncateDim, cache, quantize })
        {
            if (p.GetResult(o) is { Implicit: false })
                throw new UsageException($"{o.Name} does not apply to a ColBERT model (its config_sentence_transformers.json sets its prefixes and lengths)");
        }
        var colbert = loaded.Own(ColbertEncoder.Load(local));
        Float32MatmulOption.Apply(colbert, p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
        return new LateInteractionRetriever(colbert, p.GetValue(batchSize) ?? 32);
    }

    /// <summary>
    /// A BGE-M3 folder scored by one of its outputs or all three weighted: exact over the corpus or a reranking task's
    /// candidates. The options of compressed or approximate dense search, chunks and caches are refused.
    /// </summary>
    private IEvaluationModel BgeM3(ParseResult p, RetrievalOptions retrieval, string local, string mode, LoadedModels loaded)
    {
        if (!Directory.Exists(local) || !BgeM3Encoder.IsBgeM3(local))
            throw new UsageException($"--bge-m3 is for BGE-M3 folders ({local} has no sparse_linear.pt or colbert_linear.pt)");
        if (retrieval.Quantization is not null) throw new UsageException($"{Named(retrieval.Quantization)} does not apply with --bge-m3 (its scores are exact)");
        if (retrieval.ApproximateOption is { } approximate) throw new UsageException($"{approximate} does not apply with --bge-m3 (its scores are exact)");
        foreach (var o in new Option[] { chunk, maxActiveDims, truncateDim, cache, quantize })
        {
            if (p.GetResult(o) is { Implicit: false }) throw new UsageException($"{o.Name} does not apply with --bge-m3");
        }
        var weights = mode switch
        {
            "dense" => BgeM3Weights.DenseOnly,
            "sparse" => BgeM3Weights.SparseOnly,
            "colbert" => BgeM3Weights.ColbertOnly,
            _ => BgeM3Options.Parse(p.GetValue(bgeM3Weights)),
        };
        var options = new Skald.Models.EncodeOptions { BatchSize = p.GetValue(batchSize) ?? 32, MaxLength = p.GetValue(maxLength) };
        var m3 = Float32MatmulOption.Apply(loaded.Own(BgeM3Encoder.Load(local)), p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
        return new BgeM3Retriever(m3, weights, options, p.GetValue(queryPrompt), p.GetValue(documentPrompt));
    }

    private EvaluationEmbeddingModel Quantized(EvaluationEmbeddingModel model, ParseResult p)
    {
        Float32MatmulOption.Apply(model.Encoder, p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
        QuantizeOption.Apply(model.Encoder, p.GetValue(quantize), p.GetValue(CliOptions.Quiet));
        return model;
    }

    /// <summary>The option that asked for compressed document embeddings.</summary>
    private static string Named(Skald.Retrieval.Quantization.QuantizedSearchOptions? q) => q?.Product is not null ? "--pq" : "--precision";
}
