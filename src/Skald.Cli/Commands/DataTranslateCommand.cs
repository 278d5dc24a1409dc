using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Data.Llm;
using Skald.Data.Translate;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary><c>skald data translate</c>: chosen columns of a data set from one Scandinavian language to another (Apertium or an LLM endpoint).</summary>
internal sealed class DataTranslateCommand : Command
{
    private readonly Option<string> data = CliOptions.Text("--data", "Data file (JSONL/CSV/TSV/Parquet/TXT)", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Translated data (.jsonl)", "FILE", required: true);
    private readonly Option<string> from = CliOptions.Choice("--from", "Source language", null, [.. LlmPrompts.Languages]);
    private readonly Option<string> to = CliOptions.Choice("--to", "Target language", null, [.. LlmPrompts.Languages]);
    private readonly Option<string> columns = CliOptions.Text("--columns", "Columns to translate, comma-separated (default: every text column but ids: _id, id, *_id, *-id)", "COL[,COL...]");
    private readonly Option<string> engine = CliOptions.Choice("--engine", "apertium: Debian's rule-based pairs (apertium-nno-nob, apertium-dan-nor, apertium-swe-nor, apertium-swe-dan); llm: an OpenAI-compatible endpoint (--llm, --llm-model)", "apertium", "apertium", "llm");
    private readonly Option<string> llmUrl = CliOptions.Text("--llm", "llm: base URL of an OpenAI-compatible API", "URL");
    private readonly Option<string> llmModel = CliOptions.Text("--llm-model", "llm: model name", "NAME");
    private readonly Option<string> apiKeyEnv = CliOptions.Text("--api-key-env", "llm: environment variable holding the API key (a local endpoint needs none)", "VAR", "OPENAI_API_KEY");
    private readonly Option<int?> concurrency = CliOptions.Int("--concurrency", "llm: requests in flight at once", defaultValue: 4);
    private readonly Option<int?> maxRequests = CliOptions.Int("--max-requests", "llm: request budget of this run (retries included)");
    private readonly Option<string> journal = CliOptions.Text("--journal", "llm: resume journal (default: OUTPUT.journal.jsonl)", "FILE");
    private readonly Option<bool> parallel = CliOptions.Flag("--parallel", "Write (anchor = original, positive = translation) pairs instead of the translated rows");

    public DataTranslateCommand() : base("translate", "Translate columns of a data set between Bokmål, Nynorsk, Danish and Swedish")
    {
        foreach (var o in new Option[] { data, output, from, to, columns, engine, parallel, llmUrl, llmModel, apiKeyEnv, concurrency, maxRequests, journal }) Options.Add(o);
        SetAction(p =>
        {
            string src = p.GetValue(from)!, dst = p.GetValue(to)!, input = p.GetValue(data)!, outputPath = p.GetValue(output)!;
            bool quiet = p.GetValue(CliOptions.Quiet);
            OutputPath.NotAnInput(outputPath, input); // the translation written over the rows it was made from
            Func<IReadOnlyList<string>, List<string>> translate;
            string engineName;
            string? journalPath = null;
            GracefulStop? ctrlC = null;
            if (p.GetValue(engine) == "llm")
            {
                LlmTranslator.Prompt(src, dst, ""); // an unknown pair before anything else
                string url = p.GetValue(llmUrl) ?? throw new UsageException("--engine llm needs --llm URL (an OpenAI-compatible API)");
                string model = p.GetValue(llmModel) ?? throw new UsageException("--engine llm needs --llm-model NAME");
                if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
                    throw new UsageException($"option --llm must be an http(s) URL, got '{url}'");
                var settings = new LlmSettings
                {
                    Endpoint = endpoint, Model = model, ApiKey = DataGenerateCommand.ApiKey(endpoint, p.GetValue(apiKeyEnv)!),
                    Concurrency = p.GetValue(concurrency) ?? 4, RequestBudget = p.GetValue(maxRequests),
                };
                string journalFile = p.GetValue(journal) is { } j ? CliOptions.FileTarget("--journal", j) : Path.GetFullPath(outputPath) + ".journal.jsonl";
                OutputPath.NotAnInputOf("--journal", journalFile, input, outputPath); // opening a journal cuts an unterminated last line
                journalPath = journalFile;
                ctrlC = new GracefulStop("skald: stopping: the requests in flight finish and go to the journal (Ctrl-C again to quit at once)");
                var stop = ctrlC.Token;
                // one client for the run: pieces translated again in a second call count against the same budget, and
                // a server restarting during it is waited for (the endpoint has answered), not taken for a wrong address
                var client = new LlmQuestionClient(settings, stop);
                translate = texts => LlmTranslator.TranslateAsync(texts, src, dst, client, journalFile, quiet ? null : Console.WriteLine, stop: stop)
                    .GetAwaiter().GetResult();
                engineName = $"llm {model}";
            }
            else
            {
                var translator = ApertiumTranslator.Create(src, dst);
                translate = texts => translator.Translate(texts);
                engineName = $"apertium {translator.Mode}";
            }
            var cols = CliOptions.Items(p.GetValue(columns));
            if (cols.Length == 0) cols = [.. DatasetTranslator.TextColumns(input)];
            int n, unchanged;
            using (ctrlC)
            {
                try
                {
                    n = DatasetTranslator.Translate(input, outputPath, cols, translate, p.GetValue(parallel), out unchanged);
                }
                catch (OperationCanceledException) when (ctrlC?.Requested == true)
                {
                    Console.Error.WriteLine($"skald: interrupted; nothing written to {outputPath}, and every text translated is in {journalPath}: run the same command again to go on");
                    return 130;
                }
            }
            if (!quiet)
                Console.WriteLine($"wrote {Counted.Of(n, "row")} to {outputPath} ({engineName}){(unchanged > 0 ? $"; {Counted.Of(unchanged, "text")} left out: the translation is the original" : "")}");
            return 0;
        });
    }
}
