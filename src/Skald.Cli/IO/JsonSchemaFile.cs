using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Cli.IO;

/// <summary>
/// <c>skald generate --json-schema FILE</c>: the schema read from a file and compiled into the constraint the server's
/// structured outputs use (<see cref="JsonSchemaGrammar.Compile"/>). A missing file, text that is not JSON (its line) and
/// a schema the compiler refuses (its keyword and pointer) are each one line naming the file.
/// </summary>
internal static class JsonSchemaFile
{
    /// <summary>The compiled schema of <paramref name="path"/>.</summary>
    public static JsonSchemaGrammar Read(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: file not found (--json-schema)");
        byte[] bytes = File.ReadAllBytes(path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON (--json-schema): {FirstSentence(e.Message)}");
        }
        using (doc)
        {
            try
            {
                return JsonSchemaGrammar.Compile(doc.RootElement);
            }
            catch (JsonSchemaException e)
            {
                throw new InputException($"{path}: {e.Message}");
            }
        }
    }

    // System.Text.Json's message without its " LineNumber: … | BytePositionInLine: …" tail (the line is named already).
    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).Trim();
    }
}
