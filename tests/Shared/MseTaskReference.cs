using System.Text;
using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// The <c>mse_models</c> part of <c>fixtures/st-api/st_parity.json</c> (<c>fixtures/st-api/make_st_parity_reference.py</c>:
/// sentence-transformers' MSEEvaluator over two fixture models' PyTorch embeddings), and its texts as an mse task file,
/// for every test that scores an mse task (on the command line and during training).
/// </summary>
internal static class MseTaskReference
{
    /// <summary>The reference as committed.</summary>
    public static JsonElement Root { get; } =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "fixtures", "st-api", "st_parity.json"))).RootElement.GetProperty("mse_models");

    /// <summary>A new <c>distil-nb.jsonl</c> whose rows hold each reference text as both source and target; its path.</summary>
    public static string WriteTaskFile()
    {
        var lines = new StringBuilder();
        foreach (var t in Root.GetProperty("texts").EnumerateArray())
        {
            string text = JsonSerializer.Serialize(t.GetString());
            lines.Append($"{{\"source\":{text},\"target\":{text}}}\n");
        }
        string path = Path.Combine(TestPaths.NewTempDir(), "distil-nb.jsonl");
        File.WriteAllText(path, lines.ToString());
        return path;
    }
}
