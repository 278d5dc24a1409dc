using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Tests;

/// <summary>
/// A copy of a tiny decoder fixture whose tokenizer_config.json carries a real chat template, and the token ids
/// jinja2 + HF tokenizers give for it (fixtures/chat-templates/chat_ids.json, from make_chat_ids.py).
/// </summary>
internal static class ChatModelFolder
{
    /// <summary>chat_ids.json's entry for <paramref name="model"/>.</summary>
    public static JsonElement Expected(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "chat-templates", "chat_ids.json")));
        return doc.RootElement.GetProperty(model).Clone();
    }

    /// <summary>A temp copy of fixtures/models/<paramref name="model"/> with <paramref name="template"/> (default: the one chat_ids.json names) as its chat_template.</summary>
    public static string Create(string model, string? template = null)
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), model);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(TestPaths.FixtureModel(model)))
        {
            if (!f.EndsWith(".jsonl", StringComparison.Ordinal)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }
        var expected = Expected(model);
        var config = new JsonObject
        {
            ["chat_template"] = template ?? File.ReadAllText(Path.Combine(TestPaths.Fixtures, "chat-templates", "templates", expected.GetProperty("template").GetString()!)),
        };
        foreach (var p in expected.GetProperty("special_tokens").EnumerateObject()) config[p.Name] = p.Value.GetString();
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        return dir;
    }

    /// <summary>
    /// <paramref name="folder"/> with its config.json claiming a context of <paramref name="context"/> tokens (the
    /// fixtures' 128 hold no prompt with tools; for tests whose answers are scripted and never run the model that far).
    /// </summary>
    public static string Roomy(string folder, int context = 4096)
    {
        string path = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        config["max_position_embeddings"] = context;
        File.WriteAllText(path, config.ToJsonString());
        return folder;
    }

    /// <summary>The ids of a JSON array.</summary>
    public static int[] Ids(JsonElement array) => [.. array.EnumerateArray().Select(x => x.GetInt32())];
}
