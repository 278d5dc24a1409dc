using System.Globalization;
using Skald.Cli.Commands;
using Skald.Cli.IO;
using Skald.Data.Llm;
using Skald.Data.Translate;
using Skald.Evaluation.Generation;
using Skald.Models;
using Skald.Models.Generation;

namespace Skald.Cli.Pipeline;

/// <summary>
/// The instruction-tuning stages of `skald pipeline` (issue 14's study, configs/instruction-study.yaml):
/// <c>translate</c> (a data file's columns into another language, apertium or an OpenAI-compatible LLM),
/// <c>answer</c> (a decoder answers a generation task's prompts) and <c>evaluate_generation</c> (ROUGE-L, BERTScore and
/// an LLM judge over the answer stages). SFT itself is a <c>train</c> stage with a <c>loss.type: causal_lm</c> config.
/// Keys are read before any stage runs, like every other stage.
/// </summary>
internal static class StudyStages
{
    /// <summary>
    /// Keys: data, from, to, columns (list; default every column), engine (apertium | llm), llm, llm_model,
    /// api_key_env, concurrency, max_requests (the request budget of a run, as --max-requests), which engine apertium
    /// refuses (<see cref="StageConfig.Unused"/>). Writes TARGET.jsonl (the translated rows).
    /// </summary>
    public static Func<string, string> Translate(StageConfig s, Func<string, string> resolve, Action<string> log)
    {
        string data = s.Keys.FilePath("data", required: true)!;
        s.Keys.Str("from", required: true);
        s.Keys.Str("to", required: true);
        string from = s.Keys.Choice("from", "", [.. LlmPrompts.Languages]), to = s.Keys.Choice("to", "", [.. LlmPrompts.Languages]);
        var columns = s.Keys.NameList("columns"); // (names, not paths: a column may share a later stage's name)
        string engine = s.Keys.Choice("engine", "apertium", "apertium", "llm");
        string? url = s.Keys.Str("llm"), model = s.Keys.Str("llm_model");
        string keyVariable = s.Keys.Str("api_key_env") ?? "OPENAI_API_KEY";
        int concurrency = s.Keys.Int("concurrency", 4, 1);
        int? maxRequests = StageLlm.MaxRequests(s);
        if (engine == "llm" && (url is null || model is null))
            throw new InputException($"{s.Where}: engine llm needs the keys llm (an OpenAI-compatible base URL) and llm_model");
        if (engine != "llm") s.Unused("with engine apertium (only engine llm asks an LLM)", "llm", "llm_model", "api_key_env", "concurrency", "max_requests");
        var endpoint = engine == "llm" ? StageLlm.Endpoint(s, "llm", url!) : null;
        string? key = endpoint is null ? null : StageLlm.ApiKey(s, endpoint, keyVariable);
        ApertiumTranslator? apertium = null;
        try
        {
            // The language pair (and for apertium the program and its pair) is checked before any stage runs.
            if (engine == "llm") LlmTranslator.Prompt(from, to, "");
            else apertium = ApertiumTranslator.Create(from, to);
        }
        catch (Data.DataException e)
        {
            throw new InputException($"{s.Keys.Where("to")}: {e.Message}");
        }
        return target =>
        {
            string file = target + ".jsonl", input = resolve(data);
            var cols = columns.Count > 0 ? columns : Skald.Data.Translate.DatasetTranslator.TextColumns(input);
            int n;
            if (engine == "llm")
            {
                var settings = new LlmSettings
                {
                    Endpoint = endpoint!, Model = model!, ApiKey = key!, Concurrency = concurrency,
                    RequestBudget = maxRequests, RequestBudgetName = $"{s.Name}.max_requests",
                };
                string journal = target + ".journal.jsonl";
                // one client and one Ctrl-C for the stage's run, as data translate has: pieces translated again in a
                // second call count against the same budget, and a server restarting during it is waited for; the file
                // is written after the last call, so a stop in any call leaves nothing written
                n = StageLlm.Drained(s, file, journal, stop =>
                {
                    var client = new LlmQuestionClient(settings, stop);
                    return DatasetTranslator.Translate(input, file, cols, texts => LlmTranslator.TranslateAsync(texts, from, to, client, journal,
                        l => log("    " + l), stop: stop).GetAwaiter().GetResult(), parallel: false);
                });
            }
            else n = DatasetTranslator.Translate(input, file, cols, texts => apertium!.Translate(texts), parallel: false);
            log(string.Create(CultureInfo.InvariantCulture, $"    {n} rows translated {from} → {to} ({engine})"));
            return file;
        };
    }

    /// <summary>
    /// Keys: model (a decoder folder or hub id, or a train stage that saved merged weights), adapters (LoRA adapter
    /// folders, hub ids or train stages, merged into the model in order), task (JSONL of id, prompt, reference), max_new_tokens, prompt_format (auto | chat_template | alpaca | plain), batch_size,
    /// quantize (float32 | int8 | bf16: the decoder's Linear layers and LM head in int8 or bfloat16, as skald generate --quantize), weights
    /// (f32 | bf16 | f16: the weight matrices held in 16 bits, as skald generate --weights). Greedy decoding.
    /// Writes TARGET.jsonl (<c>{"id", "text"}</c>, the --predictions format); finished batches go to TARGET.journal.jsonl
    /// until then, so a killed pipeline run that is started again answers only the rest (a journal of other settings is
    /// started over).
    /// </summary>
    public static Func<string, string> Answer(StageConfig s, Func<string, string> resolve, Action<string> log)
    {
        string model = s.Keys.Path("model", required: true)!, task = s.Keys.FilePath("task", required: true)!;
        var adapters = s.Keys.PathList("adapters");
        var options = new GenerationOptions { MaxNewTokens = s.Keys.Int("max_new_tokens", 128, 1), Temperature = 0 };
        string format = s.Keys.Choice("prompt_format", "auto", GenerationPredictions.Formats);
        int batchSize = s.Keys.Int("batch_size", 8, 1);
        string? quantize = s.Keys.Choice("quantize", "float32", "float32", "int8", "bf16") is var q && q != "float32" ? q : null;
        var weights = Commands.InfoCommand.Precision(s.Keys.Choice("weights", "f32", "f32", "bf16", "f16"));
        return target =>
        {
            string taskPath = resolve(task);
            var rows = ReadTask(taskPath);
            string file = target + ".jsonl", journal = target + ".journal.jsonl";
            // a folder, an earlier stage, or a hub id (fetched into the hub cache, as skald generate takes it)
            var answers = GenerationPredictions.Generate(Skald.Hub.HubResolver.Locate(resolve(model)),
                [.. adapters.Select(a => Skald.Hub.HubResolver.Locate(resolve(a)))], taskPath, rows, format, options, batchSize, m => log("    " + m), quantize, weights,
                journal);
            GenerationPredictions.Write(file, rows, answers);
            File.Delete(journal);
            return file;
        };
    }

    /// <summary>
    /// Keys: task, systems (answer stages or prediction files; a stage is named by its name), metrics (list of rougeL,
    /// bertscore, judge), bertscore_model, bertscore_idf, judge (an OpenAI-compatible base URL), judge_model,
    /// api_key_env, max_requests (the judge's request budget of a run), preferences; the judge's keys without the
    /// metric judge, and bertscore's without bertscore, are refused (<see cref="StageConfig.Unused"/>). Writes TARGET.json (the report) and
    /// TARGET.md, and logs the Markdown.
    /// </summary>
    public static Func<string, string> Evaluate(StageConfig s, Func<string, string> resolve, Action<string> log)
    {
        string task = s.Keys.FilePath("task", required: true)!;
        var systems = s.Keys.FilePathList("systems", required: true);
        // a system is named by its stage (a name has no '/' or '.') or its file's name without the extension: two of a
        // name are found now, not when the stages before this one have run
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var system in systems)
        {
            if (!names.Add(Path.GetFileNameWithoutExtension(system)))
                throw new InputException($"{s.Keys.Where("systems")}: system '{Path.GetFileNameWithoutExtension(system)}' given twice");
        }
        var metrics = s.Keys.PathList("metrics") is { Count: > 0 } m ? m : ["rougeL"];
        foreach (var metric in metrics)
        {
            if (GenerationEvaluator.UnknownMetric(metric) is { } why) throw new InputException($"{s.Keys.Where("metrics")}: {why}");
        }
        string? bertModel = s.Keys.Path("bertscore_model");
        bool idf = s.Keys.Bool("bertscore_idf", false);
        string? judge = s.Keys.Str("judge"), judgeModel = s.Keys.Str("judge_model"), preferences = s.Keys.FilePath("preferences");
        string keyVariable = s.Keys.Str("api_key_env") ?? "OPENAI_API_KEY";
        int? maxRequests = StageLlm.MaxRequests(s);
        if (metrics.Contains("bertscore") && bertModel is null) throw new InputException($"{s.Where}: metric bertscore needs the key bertscore_model");
        if (metrics.Contains("judge") && (judge is null || judgeModel is null))
            throw new InputException($"{s.Where}: metric judge needs the keys judge (an OpenAI-compatible base URL) and judge_model");
        if (!metrics.Contains("judge")) s.Unused("without the metric judge (only it asks an LLM)", "judge", "judge_model", "api_key_env", "max_requests");
        if (!metrics.Contains("bertscore")) s.Unused("without the metric bertscore", "bertscore_model", "bertscore_idf");
        var judgeEndpoint = judge is null ? null : StageLlm.Endpoint(s, "judge", judge);
        string? judgeKey = judgeEndpoint is null ? null : StageLlm.ApiKey(s, judgeEndpoint, keyVariable);
        return target =>
        {
            try
            {
                string json = target + ".json", md = target + ".md";
                AtomicFile.CheckWritable(json); // both before any scoring (a judge is paid per answer), not one after the other
                AtomicFile.CheckWritable(md);
                string taskPath = resolve(task);
                var rows = ReadTask(taskPath);
                var predictions = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
                foreach (var system in systems)
                {
                    string path = resolve(system);
                    string name = path == system ? Path.GetFileNameWithoutExtension(system) : system;
                    if (!predictions.TryAdd(name, GenerationFiles.ReadPredictions(path))) throw new InputException($"{s.Keys.Where("systems")}: system '{name}' given twice");
                }
                var humanPreferences = preferences is null ? null : GenerationFiles.ReadPreferences(resolve(preferences));
                using var bertEncoder = bertModel is null ? null : SentenceEncoder.Load(resolve(bertModel));
                var bert = bertEncoder is null ? null : new BertScorer(bertEncoder, idf);
                string judgeCache = target + ".judge.jsonl";
                GenerationReport Score(CancellationToken stop)
                {
                    using var judgeClient = judgeEndpoint is null ? null : new LlmAnswerJudge(
                        new LlmSettings
                        {
                            Endpoint = judgeEndpoint, Model = judgeModel!, ApiKey = judgeKey!,
                            RequestBudget = maxRequests, RequestBudgetName = $"{s.Name}.max_requests",
                        }, judgeCache, stop);
                    return new GenerationEvaluator { Metrics = metrics, BertScore = bert, Judge = judgeClient }
                        .EvaluateAsync(rows, predictions, humanPreferences).GetAwaiter().GetResult();
                }
                // with a judge, Ctrl-C lets its request in flight finish into the judge's cache and writes no report
                var report = judgeEndpoint is null ? Score(CancellationToken.None) : StageLlm.Drained(s, json, judgeCache, Score);
                string markdown = report.ToMarkdown();
                AtomicFile.Write(json, f => f.Write(System.Text.Encoding.UTF8.GetBytes(report.ToJson())));
                AtomicFile.Write(md, f => f.Write(System.Text.Encoding.UTF8.GetBytes(markdown)));
                foreach (var line in markdown.TrimEnd().Split('\n')) log("    " + line);
                return json;
            }
            catch (Retrieval.EvaluationException e)
            {
                throw new InputException(e.Message);
            }
        };
    }

    private static IReadOnlyList<GenerationRow> ReadTask(string path)
    {
        try
        {
            return GenerationFiles.ReadTask(path);
        }
        catch (Retrieval.EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }
}
