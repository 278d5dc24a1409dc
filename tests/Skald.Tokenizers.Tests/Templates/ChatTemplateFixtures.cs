using System.Text.Json;
using Skald.Tokenizers.Templates;

namespace Skald.Tokenizers.Tests.Templates;

/// <summary>
/// The fixture templates, conversations and expected renders in fixtures/chat-templates (expected outputs made by the
/// real jinja2 with Hugging Face's settings: make_expected.py).
/// </summary>
internal static class ChatTemplateFixtures
{
    /// <summary>fixtures/chat-templates.</summary>
    public static string Folder => Path.Combine(FixturePaths.RepoRoot, "fixtures", "chat-templates");

    /// <summary>The fixed time strftime_now returns in make_expected.py.</summary>
    public static readonly DateTime FixedNow = new(2026, 3, 14, 9, 26, 53);

    /// <summary>Reads a fixture JSON file.</summary>
    public static JsonElement Json(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name)));
        return doc.RootElement.Clone();
    }

    /// <summary>Parses a fixture template with its special tokens and the fixed clock.</summary>
    public static ChatTemplate Template(string file)
    {
        var tokens = Json("templates.json").GetProperty(file).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        string text = File.ReadAllText(Path.Combine(Folder, "templates", file));
        return ChatTemplate.Parse(text, tokens).WithClock(() => FixedNow);
    }

    /// <summary>The conversation named <paramref name="name"/>.</summary>
    public static JsonElement Conversation(string name) =>
        Json("conversations.json").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    /// <summary>Every (template, conversation) pair.</summary>
    public static IEnumerable<object[]> Pairs()
    {
        foreach (var t in Json("templates.json").EnumerateObject())
            foreach (var c in Json("conversations.json").EnumerateArray())
                yield return [t.Name, c.GetProperty("name").GetString()!];
    }

    /// <summary>The extra variables of a conversation (tools, enable_thinking …).</summary>
    public static Dictionary<string, object?>? Extra(JsonElement conversation) =>
        conversation.TryGetProperty("extra", out var extra)
            ? extra.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value)
            : null;

    /// <summary>True when every message is a plain {role, content-string} pair (then the ChatMessage API is used).</summary>
    public static bool IsPlain(JsonElement messages) => messages.EnumerateArray().All(m =>
        m.EnumerateObject().All(p => p.Name is "role" or "content") && m.GetProperty("content").ValueKind == JsonValueKind.String);
}
