using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.IO;

/// <summary>
/// <c>skald generate --json-schema FILE</c>: the schema read from a file and compiled into the constraint the server's
/// structured outputs use (<see cref="JsonSchemaGrammar.Compile"/>). A missing file, an empty one, text that is not JSON
/// (its line and column, in the one wording of <see cref="JsonFile"/>) and
/// a schema the compiler refuses (its keyword and pointer) are each one line naming the file.
/// </summary>
internal static class JsonSchemaFile
{
    /// <summary>The compiled schema of <paramref name="path"/>.</summary>
    public static JsonSchemaGrammar Read(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: file not found (--json-schema)");
        using (var doc = JsonFile.Read(path, m => new InputException(m)))
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
}
