using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tokenizers.Templates;

namespace Skald.Cli.IO;

/// <summary>
/// Reads <c>skald generate</c>'s input: JSONL rows holding exactly one of <c>"prompt"</c> (a string), <c>"ids"</c>
/// (token ids, used as given) or <c>"messages"</c> (a list of {"role", "content"}); every problem is one line
/// naming the file and line.
/// </summary>
internal static class GenerationRows
{
    /// <summary>The rows of <paramref name="path"/>, with their line numbers.</summary>
    public static List<(GenerationInput Input, int Line)> Read(string path)
    {
        if (!File.Exists(path))
            throw new InputException(Directory.Exists(path) ? $"{path}: is a folder, expected a file" : $"{path}: file not found");
        var lines = Retrieval.Data.TextFile.ReadAllLines(path);
        var rows = new List<(GenerationInput, int)>(lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            rows.Add((Parse(path, i + 1, lines[i]), i + 1));
        }
        if (rows.Count == 0) throw new InputException($"{path}: the file is empty (no prompts)");
        return rows;
    }

    /// <summary>
    /// The prompt ids of <paramref name="row"/> for <paramref name="generator"/>; a row that cannot be tokenized (its
    /// chat template fails), has no tokens, an id outside the vocabulary or no room left in the context is one line
    /// starting with <paramref name="at"/> (the file and line, or the task file and row).
    /// </summary>
    public static int[] PromptIds(TextGenerator generator, GenerationInput row, string at)
    {
        int[] ids;
        try
        {
            ids = generator.Tokenize(row);
        }
        catch (InvalidOperationException e)
        {
            throw new InputException($"{at}: {e.Message}");
        }
        catch (ChatTemplateException e)
        {
            throw new InputException($"{at}: {e.Message}");
        }
        if (ids.Length == 0) throw new InputException($"{at}: the prompt has no tokens");
        int vocab = generator.Decoder.LmHead?.VocabSize ?? generator.Decoder.Config.VocabSize;
        if (ids.FirstOrDefault(id => id >= vocab) is int bad and > 0)
            throw new InputException($"{at}: token id {bad} is outside the model's vocabulary of {vocab}");
        if (ids.Length >= generator.Context)
            throw new InputException($"{at}: the prompt has {ids.Length} tokens; the model's context (max_position_embeddings) is {generator.Context}, leaving no room to generate");
        return ids;
    }

    private static GenerationInput Parse(string path, int line, string text)
    {
        string at = $"{path}:{line}";
        try
        {
            using var doc = JsonDocument.Parse(text);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new InputException($"{at}: expected a JSON object");
            bool hasPrompt = r.TryGetProperty("prompt", out var prompt), hasIds = r.TryGetProperty("ids", out var ids),
                hasMessages = r.TryGetProperty("messages", out var messages);
            if ((hasPrompt ? 1 : 0) + (hasIds ? 1 : 0) + (hasMessages ? 1 : 0) != 1)
                throw new InputException($"{at}: a row needs exactly one of \"prompt\", \"ids\" or \"messages\"");
            if (hasPrompt)
            {
                if (prompt.ValueKind != JsonValueKind.String) throw new InputException($"{at}: \"prompt\" must be a string");
                return GenerationInput.FromPrompt(Retrieval.Data.DataFiles.TextOrNull(prompt)
                    ?? throw new InputException($"{at}: {Retrieval.Data.DataFiles.LoneSurrogate("prompt")}"));
            }
            if (hasIds)
            {
                if (ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() == 0
                    || ids.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out int v) || v < 0))
                    throw new InputException($"{at}: \"ids\" must be a non-empty list of token ids (integers ≥ 0)");
                return GenerationInput.FromIds([.. ids.EnumerateArray().Select(x => x.GetInt32())]);
            }
            if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
                throw new InputException($"{at}: \"messages\" must be a non-empty list of {{\"role\", \"content\"}} objects");
            var turns = new List<ChatTurn>();
            foreach (var m in messages.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                    || !m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                    throw new InputException($"{at}: every message needs a string \"role\" and a string \"content\"");
                turns.Add(new ChatTurn(Retrieval.Data.DataFiles.TextOrNull(role) ?? throw new InputException($"{at}: {Retrieval.Data.DataFiles.LoneSurrogate("role")}"),
                    Retrieval.Data.DataFiles.TextOrNull(content) ?? throw new InputException($"{at}: {Retrieval.Data.DataFiles.LoneSurrogate("content")}")));
            }
            return GenerationInput.FromMessages(turns);
        }
        catch (JsonException e)
        {
            throw new InputException($"{at}: {Tokenizers.Serialization.JsonLineError.Describe(e, text)}");
        }
    }
}
