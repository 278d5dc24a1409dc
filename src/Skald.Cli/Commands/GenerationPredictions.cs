using System.Text.Json;
using Skald.Cli.IO;
using Skald.Evaluation.Generation;
using Skald.Models.Generation;
using Skald.Tensors;
using Skald.Tokenizers.Templates;
using Skald.Training.Data.Instructions;

using Skald.Cli.CommandLine;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary>
/// Answers to a generation task's prompts from a decoder model folder (<c>skald evaluate --type generation --model</c>
/// and the pipeline's <c>generate_answers</c> stage): each prompt written as a single user turn the way SFT writes it
/// (<c>auto</c>: the model's chat template when it has one, else Alpaca's prompt; or <c>chat_template</c>,
/// <c>alpaca</c>, <c>plain</c>), decoded by <see cref="TextGenerator"/> (greedy unless a temperature is given).
/// </summary>
internal static class GenerationPredictions
{
    /// <summary>The prompt formats.</summary>
    public static readonly string[] Formats = ["auto", "chat_template", "alpaca", "plain"];

    /// <summary>
    /// Generated text by task row id (<paramref name="adapters"/>: LoRA folders merged first; <paramref name="quantize"/>
    /// "int8": <see cref="QuantizeOption.Apply(TextGenerator, string?, bool)"/>; <paramref name="weights"/>: how the
    /// weight matrices are held, as <c>skald generate --weights</c>); a prompt that does not fit the context is one line
    /// naming the task file and row. With <paramref name="journalPath"/> each finished batch goes to that resume journal
    /// (<see cref="JournaledGeneration"/>), so a run killed and started again decodes only the rest; a journal of another
    /// run (another task, model, option) is deleted and the run starts over. The caller deletes it once the answers are
    /// saved.
    /// </summary>
    public static Dictionary<string, string> Generate(string modelFolder, IReadOnlyList<string> adapters, string taskPath, IReadOnlyList<GenerationRow> task,
        string promptFormat, GenerationOptions options, int batchSize, Action<string>? log = null, string? quantize = null,
        WeightPrecision weights = WeightPrecision.Float32, string? journalPath = null)
    {
        TextGenerator.CheckFolders(modelFolder, adapters); // named as such before the journal reads them
        using var journal = journalPath is null ? null : GenerateJournal.Open(journalPath,
            [.. GenerateJournal.RunOf(RunFingerprint.OfFile(taskPath), modelFolder, adapters, options, batchSize, quantize, weights.ToString()),
                ("prompt_format", promptFormat)], restart: m => log?.Invoke(m));
        using var generator = TextGenerator.Load(modelFolder, adapters, weights);
        QuantizeOption.Apply(generator, quantize, log is null);
        IChatFormatter? chat;
        try
        {
            chat = promptFormat is "auto" or "chat_template" ? generator.ChatFormatter : null;
        }
        catch (ChatTemplateException e)
        {
            throw new InputException(e.Message);
        }
        if (chat is null && promptFormat == "chat_template")
            throw new InputException($"--prompt-format chat_template: {modelFolder} has no chat template (tokenizer_config.json chat_template or chat_template.jinja)");
        var prompts = new List<int[]>(task.Count);
        foreach (var row in task)
        {
            var input = chat is not null ? GenerationInput.FromMessages([new ChatTurn("user", row.Prompt)])
                : GenerationInput.FromPrompt(promptFormat == "plain" ? row.Prompt : AlpacaPromptFormat.Prompt(row.Prompt, null));
            int[] ids = GenerationRows.PromptIds(generator, input, $"{taskPath}: row '{row.Id}'");
            prompts.Add(ids);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (results, resumed, tokens) = JournaledGeneration.Run(generator, prompts, options, batchSize, journal,
            n => log?.Invoke($"resuming: {n} of {prompts.Count} prompts already done (journal {journalPath})"));
        log?.Invoke($"generated {Counted.Of(tokens, "token")} for {Counted.Of(results.Length - resumed, "prompt")} in {clock.Elapsed.TotalSeconds:F2} s " +
            $"({tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} tokens/s) with {Path.GetFileName(Path.TrimEndingDirectorySeparator(modelFolder))}");
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < task.Count; i++) answers[task[i].Id] = results[i].Text;
        return answers;
    }

    /// <summary>Writes <c>{"id", "text"}</c> rows (the <c>--predictions</c> format), atomically.</summary>
    public static void Write(string path, IReadOnlyList<GenerationRow> task, IReadOnlyDictionary<string, string> answers) =>
        AtomicFile.Write(path, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            foreach (var row in task)
            {
                w.WriteStartObject();
                w.WriteString("id", row.Id);
                w.WriteString("text", answers[row.Id]);
                w.WriteEndObject();
                w.Flush();
                s.Write("\n"u8);
                w.Reset();
            }
        });
}
