using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Data.Llm;
using Skald.Evaluation.Generation;
using Skald.Models;
using Skald.Retrieval;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald evaluate --type generation</c>: the task's (id, prompt, reference) rows, one or more prediction files
/// (<c>--predictions FILE</c> or <c>NAME=FILE</c>, repeatable: each a system), the metrics (ROUGE-L, BERTScore over a
/// Skald encoder, an LLM judge on an OpenAI-compatible endpoint), optionally human preferences; prints a Markdown
/// report and writes the JSON report (<c>--output</c> or stdout). With <c>--model DIR</c> the model answers the prompts
/// itself first (<see cref="GenerationPredictions"/>: greedy, the prompt written as SFT writes it) and is one more system.
/// </summary>
internal sealed class GenerationEvaluation
{
    public Option<string[]> Predictions { get; } = new("--predictions")
    {
        Description = "Generation: predictions JSONL ({\"id\", \"text\"}), FILE or NAME=FILE; repeat for several systems", HelpName = "[NAME=]FILE",
    };

    public Option<string> Metrics { get; } = CliOptions.Text("--metrics", "Generation: metrics, comma-separated (rougeL, bertscore, judge)", "LIST", "rougeL");

    public Option<string> BertScoreModel { get; } = CliOptions.Text("--bertscore-model", "Generation: encoder folder whose token states BERTScore matches", "DIR");

    public Option<bool> BertScoreIdf { get; } = CliOptions.Flag("--bertscore-idf", "Generation: weight BERTScore's tokens by their idf over the references");

    public Option<string> BertScoreBaseline { get; } = CliOptions.Text("--bertscore-baseline", "Generation: baseline CSV (LAYER,P,R,F) to rescale BERTScore with", "FILE");

    public Option<string> Judge { get; } = CliOptions.Text("--judge", "Generation: judge endpoint and model, URL#MODEL (OpenAI-compatible)", "URL#MODEL");

    public Option<string> JudgeCache { get; } = CliOptions.Text("--judge-cache", "Generation: the judge's reply cache (JSONL; default: next to the task file)", "FILE");

    public Option<int?> MaxRequests { get; } = CliOptions.Int("--max-requests",
        "Generation with --metrics judge: the judge's request budget of this run (retries included); its cache keeps what was done");

    public Option<string> Preferences { get; } = CliOptions.Text("--preferences", "Generation: human preferences JSONL ({\"id\", \"a\", \"b\", \"winner\": a, b, a system's name or tie}) for pairwise accuracy", "FILE");

    public Option<int?> MaxNewTokens { get; } = CliOptions.Int("--max-new-tokens", "Generation with --model: most tokens per answer (greedy decoding)", defaultValue: 128);

    public Option<string> PromptFormat { get; } = CliOptions.OptionalChoice("--prompt-format",
        "Generation with --model: how a prompt is written, as SFT writes it (default auto: the model's chat template when it has one, else Alpaca's)", GenerationPredictions.Formats);

    public Option<string> Adapters { get; } = CliOptions.Text("--adapters", "Generation with --model: PEFT LoRA adapter folders (e.g. an SFT run's) merged into it in order, comma-separated", "DIR[,DIR...]");

    public Option<string> SavePredictions { get; } = CliOptions.Text("--save-predictions", "Generation with --model: also write the model's answers here ({\"id\", \"text\"} JSONL)", "FILE");

    public Option<string> Weights { get; } = CliOptions.Choice("--weights",
        "Generation with --model: how its weight matrices are held, as skald generate --weights (f32; bf16 / f16: half the memory, computed in float32)",
        "f32", "f32", "bf16", "f16");

    /// <summary>The options this adds to <c>evaluate</c>.</summary>
    public IEnumerable<Option> Options => [Predictions, Metrics, BertScoreModel, BertScoreIdf, BertScoreBaseline, Judge, JudgeCache, MaxRequests, Preferences,
        MaxNewTokens, PromptFormat, Adapters, SavePredictions, Weights];

    /// <summary>Runs the evaluation (<paramref name="model"/>: a decoder folder or hub id that answers too); returns the exit code.</summary>
    public int Run(ParseResult p, string taskPath, string? outputPath, string? model, int batchSize, string? quantize)
    {
        var files = p.GetValue(Predictions) ?? [];
        bool quiet = p.GetValue(CliOptions.Quiet);
        if (files.Length == 0 && model is null)
            throw new UsageException("--type generation needs --model DIR (a decoder that answers the prompts) or --predictions FILE (repeat it, as NAME=FILE, for several systems)");
        if (model is null && (p.GetValue(PromptFormat) is not null || p.GetValue(SavePredictions) is not null || p.GetValue(Adapters) is not null || quantize is not null))
            throw new UsageException("--prompt-format, --adapters, --save-predictions and --quantize apply with --model only");
        var metrics = CliOptions.Items(p.GetValue(Metrics) ?? "rougeL");
        if (metrics.Length == 0) throw new UsageException($"option --metrics: no metrics given (known: {string.Join(", ", GenerationEvaluator.KnownMetrics)})");
        foreach (var m in metrics)
        {
            if (GenerationEvaluator.UnknownMetric(m) is { } why) throw new UsageException($"option --metrics: {why}");
        }
        var systemFiles = files.Select(SystemFile).ToList();
        // the files read: neither the report nor the saved answers may replace one (the task is EvaluateCommand's check)
        string?[] read = [taskPath, .. systemFiles.Select(s => s.Path), p.GetValue(Preferences), p.GetValue(BertScoreBaseline)];
        if (outputPath is not null) OutputPath.NotAnInput(outputPath, read);
        string? save = p.GetValue(SavePredictions);
        if (save is not null)
        {
            OutputPath.NotAnInputOf("--save-predictions", save, read);
            AtomicFile.CheckWritable(save); // before the model answers, not after
        }
        if (!metrics.Contains("judge") && p.GetValue(MaxRequests) is not null) throw new UsageException("--max-requests applies with --metrics judge only");
        var judging = metrics.Contains("judge") ? JudgeSettings(p, taskPath, [.. read, outputPath, save]) : default;
        try
        {
            var task = GenerationFiles.ReadTask(taskPath);
            var systems = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
            foreach (var (name, path) in systemFiles)
            {
                if (!systems.TryAdd(name, GenerationFiles.ReadPredictions(path))) throw new UsageException($"--predictions: system '{name}' given twice");
            }
            var preferences = p.GetValue(Preferences) is { } pref ? GenerationFiles.ReadPreferences(pref) : null;
            if (preferences is not null && model is null) GenerationEvaluator.CheckPreferences(preferences, [.. systems.Keys], task);
            if (model is not null)
            {
                string folder = HubModels.Resolve(model, quiet);
                var adapterFolders = HubModels.ResolveAll(CliOptions.AdapterFolders(p.GetValue(Adapters)), quiet);
                if (outputPath is not null) OutputPath.NotAFileOf("--output", outputPath, [folder, .. adapterFolders]);
                if (save is not null) OutputPath.NotAFileOf("--save-predictions", save, [folder, .. adapterFolders]);
                string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
                if (systems.ContainsKey(name)) throw new UsageException($"--predictions: system '{name}' is also the --model's name");
                if (preferences is not null) GenerationEvaluator.CheckPreferences(preferences, [.. systems.Keys, name], task); // before the model answers
                var options = new Models.Generation.GenerationOptions { MaxNewTokens = p.GetValue(MaxNewTokens) ?? 128, Temperature = 0 };
                var answers = GenerationPredictions.Generate(folder, adapterFolders, taskPath, task, p.GetValue(PromptFormat) ?? "auto", options, batchSize, m => Terminal.Log(m, quiet), quantize,
                    InfoCommand.Precision(p.GetValue(Weights)));
                if (save is not null) GenerationPredictions.Write(save, task, answers);
                systems.Add(name, answers);
            }
            BertScorer? bert = null;
            using var encoder = metrics.Contains("bertscore")
                ? SentenceEncoder.Load(HubModels.Resolve(p.GetValue(BertScoreModel) ?? throw new UsageException("--metrics bertscore needs --bertscore-model DIR"), quiet))
                : null;
            if (encoder is not null)
            {
                var baseline = p.GetValue(BertScoreBaseline) is { } b ? Evaluation.Generation.BertScoreBaseline.Read(b, encoder.Transformer.Config.NumLayers) : null;
                bert = new BertScorer(encoder, p.GetValue(BertScoreIdf), baseline);
            }
            // with a judge, the first Ctrl-C lets its request in flight finish into the cache, then stops without a report
            using var ctrlC = judging.Settings is null ? null
                : new GracefulStop("skald: stopping: the judge's request in flight finishes and goes to its cache (Ctrl-C again to quit at once)");
            GenerationReport? report;
            using (var judge = judging.Settings is { } settings ? new LlmAnswerJudge(settings, judging.Cache, ctrlC!.Token) : null)
            {
                try
                {
                    report = new GenerationEvaluator { Metrics = metrics, BertScore = bert, Judge = judge }
                        .EvaluateAsync(task, systems, preferences).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (ctrlC?.Requested == true)
                {
                    report = null;
                }
            }
            if (report is null || ctrlC?.Requested == true)
            {
                Console.Error.WriteLine($"skald: interrupted; no report written, and every verdict received is in {judging.Cache}: run the same command again to go on");
                return 130;
            }
            string json = report.ToJson();
            if (outputPath is null) Console.WriteLine(json);
            else AtomicFile.Write(outputPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
            Terminal.Log(report.ToMarkdown().TrimEnd(), quiet);
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
        catch (Data.DataException e)
        {
            throw new InputException(e.Message);
        }
    }

    // --predictions FILE (the system is the file's name) or NAME=FILE
    private static (string Name, string Path) SystemFile(string value)
    {
        int eq = value.IndexOf('=');
        var system = eq > 0 ? (value[..eq], value[(eq + 1)..]) : (System.IO.Path.GetFileNameWithoutExtension(value), value);
        return system.Item2.Trim().Length > 0 ? system : throw new UsageException($"option --predictions '{value}': no file named (FILE or NAME=FILE)");
    }

    // The judge's endpoint and model, and its cache (a journal it appends to and cuts a torn last line from: never a
    // file the command reads or writes); option mistakes before any work.
    private (LlmSettings? Settings, string Cache) JudgeSettings(ParseResult p, string taskPath, string?[] files)
    {
        string spec = p.GetValue(Judge) ?? throw new UsageException("--metrics judge needs --judge URL#MODEL");
        int hash = spec.LastIndexOf('#');
        if (hash <= 0 || hash == spec.Length - 1 || !Uri.TryCreate(spec[..hash], UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new UsageException($"option --judge must be URL#MODEL (an http(s) OpenAI-compatible endpoint and a model name), got '{spec}'");
        string cache = p.GetValue(JudgeCache) is { } given ? CliOptions.FileTarget("--judge-cache", given)
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(taskPath))!, Path.GetFileNameWithoutExtension(taskPath) + ".judge.jsonl");
        OutputPath.NotAnInputOf("--judge-cache", cache, files);
        var settings = new LlmSettings
        {
            Endpoint = endpoint, Model = spec[(hash + 1)..], ApiKey = DataGenerateCommand.ApiKey(endpoint, "OPENAI_API_KEY"),
            RequestBudget = p.GetValue(MaxRequests),
        };
        return (settings, cache);
    }
}
