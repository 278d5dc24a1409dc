using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Cli.Commands;
using Skald.Cli.Commands.Index;
using Skald.Cli.IO;
using Skald.Data.Generation;
using Skald.Data.Ingest;
using Skald.Data.IO;
using Skald.Data.Llm;
using Skald.Data.Negatives;
using Skald.Retrieval.Bm25;
using Skald.Evaluation.Models;
using Skald.Training.Data;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Pipeline;

/// <summary>
/// The Skald.Data stages of `skald pipeline`: <c>generate</c> (documents → BEIR folder + pairs.jsonl, plus
/// passages.txt for a tokenizer stage and train-corpus.jsonl for negatives, both without the held-out documents with
/// held_out: documents, and suite.json for a benchmark stage over the held-out queries, <see cref="HeldOutSuite"/>) and
/// <c>mine_negatives</c> (pairs → triplets). Keys are read before any stage runs, like every other stage.
/// </summary>
internal static class DataStages
{
    /// <summary>
    /// Keys: documents (list), generator (ict | llm), tokenizer, chunk_tokens, overlap_tokens, questions_per_chunk,
    /// test_fraction, held_out (queries | documents: what test_fraction holds out), seed, ocr (auto | off: scanned PDF pages), ocr_languages; with generator llm also llm, llm_model,
    /// api_key_env, language, concurrency, max_requests (the request budget of a run, as --max-requests), which
    /// generator ict refuses (<see cref="StageConfig.Unused"/>).
    /// </summary>
    public static Func<string, string> Generate(StageConfig s, Func<string, string> resolve, Action<string> log)
    {
        var documents = s.Keys.FilePathList("documents", required: true);
        string generator = s.Keys.Choice("generator", "ict", "ict", "llm");
        string? tokenizer = s.Keys.Path("tokenizer"); // a file, folder, earlier stage or hub id, as --tokenizer takes (TokenizerFile.Resolve)
        int? chunkGiven = s.Keys.IntOrNull("chunk_tokens", 1), overlapGiven = s.Keys.IntOrNull("overlap_tokens", 0);
        bool ocrOn = s.Keys.Choice("ocr", "auto", "auto", "off") == "auto";
        if (!ocrOn) s.Unused("with ocr off (no page is read by OCR)", "ocr_languages");
        string ocrLanguages = s.Keys.Str("ocr_languages") ?? Skald.Data.Ingest.Readers.Ocr.DefaultLanguages;
        Skald.Data.Ingest.Readers.Ocr ocr;
        try
        {
            ocr = new Skald.Data.Ingest.Readers.Ocr(ocrOn, ocrLanguages);
        }
        catch (Skald.Data.DataException e)
        {
            throw new InputException($"{s.Where}: ocr_languages: {e.Message}");
        }
        int? perChunk = s.Keys.IntOrNull("questions_per_chunk", 1);
        double testFraction = s.Keys.Double("test_fraction", 0.2, 0, 0.99);
        var heldOut = s.Keys.Choice("held_out", "queries", "queries", "documents") == "documents" ? HeldOutUnit.Documents : HeldOutUnit.Queries;
        if (heldOut == HeldOutUnit.Documents && testFraction == 0)
            throw new InputException($"{s.Where}: held_out: documents holds out a share of the documents: test_fraction must be above 0");
        int seed = s.Keys.Int("seed", 42, 0);
        string? url = s.Keys.Str("llm"), model = s.Keys.Str("llm_model");
        string? language = s.Keys.Str("language") is null ? null : s.Keys.Choice("language", "", [.. LlmPrompts.Languages]);
        string keyVariable = s.Keys.Str("api_key_env") ?? "OPENAI_API_KEY";
        int concurrency = s.Keys.Int("concurrency", 4, 1);
        int? maxRequests = StageLlm.MaxRequests(s);
        if (generator == "llm" && (url is null || model is null))
            throw new InputException($"{s.Where}: generator llm needs the keys llm (an OpenAI-compatible base URL) and llm_model");
        if (generator != "llm") s.Unused("with generator ict (only generator llm asks an LLM)", "llm", "llm_model", "api_key_env", "language", "concurrency", "max_requests");
        var endpoint = generator == "llm" ? StageLlm.Endpoint(s, "llm", url!) : null;
        string? key = endpoint is null ? null : StageLlm.ApiKey(s, endpoint, keyVariable);
        return target =>
        {
            string? tokenizerFile = tokenizer is null ? null : TokenizerFile.Resolve(resolve(tokenizer), $"{s.Name}.tokenizer");
            var counter = tokenizerFile is null ? TokenCounter.Words : TokenCounter.For(Skald.Tokenizers.Tokenizer.FromFile(tokenizerFile), tokenizer!);
            int chunkTokens = PassageBudget.Chunk(chunkGiven, tokenizer is null ? null : resolve(tokenizer), line => log("    " + line));
            int overlap = overlapGiven ?? PassageBudget.Overlap(chunkTokens);
            if (overlap >= chunkTokens) throw new InputException($"{s.Where}: overlap_tokens ({overlap}) must be below chunk_tokens ({chunkTokens})");
            var ingest = DocumentIngest.Ingest([.. documents.Select(resolve)], new ChunkOptions { ChunkTokens = chunkTokens, OverlapTokens = overlap, Counter = counter, TitleInBudget = true }, ocr: ocr,
                progress: line => log("    " + line), output: Path.GetDirectoryName(Path.GetFullPath(target))); // OUTPUT, not just OUTPUT/NAME: every stage's output is there
            foreach (var skipped in ingest.Skipped) log($"    skipped {skipped.Path}: {skipped.Reason}");
            foreach (var notice in ingest.Notices) log($"    not read: {notice}");
            GeneratedSet set;
            if (generator == "llm")
            {
                var settings = new LlmSettings
                {
                    Endpoint = endpoint!, Model = model!, ApiKey = key!, Language = language,
                    QuestionsPerChunk = perChunk ?? 2, Concurrency = concurrency,
                    RequestBudget = maxRequests, RequestBudgetName = $"{s.Name}.max_requests",
                };
                string journal = target + ".journal.jsonl";
                set = StageLlm.Drained(s, target, journal, stop =>
                    LlmGenerator.GenerateAsync(ingest, settings, new FilterOptions(), journal, l => log("    " + l), stop: stop).GetAwaiter().GetResult());
            }
            else set = IctGenerator.Generate(ingest.Chunks, new IctOptions { QueriesPerChunk = perChunk ?? 1, Seed = seed });
            if (set.Queries.Count == 0) throw new InputException($"{s.Where}: {GenerationSummary.NothingSurvived(set, new FilterOptions(), ingest.Chunks.Count)}");
            foreach (string line in GenerationSummary.Lines(set, new FilterOptions(), ingest.Chunks.Count)) log("    " + line);
            // The passages training may see, for a tokenizer and for negatives: held out by document, not the held-out
            // documents (the same split again); held out by query, every passage, so train-corpus.jsonl is corpus.jsonl.
            // Written into the folder BeirWriter builds, before it is moved into place: a run killed meanwhile leaves
            // no folder with its pairs.jsonl and a half passages.txt, train-corpus.jsonl or suite.json.
            var passages = heldOut == HeldOutUnit.Documents ? HeldOutSplit.TrainingPassages(set, HeldOutSplit.Choose(set, testFraction, seed, heldOut)) : set.Corpus;
            var (train, test) = BeirWriter.Write(set, target, testFraction, seed, heldOut, dir =>
            {
                File.WriteAllLines(Path.Combine(dir, "passages.txt"), passages.Select(d => d.FullText)); // as the index holds them: heading and text
                if (!File.Exists(Path.Combine(dir, BeirWriter.TrainCorpus))) File.Copy(Path.Combine(dir, "corpus.jsonl"), Path.Combine(dir, BeirWriter.TrainCorpus));
                HeldOutSuite.Write(dir, ingest.Documents.Select(d => d.Text), language);
            });
            log(string.Create(CultureInfo.InvariantCulture, $"    {Counted.Of(ingest.Documents.Count, "document")}, {Counted.Of(set.Corpus.Count, "passage")}, {train} training and {Counted.Of(test, "held-out query", "held-out queries")}"));
            return target;
        };
    }

    /// <summary>
    /// Keys: data (pairs file), model (folder, stage or bm25), corpus (more passages: a corpus.jsonl or .txt),
    /// num_negatives, range_min, range_max, relative_margin (a number or none), absolute_margin, max_score, min_score,
    /// sampling, seed (of sampling random), format (n-tuple-scores: n-tuple with scores), include_positives, query_prompt / query_prompt_name,
    /// corpus_prompt / corpus_prompt_name (<see cref="MiningPrompts"/>), language (model bm25's stemming, what
    /// <c>data mine-negatives --language</c> takes: <see cref="CliOptions.StemmingLanguageProblem"/>). Writes TARGET.jsonl.
    /// </summary>
    public static Func<string, string> MineNegatives(StageConfig s, Func<string, string> resolve)
    {
        string data = s.Keys.FilePath("data", required: true)!, model = s.Keys.Path("model", required: true)!;
        string? corpus = s.Keys.FilePath("corpus");
        string relative = s.Keys.Str("relative_margin") ?? "0.05";
        var options = new MiningOptions
        {
            NumNegatives = s.Keys.Int("num_negatives", 3, 1),
            RangeMin = s.Keys.Int("range_min", 0, 0),
            RangeMax = s.Keys.IntOrNull("range_max", 1),
            RelativeMargin = relative == "none" ? null : double.TryParse(relative, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) ? r
                : throw new InputException($"{s.Keys.Where("relative_margin")}: expected a number or none"),
            AbsoluteMargin = s.Keys.Str("absolute_margin") is null ? null : s.Keys.Double("absolute_margin", 0, double.MinValue),
            MaxScore = s.Keys.Str("max_score") is null ? null : s.Keys.Double("max_score", 0, double.MinValue),
            MinScore = s.Keys.Str("min_score") is null ? null : s.Keys.Double("min_score", 0, double.MinValue),
            Sampling = s.Keys.Choice("sampling", "top", "top", "random") == "random" ? SamplingStrategy.Random : SamplingStrategy.Top,
            Format = HardNegativeMiner.ParseFormat(s.Keys.Choice("format", "triplet", HardNegativeMiner.FormatNames), out bool scores),
            Scores = scores, IncludePositives = s.Keys.Bool("include_positives", false),
            Seed = s.Keys.Int("seed", 42, 0), // sampling random: Python's random.seed(seed), as data mine-negatives --seed
        };
        if (options.IncludePositives && options.Format != MiningFormat.NTuple)
            throw new InputException($"{s.Keys.Where("include_positives")}: include_positives writes format n-tuple (the ranking in order)");
        var prompts = new MiningPrompts(s.Keys.Str("query_prompt"), s.Keys.Str("query_prompt_name"), s.Keys.Str("corpus_prompt"), s.Keys.Str("corpus_prompt_name"));
        bool bm25 = model.Equals("bm25", StringComparison.OrdinalIgnoreCase);
        if (!bm25) s.Unused("with an embedding model (it picks BM25's stemmer: model bm25)", "language");
        string? language = s.Keys.Str("language");
        if (CliOptions.StemmingLanguageProblem(language, perDocument: true) is { } problem)
            throw new InputException($"{s.Keys.Where("language")}: {s.Name}.language {language}{problem}");
        return target =>
        {
            var set = DatasetReader.Read(resolve(data)).WithoutLists("mine-negatives");
            var extra = corpus is null ? null : DataMineNegativesCommand.ReadCorpus(resolve(corpus));
            using var encoder = bm25 ? null : Skald.Models.SentenceEncoder.Load(resolve(model));
            using var embedder = encoder is null ? null : new EvaluationEmbeddingModel(encoder, resolve(model), prompts.Apply(new EvaluationEmbeddingOptions(), encoder.Folder.Prompts, model));
            ICandidateScorer scorer = embedder is null ? new Bm25CandidateScorer(new Bm25Model(new Bm25Options { DocumentLanguage = IndexSources.GuessedLanguage }), language) : new DenseCandidateScorer(embedder);
            var mined = HardNegativeMiner.Mine([.. set.Rows.Select(row => (row[0], row[1]))], (set.Columns[0], set.Columns[1]), scorer, options, extra);
            string file = target + ".jsonl";
            MinedDataWriter.Write(mined, file);
            return file;
        };
    }
}
