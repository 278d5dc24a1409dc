using System.CommandLine;
using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Data.Generation;
using Skald.Data.Ingest;
using Skald.Data.Llm;
using Skald.Data.Negatives;
using Skald.Evaluation.Models;
using Skald.Retrieval.Bm25;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Tokenizers;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald data generate</c>: documents → chunks → (query, passage) pairs, written as a BEIR folder plus pairs.jsonl
/// for <c>skald train</c>. The generator is ICT (pseudo-queries from the documents, offline) or an LLM endpoint.
/// </summary>
internal sealed class DataGenerateCommand : Command
{
    private readonly Option<string> documents = CliOptions.Text("--documents", "Documents: files or folders (searched recursively), comma-separated; .txt .md .html .docx .pdf .jsonl, images (.png .jpg .tif) by OCR", "PATH[,PATH...]", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Folder to write corpus.jsonl, queries.jsonl, qrels/ and pairs.jsonl to (replaced when it holds an earlier output)", "DIR", required: true);
    private readonly Option<string> generator = CliOptions.Choice("--generator", "ict: a sentence of each chunk as its query (and a heading as the query of the one passage under it), no model needed; llm: questions from an OpenAI-compatible endpoint (--llm, --llm-model)", "ict", "ict", "llm");
    private readonly Option<string> tokenizer = CliOptions.Text("--tokenizer", "Count chunk lengths in tokens of this tokenizer.json, model folder or hub id (default: words)", "FILE_OR_DIR");
    private readonly Option<int?> chunkTokens = CliOptions.Int("--chunk-tokens",
        "Largest chunk, in tokens (default: 256, or less when --tokenizer is a sentence-transformers model folder that reads fewer)");
    private readonly Option<int?> overlapTokens = CliOptions.Int("--overlap-tokens", "Trailing sentences up to this many tokens start the next chunk too (default: a quarter of --chunk-tokens, at most 32)", min: 0);
    private readonly Option<string> textColumn = CliOptions.Text("--text-column", "The text field of .jsonl documents", "NAME", "text");
    private readonly Option<int?> perChunk = CliOptions.Int("--questions-per-chunk", "Queries per chunk (default: 1 for ict, 2 for llm)");
    private readonly Option<bool> noHeadings = CliOptions.Flag("--no-headings", "ict: make no heading a query (by default a heading only one passage carries is that passage's query)");
    private readonly Option<double?> testFraction = CliOptions.Number("--test-fraction", "Share of queries held out in qrels/test.tsv (not in pairs.jsonl), for evaluation", v => v is >= 0 and < 1, "a number in [0, 1)", defaultValue: 0);
    private readonly Option<string> heldOut = CliOptions.Choice("--held-out",
        "What --test-fraction holds out: queries (new questions about documents trained on, GPL's setting) or documents (whole documents never trained on)", "queries", "queries", "documents");
    private readonly Option<int?> minWords = CliOptions.Int("--min-query-words", "Drop queries with fewer words", defaultValue: 4);
    private readonly Option<int?> maxWords = CliOptions.Int("--max-query-words", "Drop queries with more words", defaultValue: 64);
    private readonly Option<int?> seed = CliOptions.Int("--seed", "Seed of every random choice", min: 0, defaultValue: 42);
    private readonly Option<string> roundTrip = CliOptions.Text("--round-trip", "Keep a query only if this retriever (bm25, or a model folder) ranks its passage in the top --round-trip-k", "bm25|DIR");
    private readonly Option<int?> roundTripK = CliOptions.Int("--round-trip-k", "Rank the passage must reach for --round-trip", defaultValue: 10);
    private readonly Option<string> llmUrl = CliOptions.Text("--llm", "llm: base URL of an OpenAI-compatible API (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp server), e.g. http://127.0.0.1:11434/v1", "URL");
    private readonly Option<string> llmModel = CliOptions.Text("--llm-model", "llm: model name", "NAME");
    private readonly Option<string> apiKeyEnv = CliOptions.Text("--api-key-env", "llm: environment variable holding the API key (a local endpoint needs none)", "VAR", "OPENAI_API_KEY");
    private readonly Option<string> language = CliOptions.OptionalChoice("--language", "llm: prompt language (default: guessed per document)", [.. LlmPrompts.Languages]);
    private readonly Option<int?> concurrency = CliOptions.Int("--concurrency", "llm: requests in flight at once", defaultValue: 4);
    private readonly Option<int?> maxRetries = CliOptions.Int("--max-retries", "llm: retries of one request on 429/5xx/timeouts/unreadable replies", min: 0, defaultValue: 6);
    private readonly Option<int?> timeout = CliOptions.Int("--timeout", "llm: seconds allowed for one request", defaultValue: 120, helpName: "SECONDS");
    private readonly Option<double?> retryDelay = CliOptions.Number("--retry-delay", "llm: first retry wait in seconds (doubled each retry, with jitter) when the server sends no Retry-After", v => v >= 0, "a number ≥ 0", defaultValue: 2, helpName: "SECONDS");
    private readonly Option<int?> maxRequests = CliOptions.Int("--max-requests", "llm: request budget of this run (retries included); the journal keeps what was done");
    private readonly Option<string> journal = CliOptions.Text("--journal", "llm: resume journal (default: OUTPUT.journal.jsonl beside the output folder)", "FILE");
    private readonly OcrOptions ocr = new();

    public DataGenerateCommand() : base("generate", "Make training and evaluation data from a folder of documents (BEIR folder + pairs.jsonl)")
    {
        foreach (var o in new Option[] { documents, output, generator, tokenizer, chunkTokens, overlapTokens, textColumn, perChunk, noHeadings, testFraction, heldOut, minWords, maxWords, seed, roundTrip, roundTripK,
            llmUrl, llmModel, apiKeyEnv, language, concurrency, maxRetries, timeout, retryDelay, maxRequests, journal })
            Options.Add(o);
        foreach (var o in ocr.All) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string? tokenizerPath = p.GetValue(tokenizer);
        int chunk = PassageBudget.Chunk(p.GetValue(chunkTokens), tokenizerPath, line => Terminal.Log(line, quiet));
        var chunking = new ChunkOptions
        {
            ChunkTokens = chunk,
            OverlapTokens = p.GetValue(overlapTokens) ?? PassageBudget.Overlap(chunk),
            Counter = Counter(tokenizerPath),
            TitleInBudget = true, // a passage is title and text, as the index holds it
        };
        if (chunking.OverlapTokens >= chunking.ChunkTokens)
            throw new UsageException($"option --overlap-tokens ({chunking.OverlapTokens}) must be below --chunk-tokens ({chunking.ChunkTokens})");
        if ((p.GetValue(minWords) ?? 4) > (p.GetValue(maxWords) ?? 64))
            throw new UsageException($"option --min-query-words ({p.GetValue(minWords) ?? 4}) must not be above --max-query-words ({p.GetValue(maxWords) ?? 64})");
        if (p.GetValue(heldOut) == "documents" && (p.GetValue(testFraction) ?? 0) == 0)
            throw new UsageException("option --held-out documents holds out a share of the documents: give --test-fraction above 0 too");
        bool useLlm = p.GetValue(generator) == "llm";
        var llm = useLlm ? LlmSettingsFrom(p) : null; // option mistakes before any work
        string? journalPath = p.GetValue(journal) is { } j ? CliOptions.FileTarget("--journal", j) : null;
        // opening a journal cuts an unterminated last line, and one inside a documents folder is read as a document next run
        if (journalPath is not null) OutputPath.NotInAnInputOf("--journal", journalPath, CliOptions.Items(p.GetValue(documents)));
        else if (useLlm) OutputPath.NotInAnInputOf("--journal (default: beside --output)", DefaultJournal(p.GetValue(output)!), CliOptions.Items(p.GetValue(documents)));
        Skald.Data.IO.AtomicOutput.CheckFolder(p.GetValue(output)!, BeirWriter.Marker); // and a bad output folder before paying for requests
        OutputPath.NotHoldingAnInputOf("--output", p.GetValue(output)!, CliOptions.Items(p.GetValue(documents)));
        var pdfOcr = ocr.From(p);
        var ingest = DocumentIngest.Ingest(CliOptions.Items(p.GetValue(documents)), chunking, p.GetValue(textColumn)!, pdfOcr,
            quiet ? null : Console.WriteLine, output: p.GetValue(output));
        if (!quiet)
        {
            foreach (var s in ingest.Skipped) Console.WriteLine($"skipped {s.Path}: {s.Reason}");
            foreach (var n in ingest.Notices) Console.WriteLine($"not read: {n}");
            Console.WriteLine($"{Counted.Of(ingest.Documents.Count, "document")}, {Counted.Of(ingest.Chunks.Count, "chunk")} of at most {chunking.ChunkTokens} {chunking.Counter.Name}");
        }
        var filter = new FilterOptions { MinQueryWords = p.GetValue(minWords) ?? 4, MaxQueryWords = p.GetValue(maxWords) ?? 64 };
        int s0 = p.GetValue(seed) ?? 42;
        string outputPath = p.GetValue(output)!;
        GeneratedSet set;
        if (llm is not null)
        {
            string journalFile = journalPath ?? DefaultJournal(outputPath);
            using var ctrlC = new GracefulStop("skald: stopping: the requests in flight finish and go to the journal (Ctrl-C again to quit at once)");
            try
            {
                set = LlmGenerator.GenerateAsync(ingest, llm with { QuestionsPerChunk = p.GetValue(perChunk) ?? 2 }, filter, journalFile,
                    quiet ? null : line => Console.WriteLine(line), stop: ctrlC.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (ctrlC.Requested)
            {
                Console.Error.WriteLine($"skald: interrupted; nothing written to {outputPath}, and every chunk answered is in {journalFile}: run the same command again to go on");
                return 130;
            }
        }
        else set = IctGenerator.Generate(ingest.Chunks, new IctOptions
        {
            QueriesPerChunk = p.GetValue(perChunk) ?? 1, HeadingPairs = !p.GetValue(noHeadings), Seed = s0, Filter = filter,
        });
        if (p.GetValue(roundTrip) is { } rt)
        {
            using var dense = rt.Equals("bm25", StringComparison.OrdinalIgnoreCase) ? null
                : Directory.Exists(rt) ? EvaluationEmbeddingModel.Load(rt)
                : throw new InputException($"{rt}: model folder not found (or use --round-trip bm25)");
            ICandidateScorer scorer = dense is null ? new Bm25CandidateScorer(new Bm25Model()) : new DenseCandidateScorer(dense, retrievalScores: true);
            set = RoundTripFilter.Apply(set, scorer, p.GetValue(roundTripK) ?? 10);
        }
        if (set.Queries.Count == 0) throw new InputException(GenerationSummary.NothingSurvived(set, filter, ingest.Chunks.Count));
        var unit = p.GetValue(heldOut) == "documents" ? HeldOutUnit.Documents : HeldOutUnit.Queries;
        var (train, test) = BeirWriter.Write(set, p.GetValue(output)!, p.GetValue(testFraction) ?? 0, s0, unit);
        bool byDocument = unit == HeldOutUnit.Documents && test > 0;
        string trainCorpus = byDocument ? $", {BeirWriter.TrainCorpus} (the training documents' passages: mine negatives from it, not corpus.jsonl)" : "";
        if (!quiet)
        {
            foreach (string line in GenerationSummary.Lines(set, filter, ingest.Chunks.Count)) Console.WriteLine(line);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {p.GetValue(output)}: {Counted.Of(set.Corpus.Count, "passage")}, {Counted.Of(train, "training query", "training queries")}{(test > 0 ? $", {test} held out{(byDocument ? " with their whole documents" : "")} (qrels/test.tsv)" : "")}, pairs.jsonl{trainCorpus}"));
        }
        return 0;
    }

    /// <summary>The journal of an llm run without --journal: OUTPUT.journal.jsonl beside the output folder.</summary>
    private static string DefaultJournal(string output) => Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar) + ".journal.jsonl";

    private LlmSettings LlmSettingsFrom(ParseResult p)
    {
        string url = p.GetValue(llmUrl) ?? throw new UsageException("--generator llm needs --llm URL (an OpenAI-compatible API)");
        string model = p.GetValue(llmModel) ?? throw new UsageException("--generator llm needs --llm-model NAME");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new UsageException($"option --llm must be an http(s) URL, got '{url}'");
        string? lang = p.GetValue(language);
        string key = ApiKey(endpoint, p.GetValue(apiKeyEnv)!);
        return new LlmSettings
        {
            Endpoint = endpoint, Model = model, ApiKey = key, Language = lang,
            Concurrency = p.GetValue(concurrency) ?? 4, MaxRetries = p.GetValue(maxRetries) ?? 6,
            Timeout = TimeSpan.FromSeconds(p.GetValue(timeout) ?? 120), RequestBudget = p.GetValue(maxRequests),
            RetryDelay = TimeSpan.FromSeconds(p.GetValue(retryDelay) ?? 2),
        };
    }

    /// <summary>The API key from <paramref name="variable"/>; a local endpoint may go without one.</summary>
    internal static string ApiKey(Uri endpoint, string variable)
    {
        return LlmSettings.KeyFromEnvironment(endpoint, variable)
            ?? throw new InputException($"environment variable {variable} is not set (the API key for {endpoint.Host}; --api-key-env names another variable)");
    }

    /// <summary>The chunk-length counter: a tokenizer's tokens, or words; <paramref name="option"/> names the option in an error.</summary>
    internal static TokenCounter Counter(string? path, string option = "--tokenizer")
    {
        if (path is null) return TokenCounter.Words;
        string file = TokenizerFile.Resolve(path, option);
        return TokenCounter.For(Tokenizer.FromFile(file), file);
    }
}
