using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Models.Generation;
using Skald.Models.LateInteraction;
using Skald.Retrieval;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Serving;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald serve</c>: an OpenAI-compatible embeddings server (<see cref="EmbeddingServer"/>). The model is loaded
/// before anything listens; Ctrl+C or SIGTERM stops it after in-flight requests finish.
/// </summary>
internal sealed class ServeCommand : Command
{
    // The largest --max-body-mb: a request body is read into one array, so Array.MaxLength bytes is the real limit (2047 MiB).
    private static readonly int MaxBodyMb = Array.MaxLength >> 20;

    // --shutdown-delay's default: the library's (EmbeddingServiceOptions.ShutdownDelay)
    private static readonly int DefaultShutdownDelay = (int)new EmbeddingServiceOptions().ShutdownDelay.TotalSeconds;

    private readonly Option<string> model = CliOptions.Text("--model", "Embedding model folder (sentence-transformers or plain Hugging Face) or hub id; optional with --generator; a late-interaction (ColBERT) folder serves /v1/search over its --index (and /v1/models), not /v1/embeddings", "DIR|ID");
    private readonly Option<string> generator = CliOptions.Text("--generator",
        "Also (or only) serve POST /v1/chat/completions and /v1/completions with this decoder LLM (a folder with a chat template, or a hub id)", "DIR|ID");
    private readonly Option<string> generatorAdapters = CliOptions.Text("--generator-adapters",
        "PEFT LoRA adapter folders (e.g. an SFT run's) merged into the --generator in order, comma-separated", "DIR[,DIR...]");
    private readonly Option<string> generatorName = CliOptions.Text("--generator-name", "The chat model's id in responses and /v1/models (default: its folder's name, org/name for a hub id)", "NAME");
    private readonly Option<int?> chatBatch = CliOptions.Int("--generator-batch-size",
        "Chat: most requests decoded at once (those waiting when a batch starts, and those joining it while it decodes; 1: one at a time)", defaultValue: 8);
    private readonly Option<int?> chatKvTokens = CliOptions.Int("--generator-kv-tokens",
        "Chat: token positions the key/value caches hold over all their rows, a batch's and its joining prompts' prefill together (their memory; requests join a running batch while it has room)",
        min: 1, defaultValue: 16384);
    private readonly Option<int?> chatPrefillChunk = CliOptions.Int("--generator-prefill-chunk",
        "Chat: most prompt tokens of requests joining a running batch prefilled between two of its steps, so that the requests decoding keep streaming (chunked prefill; 0: each prompt whole)",
        min: 0, defaultValue: 512);
    private readonly Option<string> toolCallParser = CliOptions.Choice("--tool-call-parser",
        "Chat: how the model writes function calls, read out of its answers to requests with tools: hermes (<tool_call> blocks, Qwen2.5/Qwen3/Hermes), " +
        "llama3_json ({\"name\", \"parameters\"} objects, Llama 3.1/3.2/3.3), mistral ([TOOL_CALLS] arrays), " +
        "mistral_v11 ([TOOL_CALLS]name[ARGS]{...}, Mistral Small 3.1+/Magistral/Devstral), none (tools are refused), " +
        "or auto (as the chat template teaches: hermes for <tool_call>, mistral_v11 for [TOOL_CALLS] with [ARGS], mistral for [TOOL_CALLS], llama3_json for <|python_tag|> or Llama's JSON call instruction, else none)",
        "auto", "auto", "hermes", "llama3_json", "mistral", "mistral_v11", "none");
    private readonly Option<int?> maxTokens = CliOptions.Int("--max-tokens",
        "Chat: most new tokens when a request gives no max_tokens (at most what the context leaves)", defaultValue: 512);
    private readonly Option<int?> port = CliOptions.Int("--port", "TCP port (0: any free port, printed at start)", min: 0, defaultValue: 8080);
    private readonly Option<string> host = CliOptions.Text("--host",
        "IP address to listen on; anything but loopback (127.0.0.1, ::1) needs --api-key-env", "ADDRESS", "127.0.0.1");
    private readonly Option<string> apiKeyEnv = CliOptions.Text("--api-key-env",
        "Environment variable holding the API key clients must send as 'Authorization: Bearer KEY'", "VAR");
    private readonly Option<string> modelName = CliOptions.Text("--model-name", "Model id in responses and /v1/models (default: the folder's name, org/name for a hub id)", "NAME");
    private readonly Option<string> adapters = CliOptions.Text("--adapters", "PEFT LoRA adapter folders merged into the model in order, comma-separated", "DIR[,DIR...]");
    private readonly Option<string> quantize = QuantizeOption.Create();
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<string> weights = CliOptions.Choice("--weights",
        "How the weight matrices of --model and --generator are held in memory: f32, or bf16 / f16 (half the memory, computed in float32)", "f32", "f32", "bf16", "f16");
    private readonly Option<bool> accessLog = CliOptions.Flag("--access-log",
        "Write one line per request to standard error once it is answered: UTC time, method, path, status, milliseconds");
    private readonly Option<int?> shutdownDelay = CliOptions.Int("--shutdown-delay",
        "On Ctrl+C or SIGTERM: seconds to keep serving while /health answers 503 \"draining\", so a load balancer takes the server out before new connections are refused; then the requests in flight finish (0: stop listening at once; a second Ctrl+C or SIGTERM ends the delay)",
        min: 0, defaultValue: DefaultShutdownDelay, helpName: "SECONDS");
    private readonly Option<bool> truncate = CliOptions.Flag("--truncate",
        "Truncate inputs longer than the model's max_seq_length (as skald encode does) instead of answering 400");
    private readonly Option<string> queryInstruction = CliOptions.Text("--query-instruction",
        "LLM2Vec models: the instruction requests with \"input_type\": \"query\" (and /v1/search's queries) are embedded with, as skald encode --instruction; other inputs get none", "TEXT");
    private readonly Option<int?> maxInputs = CliOptions.Int("--max-inputs", "Most inputs in one request", defaultValue: 2048);
    private readonly Option<int?> maxBodyMb = CliOptions.Int("--max-body-mb", $"Largest request body in MiB (more: 413; at most {MaxBodyMb}, as a body is read into one array)",
        defaultValue: 16, max: MaxBodyMb);
    private readonly Option<int?> maxBatchSize = CliOptions.Int("--max-batch-size", "Most inputs in one forward pass of the batcher", defaultValue: 32);
    private readonly Option<int?> maxBatchTokens = CliOptions.Int("--max-batch-tokens", "Most padded tokens in one forward pass of the batcher", defaultValue: 16384);
    private readonly Option<string> index = CliOptions.Text("--index",
        "Also serve POST /v1/search over this index (made by 'skald index build' with the same --model)", "DIR");
    private readonly Option<int?> indexRefresh = CliOptions.Int("--index-refresh",
        "With --index: seconds between checks for a changed index (skald index add/delete in another process); it is reopened and served from the next search on; 0: never",
        min: 0, defaultValue: 2, helpName: "SECONDS");
    private readonly Option<string> reranker = CliOptions.Text("--reranker",
        "Also serve POST /v1/rerank with this cross-encoder (a reranker folder or hub id), which then reranks /v1/search's hits too", "DIR|ID");
    private readonly Option<string> bgeM3Weights = BgeM3Options.Weights(
        "over a BGE-M3 --index (index build --bge-m3), the default of a /v1/search request without bge_m3_weights, and as --reranker (without --reranker-bge-m3-weights) /v1/rerank's;",
        "1,1,1; over an index, 1 for each output it stores");
    private readonly Option<string> rerankerBgeM3Weights = BgeM3Options.Weights(
        "as --reranker, the default of /v1/rerank (and of /v1/search's reranking) apart from the index's --bge-m3-weights;",
        "--bge-m3-weights, else 1,1,1", "--reranker-bge-m3-weights");
    private readonly Option<bool> rerankerCausalLm = CliOptions.Flag("--reranker-causal-lm",
        "The --reranker is a causal LM that answers yes or no (Qwen3-Reranker as published; as skald rerank --causal-lm)");
    private readonly Option<string> ranges = CliOptions.Text("--ranges",
        "Calibration ranges for output_dtype int8 / uint8 in /v1/embeddings: float32 [2, D] .npy (minima, then maxima; e.g. the NAME.ranges.npy skald encode --precision int8 wrote beside the corpus's embeddings)", "FILE");
    private readonly Option<int?> maxQueuedInputs = CliOptions.Int("--max-queued-inputs",
        "Most inputs accepted and not yet embedded (queued, in a batch, or running; /metrics' skald_pending_inputs); a request that would pass it is a 503 with Retry-After (at least --max-inputs)",
        defaultValue: 65536);
    private readonly Option<int?> rerankerMaxQueue = CliOptions.Int("--reranker-max-queue",
        "With --reranker: most rerank requests being scored or waiting for the model at once; one more is a 503 with Retry-After", defaultValue: 256);
    private readonly Option<int?> maxWaitMs = CliOptions.Int("--max-wait-ms", "How long the batcher waits for more inputs to fill a batch", min: 0, defaultValue: 3);

    public ServeCommand() : base("serve", "Serve models as an OpenAI-compatible API: POST /v1/embeddings, GET /v1/models, /health, /metrics (and /v1/search with --index, /v1/rerank with --reranker, /v1/chat/completions and /v1/completions with --generator)")
    {
        Options.Add(model);
        Options.Add(bgeM3Weights);
        Options.Add(generator);
        Options.Add(generatorAdapters);
        Options.Add(generatorName);
        Options.Add(chatBatch);
        Options.Add(chatKvTokens);
        Options.Add(chatPrefillChunk);
        Options.Add(toolCallParser);
        Options.Add(maxTokens);
        Options.Add(port);
        Options.Add(host);
        Options.Add(apiKeyEnv);
        Options.Add(modelName);
        Options.Add(adapters);
        Options.Add(weights);
        Options.Add(quantize);
        Options.Add(float32Matmul);
        Options.Add(truncate);
        Options.Add(accessLog);
        Options.Add(shutdownDelay);
        Options.Add(queryInstruction);
        Options.Add(maxInputs);
        Options.Add(maxBodyMb);
        Options.Add(maxBatchSize);
        Options.Add(maxBatchTokens);
        Options.Add(maxWaitMs);
        Options.Add(maxQueuedInputs);
        Options.Add(index);
        Options.Add(indexRefresh);
        Options.Add(reranker);
        Options.Add(rerankerCausalLm);
        Options.Add(rerankerMaxQueue);
        Options.Add(rerankerBgeM3Weights);
        Options.Add(ranges);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string address = p.GetValue(host)!;
        int portNumber = p.GetValue(port) ?? 8080;
        if (portNumber > 65535) throw new UsageException($"--port {portNumber} is not a TCP port (0..65535)");
        if (address != "localhost" && !System.Net.IPAddress.TryParse(address, out _))
            throw new UsageException($"--host \"{address}\" is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::)");
        string? key = null;
        if (p.GetValue(apiKeyEnv) is { } variable)
        {
            key = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(key)) throw new UsageException($"--api-key-env {variable}: that environment variable is not set or empty");
        }
        else if (!EmbeddingServer.IsLoopback(address))
        {
            throw new UsageException($"--host {address} accepts connections from other machines: give an API key with --api-key-env VAR");
        }
        if (p.GetValue(rerankerCausalLm) && p.GetValue(reranker) is null) throw new UsageException("--reranker-causal-lm needs --reranker DIR");
        if (p.GetResult(rerankerMaxQueue) is { Implicit: false } && p.GetValue(reranker) is null) throw new UsageException("--reranker-max-queue needs --reranker DIR");
        int queueLimit = p.GetValue(maxQueuedInputs) ?? 65536, requestLimit = p.GetValue(maxInputs) ?? 2048;
        if (queueLimit < requestLimit)
            throw new UsageException($"--max-queued-inputs {queueLimit} is below --max-inputs {requestLimit}: a request of {requestLimit} inputs could never be taken");
        string? indexDir = p.GetValue(index);
        if (indexDir is not null && p.GetValue(adapters) is not null)
            throw new UsageException("--index with --adapters: an index is built with the plain model; serve it without adapters");
        string? modelPath = p.GetValue(model), generatorPath = p.GetValue(generator);
        if (modelPath is null && generatorPath is null) throw new UsageException("give --model (embeddings), --generator (chat completions) or both");
        if (modelPath is null)
        {
            string? needs = indexDir is not null ? "--index" : p.GetValue(reranker) is not null ? "--reranker" : p.GetValue(adapters) is not null ? "--adapters"
                : p.GetValue(ranges) is not null ? "--ranges" : null;
            if (needs is not null) throw new UsageException($"{needs} needs --model (the embedding model)");
        }
        if (generatorPath is null)
        {
            string? needs = p.GetValue(generatorAdapters) is not null ? "--generator-adapters" : p.GetValue(generatorName) is not null ? "--generator-name"
                : p.GetResult(toolCallParser) is { Implicit: false } ? "--tool-call-parser" : null;
            if (needs is not null) throw new UsageException($"{needs} needs --generator");
        }
        var adapterFolders = EmbeddingAdapters.Resolve(p.GetValue(adapters), quiet, a => $"serve it for /v1/rerank with --reranker {a}");
        string? lateFolder = LateInteractionFolder(p, modelPath, indexDir, quiet);
        using var lateModel = lateFolder is null ? null : MultiVectorEmbeddingModel.Load(lateFolder);
        if (lateModel is not null) Float32MatmulOption.Apply(lateModel.Encoder, p.GetValue(float32Matmul), quiet);
        using var encoder = modelPath is null || lateModel is not null ? null
            : SentenceEncoder.Load(modelPath, adapterFolders, InfoCommand.Precision(p.GetValue(weights)));
        int refreshSeconds = p.GetValue(indexRefresh) ?? 2;
        using var searchIndex = indexDir is null ? null
            : OpenIndex(indexDir, refreshSeconds, m => Terminal.Log(m, quiet), i =>
            {
                if (lateModel is not null) SearchService.CheckModel(i, lateModel);
                else SearchService.CheckModel(i, encoder!);
            });
        if (p.GetValue(queryInstruction) is not null && encoder?.Folder.Llm2Vec is null)
            throw new UsageException("--query-instruction is for an LLM2Vec --model (llm2vec_config.json); a sentence-transformers model's query prompt is used with \"input_type\": \"query\" by itself");
        if (encoder is not null) QuantizeOption.Apply(Float32MatmulOption.Apply(encoder, p.GetValue(float32Matmul), quiet), p.GetValue(quantize), quiet);
        var (chat, chatSummary) = generatorPath is null ? (null, "") : LoadChat(p, generatorPath, key, quiet);
        using var chatClient = chat?.Client; // disposed after the server (below), its generator with it
        string? rerankFolder = p.GetValue(reranker) is { } rerankModel ? HubModels.Resolve(rerankModel, quiet) : null;
        bool maxSim = rerankFolder is not null && !p.GetValue(rerankerCausalLm) && ColbertEncoder.IsColbert(rerankFolder); // a ColBERT reranks by MaxSim
        using var colbert = maxSim ? ColbertEncoder.Load(rerankFolder!) : null;
        bool m3Rerank = rerankFolder is not null && !maxSim && !p.GetValue(rerankerCausalLm) && BgeM3Encoder.IsBgeM3(rerankFolder); // BGE-M3 reranks by its weighted score
        bool m3Index = lateModel is null && searchIndex?.Current.IsBgeM3 == true;
        string? rerankGiven = p.GetValue(rerankerBgeM3Weights);
        if (rerankGiven is not null && !m3Rerank)
            throw new UsageException("--reranker-bge-m3-weights applies with a BGE-M3 --reranker (a folder with sparse_linear.pt and colbert_linear.pt)");
        if (p.GetValue(bgeM3Weights) is not null && !m3Index && !(m3Rerank && rerankGiven is null))
            throw new UsageException(m3Rerank ? "--bge-m3-weights applies over a BGE-M3 --index (index build --bge-m3); the reranker's are --reranker-bge-m3-weights"
                : "--bge-m3-weights applies with a BGE-M3 --reranker or over a BGE-M3 --index (index build --bge-m3)");
        // the reranker's default: its own option, else the server's --bge-m3-weights (one default for both), else 1,1,1
        var m3Weights = rerankGiven is not null ? BgeM3Options.Parse(rerankGiven, "--reranker-bge-m3-weights") : BgeM3Options.Parse(p.GetValue(bgeM3Weights));
        // over a BGE-M3 index: /v1/search's default weights, checked against the outputs it stores (as skald search checks them)
        var searchWeights = m3Index && p.GetValue(bgeM3Weights) is { } given ? BgeM3Options.ForIndex(given, searchIndex!.Current) : (BgeM3Weights?)null;
        using var m3 = m3Rerank ? BgeM3Encoder.Load(rerankFolder!) : null;
        using var crossEncoder = rerankFolder is not null && !maxSim && !m3Rerank ? Rerankers.Load(rerankFolder, quiet, p.GetValue(rerankerCausalLm)) : null;
        var rerank = colbert is not null ? new RerankService(colbert) { MaxQueue = p.GetValue(rerankerMaxQueue) ?? 256 }
            : m3 is not null ? new RerankService(m3, m3Weights) { MaxQueue = p.GetValue(rerankerMaxQueue) ?? 256 }
            : crossEncoder is null ? null
            : new RerankService(QuantizeOption.Apply(Float32MatmulOption.Apply(crossEncoder, p.GetValue(float32Matmul), quiet), p.GetValue(quantize), quiet)) { MaxQueue = p.GetValue(rerankerMaxQueue) ?? 256 };
        int delaySeconds = p.GetValue(shutdownDelay) ?? DefaultShutdownDelay;
        var options = new EmbeddingServiceOptions
        {
            ModelName = p.GetValue(modelName),
            ApiKey = key,
            Truncate = p.GetValue(truncate),
            QueryInstruction = QueryInstructionOf(p.GetValue(queryInstruction), encoder, searchIndex?.Current.Manifest),
            MaxInputs = p.GetValue(maxInputs) ?? 2048,
            MaxBodyBytes = (long)(p.GetValue(maxBodyMb) ?? 16) << 20,
            MaxBatchSize = p.GetValue(maxBatchSize) ?? 32,
            MaxBatchTokens = p.GetValue(maxBatchTokens) ?? 16384,
            MaxWait = TimeSpan.FromMilliseconds(p.GetValue(maxWaitMs) ?? 3),
            MaxQueuedInputs = queueLimit,
            AccessLog = p.GetValue(accessLog) ? Console.Error : null,
            ShutdownDelay = TimeSpan.FromSeconds(delaySeconds),
            Ranges = p.GetValue(ranges) is { } file ? ReadRanges(file, encoder!.Dimension) : null,
            BgeM3Weights = searchWeights,
        };
        EmbeddingServer server;
        try
        {
            server = (lateModel is not null
                ? EmbeddingServer.StartLateInteractionAsync(lateModel, searchIndex!, rerank, address, portNumber, options)
                : EmbeddingServer.StartLiveAsync(encoder, searchIndex, rerank, chat, address, portNumber, options)).GetAwaiter().GetResult();
        }
        catch (ArgumentException e) when (searchIndex is not null)
        {
            throw new InputException(e.Message);
        }
        Terminal.Log((lateModel is not null ? $"serving {server.ModelName} (token vectors: {lateModel.Kind}, /v1/search by exact MaxSim)"
            : encoder is null ? "serving" : $"serving {server.ModelName} (dimension {encoder.Dimension}, {(encoder.MaxSeqLength == int.MaxValue ? "no token limit" : $"max {encoder.MaxSeqLength} tokens")})") +
            (chat is null ? "" : $"{(encoder is null ? "" : ",")} chat completions with {chat.ModelName} ({chatSummary})") + $" on {server.Address}" +
            (searchIndex is null ? "" : $", searching {searchIndex.Current.LiveCount} rows of {indexDir}" +
                (refreshSeconds > 0 ? $" (reopened when it changes, checked every {refreshSeconds} s)" : "")) +
            (rerank is null ? "" : $", reranking with {rerank.ModelName}") + (key is null ? "" : " (API key required)") + "; Ctrl+C stops", quiet);
        using (server.Stopping.Register(() => Terminal.Log(delaySeconds == 0 ? "stopping: the requests in flight finish"
                   : $"stopping: /health answers 503 and requests are still served for {delaySeconds} s (--shutdown-delay), then the requests in flight finish", quiet)))
            server.WaitForShutdownAsync().GetAwaiter().GetResult();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Terminal.Log("stopped", quiet);
        return 0;
    }

    /// <summary>
    /// The folder of a late-interaction (ColBERT) <c>--model</c>, which serves <c>/v1/search</c> over an index of its token
    /// vectors (and <c>/v1/rerank</c> with <c>--reranker</c>) but no embeddings: without <c>--index</c>, or with an option
    /// only a sentence embedder or a generator takes, a usage error naming it. Null for any other model.
    /// </summary>
    private string? LateInteractionFolder(ParseResult p, string? modelPath, string? indexDir, bool quiet)
    {
        if (modelPath is null) return null;
        string folder = Directory.Exists(modelPath) ? modelPath : HubModels.Resolve(modelPath, quiet);
        if (!MultiVectorEmbeddingModel.IsMultiVector(folder)) return null;
        if (indexDir is null)
            throw new UsageException($"--model {modelPath} is a late-interaction (ColBERT) model: it serves /v1/search over an index of its token vectors (give --index DIR), not /v1/embeddings");
        string? other = p.GetValue(generator) is not null ? "--generator" : p.GetValue(adapters) is not null ? "--adapters"
            : p.GetValue(ranges) is not null ? "--ranges" : p.GetValue(quantize) is not null ? "--quantize" : null;
        if (other is not null) throw new UsageException($"{other} does not go with a late-interaction --model ({modelPath}), which serves /v1/search alone");
        return folder;
    }

    /// <summary>
    /// --generator: the decoder, its adapters and precision, as <c>skald generate</c> loads it, as a chat service; and
    /// what its batches may hold, for the start-up line.
    /// </summary>
    private (ChatService Service, string Summary) LoadChat(ParseResult p, string path, string? key, bool quiet)
    {
        string folder = HubModels.Resolve(path, quiet);
        var adapterFolders = EmbeddingAdapters.Resolve(p.GetValue(generatorAdapters), quiet,
            a => $"serve it for /v1/rerank with --reranker {a}", "--generator-adapters", "generate");
        var textGenerator = TextGenerator.Load(folder, adapterFolders, InfoCommand.Precision(p.GetValue(weights)));
        try
        {
            CheckTemplate(textGenerator, folder);
            QuantizeOption.Apply(textGenerator, p.GetValue(quantize), quiet);
        }
        catch
        {
            textGenerator.Dispose();
            throw;
        }
        string name = p.GetValue(generatorName) ?? ModelNames.Of(folder);
        var client = new SkaldChatClient(textGenerator, name)
        {
            OwnsGenerator = true, // disposed with the client, after the server
            DefaultMaxOutputTokens = p.GetValue(maxTokens) ?? 512,
            MaxBatchSize = p.GetValue(chatBatch) ?? 8,
            MaxBatchTokens = p.GetValue(chatKvTokens) ?? 16384,
            PrefillChunk = p.GetValue(chatPrefillChunk) ?? 512,
            ToolCallParser = p.GetValue(toolCallParser) switch
            {
                "hermes" => ToolCallFormat.Hermes,
                "llama3_json" => ToolCallFormat.Llama3Json,
                "mistral" => ToolCallFormat.Mistral,
                "mistral_v11" => ToolCallFormat.MistralV11,
                "none" => ToolCallFormat.None,
                _ => null,
            },
        };
        var config = textGenerator.Decoder.Config;
        long bytes = client.KvCachePositions * config.NumLayers * config.KeyValueHeads * config.HeadSize * 2 * sizeof(float);
        string summary = $"up to {client.MaxBatchSize} requests at once, a key/value cache of {client.KvCachePositions} positions, " +
            $"{(bytes + (1 << 20) - 1) >> 20} MB, joining prompts prefilled {(client.PrefillChunk > 0 ? $"{client.PrefillChunk} tokens" : "whole")} between steps, tool calls: {ParserName(client.ToolCallFormat)}";
        return (new ChatService(client, name, key, (long)(p.GetValue(maxBodyMb) ?? 16) << 20), summary);
    }

    /// <summary>Throws <see cref="InputException"/> naming the folder unless the generator has a chat template it can read.</summary>
    // A tool-call format as --tool-call-parser names it.
    private static string ParserName(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Llama3Json => "llama3_json",
        ToolCallFormat.MistralV11 => "mistral_v11",
        _ => format.ToString().ToLowerInvariant(),
    };

    private static void CheckTemplate(TextGenerator generator, string folder)
    {
        IChatFormatter? template;
        try
        {
            template = generator.ChatFormatter;
        }
        catch (Skald.Tokenizers.Templates.ChatTemplateException e)
        {
            throw new InputException($"{folder}: --generator: {e.Message}");
        }
        if (template is null)
            throw new InputException($"{folder}: --generator needs a chat template (chat_template.jinja or tokenizer_config.json's chat_template)");
    }

    /// <summary>--ranges: a [2, D] float32 .npy of the model's width.</summary>
    private static Skald.Retrieval.Quantization.QuantizationRanges ReadRanges(string path, int dimension)
    {
        var m = NpyFile.ReadFloatMatrix(path);
        if (m.Length != 2 || m[0].Length != dimension)
            throw new InputException($"{path}: ranges must be [2, {dimension}] (minima, maxima for this model's {dimension} dimensions), got [{m.Length}, {(m.Length == 0 ? 0 : m[0].Length)}]");
        try
        {
            return new Skald.Retrieval.Quantization.QuantizationRanges(m[0], m[1]);
        }
        catch (ArgumentException e)
        {
            throw new InputException($"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// The instruction an LLM2Vec model's queries are served with: <c>--query-instruction</c>, else over an index the one
    /// it was built for (<see cref="IndexManifest.QueryInstruction"/>), else null (the model's own query prompt).
    /// </summary>
    internal static string? QueryInstructionOf(string? given, SentenceEncoder? encoder, IndexManifest? index) =>
        given ?? (encoder?.Folder.Llm2Vec is null ? null : index?.QueryInstruction);

    private static LiveIndex OpenIndex(string folder, int refreshSeconds, Action<string> log, Action<SearchIndex> accept)
    {
        try
        {
            return new LiveIndex(folder, TimeSpan.FromSeconds(refreshSeconds), log, accept);
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
        catch (ArgumentException e)
        {
            throw new InputException(e.Message);
        }
    }
}
