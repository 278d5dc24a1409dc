using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models.Generation;
using Skald.Tokenizers.Templates;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald generate</c>: continues each input row's prompt with a decoder LLM (KV-cached causal decoding, greedy or
/// sampled; <see cref="TextGenerator"/>) and writes one <c>{"ids", "text", "finish_reason"}</c> per row (with
/// <c>--logprobs</c> a <c>"logprobs"</c> too, <see cref="GenerationLogProbsJson"/>), in input order, atomically;
/// <c>--json</c> / <c>--json-schema FILE</c> constrain each row's text to a JSON object (<see cref="OutputFormat"/>), as
/// the server's response_format does. <c>messages</c> rows go through the model's chat template (<see cref="ChatTemplateFormatter"/>). A single prompt streams its text to a terminal (or with --stream); tokens/s go to stderr.
/// Each finished batch goes to a resume journal (<see cref="GenerateJournal"/>, OUTPUT.journal.jsonl or --journal), so
/// a run that is killed and started again decodes only the batches it had not finished (<see cref="JournaledGeneration"/>),
/// to the same bytes; the journal is deleted once the output is written.
/// </summary>
internal sealed class GenerateCommand : Command
{
    private const int MaxTopLogProbs = 20; // OpenAI's and vLLM's limit for chat, as skald serve's

    private readonly Option<string> model = CliOptions.Text("--model", "Decoder model folder (config.json, safetensors with an LM head, tokenizer.json), or a hub id org/name[@revision]", "DIR|ID", required: true);
    private readonly Option<string> adapters = CliOptions.Text("--adapters", "PEFT LoRA adapter folders (e.g. an SFT run's) merged into the model in order, comma-separated", "DIR[,DIR...]");
    private readonly Option<string> input = CliOptions.Text("--input", "Prompts, .jsonl: one {\"prompt\": TEXT}, {\"ids\": [...]} (token ids as given) or {\"messages\": [...]} per line", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "One {\"ids\": [...], \"text\": ..., \"finish_reason\": stop|length|eos} per input row (.jsonl)", "FILE", required: true);
    private readonly Option<int?> maxNewTokens = CliOptions.Int("--max-new-tokens", "Most tokens to generate per prompt", defaultValue: 128);
    private readonly Option<double?> temperature = CliOptions.Number("--temperature", "0: greedy decoding; > 0: sample at this temperature", v => v >= 0 && float.IsFinite((float)v), "a number ≥ 0 within float range (≤ 3.4e38)", 0.0, "T");
    private readonly Option<int?> topK = CliOptions.Int("--top-k", "When sampling, keep only the K most likely tokens", helpName: "K");
    private readonly Option<double?> topP = CliOptions.Number("--top-p", "When sampling, keep the most likely tokens whose probabilities add up to P", v => (float)v > 0 && v <= 1, "a number in (0, 1] within float range (≥ 1.4e-45)", helpName: "P");
    private readonly Option<double?> repetitionPenalty = CliOptions.Number("--repetition-penalty", "Divide positive / multiply negative logits of tokens already in the sequence by this (1: off)", v => (float)v > 0 && float.IsFinite((float)v), "a number > 0 within float range (1.4e-45 to 3.4e38)", helpName: "X");
    private readonly Option<string[]> stop = new("--stop") { Description = "Stop a row when its generated text contains this (cut before it); repeatable", HelpName = "TEXT" };
    private readonly Option<int?> seed = CliOptions.Int("--seed", "Sampling seed (each row draws from its own stream)", min: 0, defaultValue: 0);
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Prompts decoded together (left-padded)", defaultValue: 8);
    private readonly Option<string> quantize = CliOptions.OptionalChoice("--quantize",
        "int8: multiply the Linear layers and the LM head with int8 weights (one scale per output row) and activations " +
        "quantised per token, the float32 copies dropped: a decoding step reads a quarter of the weight bytes (about 3x " +
        "the tokens/s on a CPU); the logits move by the quantisation error, so greedy text can differ from float32's. " +
        "AMX, AVX512-VNNI, AVX-512BW, AVX-VNNI or AVX2, else float32 with a notice. bf16: the Linear layers and the LM head " +
        "in bfloat16 (weights held as bfloat16 panels only, activations rounded to bfloat16, sums in float32 with " +
        "vdpbf16ps, or AMX tdpbf16ps tiles where the CPU has AMX-BF16, like torch.autocast on CPU); AVX512-BF16 (AMD Zen 4+, Intel Sapphire Rapids+), else float32 with a notice", "int8", "bf16");
    private readonly Option<string> weights = CliOptions.Choice("--weights",
        "How the weight matrices are held in memory: f32, or bf16 / f16 (half the memory, computed in float32; a BF16 " +
        "checkpoint, as most decoders are released, is kept exactly, wider ones are rounded; adapters merged in float32 " +
        "then rounded). With bf16 a decoding step reads half the bytes (about 1.8x the tokens/s on a CPU); f16 " +
        "halves the memory too, but its widening takes more instructions: faster than f32 at batch 1 only", "f32", "f32", "bf16", "f16");
    private readonly Option<string> journal = CliOptions.Text("--journal",
        "Resume journal: each finished batch's rows are appended to it, a rerun of the same command skips them, and it is deleted once the output is written (default: OUTPUT.journal.jsonl beside the output)", "FILE");
    private readonly Option<bool> logProbs = CliOptions.Flag("--logprobs",
        "Write each new token's log-probability in the row's \"logprobs\" (OpenAI's chat shape: {\"content\": [{\"token\", \"id\", \"logprob\", \"bytes\", \"top_logprobs\"}]}), before any penalty, temperature or top-k/top-p");
    private readonly Option<int?> topLogProbs = CliOptions.Int("--top-logprobs", $"With --logprobs, also the N most likely tokens at each step (0 to {MaxTopLogProbs})", min: 0);
    private readonly Option<bool> json = CliOptions.Flag("--json", "JSON mode: every row's text is a JSON object (decoding constrained to one; a row out of tokens ends with length and a prefix of one)");
    private readonly Option<string> jsonSchema = CliOptions.Text("--json-schema",
        "Structured output: every row's text is a JSON object that validates against the JSON schema in FILE (the subset skald serve's response_format json_schema takes)", "FILE");
    private readonly Option<bool> stream = CliOptions.Flag("--stream", "Print the text to stdout as it is generated, one prompt at a time (default: when there is one prompt and stdout is a terminal)");

    public GenerateCommand() : base("generate", "Generate text with a decoder LLM (greedy or sampled, KV-cached, batched)")
    {
        Options.Add(model);
        Options.Add(adapters);
        Options.Add(input);
        Options.Add(output);
        Options.Add(maxNewTokens);
        Options.Add(temperature);
        Options.Add(topK);
        Options.Add(topP);
        Options.Add(repetitionPenalty);
        Options.Add(stop);
        Options.Add(seed);
        Options.Add(batchSize);
        Options.Add(stream);
        Options.Add(quantize);
        Options.Add(weights);
        Options.Add(journal);
        Options.Add(logProbs);
        Options.Add(topLogProbs);
        Options.Add(json);
        Options.Add(jsonSchema);
        CliOptions.AtMostOne(this, json, jsonSchema);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string inputPath = p.GetValue(input)!, outputPath = p.GetValue(output)!;
        bool quiet = p.GetValue(CliOptions.Quiet);
        OutputPath.NotAnInput(outputPath, inputPath);
        string journalPath = p.GetValue(journal) is { } j ? CliOptions.FileTarget("--journal", j) : Path.GetFullPath(outputPath) + ".journal.jsonl";
        OutputPath.NotAnInputOf("--journal", journalPath, inputPath); // opening a journal cuts an unterminated last line
        OutputPath.NotTheSame("--journal", journalPath, "--output", outputPath);
        var adapterNames = CliOptions.AdapterFolders(p.GetValue(adapters));
        int? top = p.GetValue(topLogProbs);
        if (top > MaxTopLogProbs) throw new UsageException($"option --top-logprobs {top}: at most {MaxTopLogProbs}");
        if (top is not null && !p.GetValue(logProbs)) throw new UsageException("option --top-logprobs needs --logprobs");
        string? schemaPath = p.GetValue(jsonSchema);
        var schema = schemaPath is null ? null : JsonSchemaFile.Read(schemaPath); // refused before the model loads
        var rows = GenerationRows.Read(inputPath);
        AtomicFile.CheckWritable(outputPath); // before the model loads and generates, not after
        AtomicFile.CheckWritable(journalPath);
        string folder = HubModels.Resolve(p.GetValue(model)!, quiet);
        var adapterFolders = HubModels.ResolveAll(adapterNames, quiet);
        OutputPath.NotAFileOf("--output", outputPath, [folder, .. adapterFolders]);
        OutputPath.NotAFileOf("--journal", journalPath, [folder, .. adapterFolders]);
        var options = new GenerationOptions
        {
            MaxNewTokens = p.GetValue(maxNewTokens) ?? 128,
            Temperature = (float)(p.GetValue(temperature) ?? 0),
            TopK = p.GetValue(topK) ?? 0,
            TopP = (float)(p.GetValue(topP) ?? 1),
            RepetitionPenalty = (float)(p.GetValue(repetitionPenalty) ?? 1),
            StopStrings = p.GetValue(stop) ?? [],
            Seed = (ulong)(p.GetValue(seed) ?? 0),
            LogProbs = p.GetValue(logProbs) ? top ?? 0 : null,
            Format = schema is not null ? OutputFormat.JsonSchema : p.GetValue(json) ? OutputFormat.JsonObject : OutputFormat.Text,
            Schema = schema,
        };
        if (options.StopStrings.Any(string.IsNullOrEmpty)) throw new UsageException("option --stop must not be empty");
        bool streaming = p.GetValue(stream) || (rows.Count == 1 && !Console.IsOutputRedirected && !quiet);
        int batch = streaming ? 1 : p.GetValue(batchSize) ?? 8;
        string? quantizeValue = p.GetValue(quantize), weightsValue = p.GetValue(weights);
        TextGenerator.CheckFolders(folder, adapterFolders); // named as such before the journal reads them
        // a journal of another run is refused before the model loads
        using var resume = GenerateJournal.Open(journalPath, GenerateJournal.RunOf(RunFingerprint.OfFile(inputPath), folder, adapterFolders, options, batch, quantizeValue, weightsValue,
            schemaPath is null ? null : RunFingerprint.OfFile(schemaPath)));
        using var generator = TextGenerator.Load(folder, adapterFolders, InfoCommand.Precision(weightsValue));
        QuantizeOption.Apply(generator, quantizeValue, quiet);
        var prompts = rows.Select(r => GenerationRows.PromptIds(generator, r.Input, $"{inputPath}:{r.Line}")).ToList();
        var clock = Stopwatch.StartNew();
        var (results, resumed, tokens) = JournaledGeneration.Run(generator, prompts, options, batch, resume,
            n => Terminal.Log($"resuming: {n} of {prompts.Count} prompts already done (journal {journalPath})", quiet),
            streaming ? StreamTo(Console.Out) : null);
        clock.Stop();
        if (streaming && resumed < results.Length) Console.Out.WriteLine();
        AtomicFile.Write(outputPath, s => Write(s, results, generator.Tokenizer));
        resume.Delete();
        Terminal.Log($"generated {Counted.Of(tokens, "token")} for {Counted.Of(results.Length - resumed, "prompt")} in {clock.Elapsed.TotalSeconds:F2} s " +
            $"({tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} tokens/s); wrote {outputPath}", quiet);
        return 0;
    }

    // Text deltas to the writer as they come; rows after the first start on a new line.
    private static Action<int, string> StreamTo(TextWriter writer)
    {
        int current = -1;
        return (row, delta) =>
        {
            if (row != current && current >= 0) writer.WriteLine();
            current = row;
            writer.Write(delta);
            writer.Flush();
        };
    }

    private static void Write(Stream s, GenerationResult[] results, Skald.Tokenizers.Tokenizer tokenizer)
    {
        using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var r in results)
        {
            w.WriteStartObject();
            w.WriteStartArray("ids");
            foreach (int id in r.Ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteString("text", r.Text);
            w.WriteString("finish_reason", GenerateJournal.Reason(r.FinishReason));
            if (r.LogProbs is { } entries) GenerationLogProbsJson.Write(w, entries, tokenizer);
            w.WriteEndObject();
            w.Flush();
            s.Write("\n"u8);
            w.Reset();
        }
    }
}
