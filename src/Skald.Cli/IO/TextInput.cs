using System.Text.Json;

namespace Skald.Cli.IO;

/// <summary>Reads the texts of an input file: <c>.txt</c> (one per line) or <c>.jsonl</c> (field <c>text</c>).</summary>
internal static class TextInput
{
    /// <summary>
    /// Reads all texts. <paramref name="allowBlank"/> false rejects blank lines (naming the line); an empty file is
    /// always an error.
    /// </summary>
    public static List<string> Read(string path, bool allowBlank)
    {
        if (!File.Exists(path))
            throw new InputException(Directory.Exists(path) ? $"{path}: is a folder, expected a file" : $"{path}: file not found");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".txt" && ext != ".jsonl")
            throw new InputException($"{path}: unsupported input type '{ext}' (use .txt with one text per line, or .jsonl with a \"text\" field)");
        var lines = Retrieval.Data.TextFile.ReadAllLines(path);
        if (lines.Count == 0) throw new InputException($"{path}: the file is empty (no texts)");
        var texts = new List<string>(lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            string text = ext == ".txt" ? line : FromJson(path, i + 1, line);
            if (!allowBlank && string.IsNullOrWhiteSpace(text))
                throw new InputException($"{path}:{i + 1}: blank line (every line must hold a text)");
            texts.Add(text);
        }
        return texts;
    }

    /// <summary>The non-blank lines of a text file (a corpus), with a clear error when it is missing.</summary>
    public static IEnumerable<string> ReadLinesOf(string path)
    {
        if (!File.Exists(path)) throw new InputException(Directory.Exists(path) ? $"{path}: is a folder; name a text file" : $"{path}: file not found");
        return Retrieval.Data.TextFile.ReadAllLines(path).Where(l => !string.IsNullOrWhiteSpace(l));
    }

    private static string FromJson(string path, int lineNo, string line)
    {
        if (string.IsNullOrWhiteSpace(line)) throw new InputException($"{path}:{lineNo}: blank line (expected a JSON object)");
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("text", out var t))
                throw new InputException($"{path}:{lineNo}: expected a JSON object with a \"text\" field");
            if (t.ValueKind != JsonValueKind.String) throw new InputException($"{path}:{lineNo}: \"text\" must be a string");
            return Retrieval.Data.DataFiles.TextOrNull(t)
                ?? throw new InputException($"{path}:{lineNo}: {Retrieval.Data.DataFiles.LoneSurrogate("text")}");
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}:{lineNo}: {Tokenizers.Serialization.JsonLineError.Describe(e, line)}");
        }
    }
}
