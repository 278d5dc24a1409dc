using System.Text.Json;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;
using Skald.Training.Config;

namespace Skald.Training.Data.Instructions;

/// <summary>
/// Reads supervised fine-tuning data into a two-column <see cref="TextDataset"/> (<c>prompt</c>, <c>response</c>),
/// the prompt already formatted: Alpaca rows (<c>instruction</c>, optional <c>input</c>, <c>output</c>) or chat rows
/// (<c>messages</c>: a list of <c>{role, content}</c> whose last turn is the assistant's response), from JSONL or Parquet
/// (Alpaca columns as text; <c>messages</c> as a JSON text column, since nested Parquet columns are not read). A row
/// without a response is one <see cref="TrainingException"/> naming the file and line (row number for Parquet).
/// </summary>
public static class InstructionDatasetReader
{
    /// <summary>The columns of the dataset <see cref="Read"/> returns.</summary>
    public static readonly IReadOnlyList<string> Columns = ["prompt", "response"];

    /// <summary>Reads <paramref name="path"/> and formats every row with <paramref name="chat"/> (null: the built-in Alpaca format).</summary>
    public static TextDataset Read(string path, IChatPromptFormat? chat = null)
    {
        var examples = ReadExamples(path);
        var rows = examples.Select(e => Format(e.Example, chat)).Select(p => new[] { p.Prompt, p.Response }).ToArray();
        return new TextDataset(path, [.. Columns], rows);
    }

    /// <summary>The prompt text and the response text of <paramref name="example"/>.</summary>
    /// <remarks>
    /// With a chat template the response is what the template writes after the prompt for the assistant's turn (its
    /// content and the template's end-of-turn marker), taken as the difference between the rendering with and without
    /// it; a template whose rendering does not extend the prompt falls back to the bare content.
    /// </remarks>
    public static (string Prompt, string Response) Format(InstructionExample example, IChatPromptFormat? chat)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (chat is null && example.History is null) return (AlpacaPromptFormat.Prompt(example.Instruction ?? "", example.Input), example.Response);
        var format = chat ?? AlpacaPromptFormat.Instance;
        var turns = example.Turns;
        string prompt = format.Render(turns, addGenerationPrompt: true);
        if (chat is null) return (prompt, example.Response);
        string full = format.Render([.. turns, new InstructionMessage("assistant", example.Response)], addGenerationPrompt: false);
        return (prompt, full.StartsWith(prompt, StringComparison.Ordinal) && full.Length > prompt.Length ? full[prompt.Length..] : example.Response);
    }

    /// <summary>The rows of <paramref name="path"/> with their line (row) numbers.</summary>
    public static IReadOnlyList<(int Line, InstructionExample Example)> ReadExamples(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        var list = new List<(int, InstructionExample)>();
        if (ext == ".parquet")
        {
            var (header, rows) = DatasetReader.ReadTable(path);
            DatasetReader.RequireText(path, header.Where(h => h is "instruction" or "input" or "output" or "messages"));
            foreach (var (line, values) in rows)
            {
                string? Get(string name) => header.IndexOf(name) is var i and >= 0 ? values[i] : null;
                if (header.Contains("messages"))
                {
                    string json = Get("messages") ?? throw NoResponse(path, line);
                    using var doc = ParseJson(path, line, json);
                    list.Add((line, FromMessages(path, line, doc.RootElement)));
                }
                else
                {
                    list.Add((line, Alpaca(path, line, Get("instruction"), Get("input"), Get("output"))));
                }
            }
        }
        else if (ext == ".jsonl")
        {
            string[] lines;
            try
            {
                lines = [.. Retrieval.Data.TextFile.ReadLines(path)];
            }
            catch (Retrieval.Data.TextFileException e)
            {
                throw new TrainingException(e.Message);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TrainingException($"{path}: cannot read data file ({e.Message})", e);
            }
            for (int i = 0; i < lines.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(lines[i])) continue;
                using var doc = ParseJson(path, i + 1, lines[i]);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new TrainingException($"{path}:{i + 1}: expected a JSON object");
                list.Add((i + 1, root.TryGetProperty("messages", out var m)
                    ? FromMessages(path, i + 1, m)
                    : Alpaca(path, i + 1, Text(path, i + 1, root, "instruction"), Text(path, i + 1, root, "input"), Text(path, i + 1, root, "output"))));
            }
        }
        else
        {
            throw new TrainingException($"{path}: unsupported instruction data format '{ext}' (use .jsonl or .parquet)");
        }
        if (list.Count == 0) throw new TrainingException($"{path}: no data rows");
        return list;
    }

    private static InstructionExample Alpaca(string path, int line, string? instruction, string? input, string? output)
    {
        if (string.IsNullOrWhiteSpace(instruction))
            throw new TrainingException($"{path}:{line}: no instruction (an Alpaca row needs 'instruction' and 'output'; a chat row 'messages')");
        if (string.IsNullOrWhiteSpace(output)) throw NoResponse(path, line);
        return new InstructionExample { Instruction = instruction, Input = input, Response = output };
    }

    private static InstructionExample FromMessages(string path, int line, JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw new TrainingException($"{path}:{line}: 'messages' must be a list of {{role, content}} objects");
        var turns = new List<InstructionMessage>();
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String
                || !m.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                throw new TrainingException($"{path}:{line}: every message needs a string 'role' and 'content'");
            turns.Add(new InstructionMessage(String(r, path, line, "role"), String(c, path, line, "content")));
        }
        if (turns.Count < 2 || turns[^1].Role != "assistant" || string.IsNullOrWhiteSpace(turns[^1].Content)) throw NoResponse(path, line);
        return new InstructionExample { History = turns[..^1], Response = turns[^1].Content };
    }

    private static string? Text(string path, int line, JsonElement row, string name)
    {
        if (!row.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new TrainingException($"{path}:{line}: '{name}' must be a string");
        return String(v, path, line, name);
    }

    // A JSON string's text; one holding a lone surrogate escape (valid JSON, no text) is one line naming file, line and key.
    private static string String(JsonElement v, string path, int line, string name) =>
        Retrieval.Data.DataFiles.TextOrNull(v) ?? throw new TrainingException($"{path}:{line}: {Retrieval.Data.DataFiles.LoneSurrogate(name)}");

    private static JsonDocument ParseJson(string path, int line, string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}:{line}: {JsonLineError.Describe(e, json)}");
        }
    }

    private static TrainingException NoResponse(string path, int line) => new(
        $"{path}:{line}: the row has no output to train on (an Alpaca row needs a non-empty 'output'; a chat row's 'messages' must end with an assistant turn)");
}
