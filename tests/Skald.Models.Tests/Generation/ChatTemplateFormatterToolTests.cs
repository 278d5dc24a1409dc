using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tokenizers.Templates;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="ChatTemplateFormatter"/> with tools, an assistant turn's <see cref="ChatTurn.ToolCalls"/> (arguments as
/// JSON text) and a tool turn answering it: the prompt is the text the real jinja2 renders from the same conversation
/// with Hugging Face's settings (fixtures/chat-templates/expected.json, "tools" and "tool-call-roundtrip"), for every
/// fixture template that renders it.
/// </summary>
public sealed class ChatTemplateFormatterToolTests
{
    private static string Folder => Path.Combine(TestPaths.Fixtures, "chat-templates");

    private static JsonElement Json(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name)));
        return doc.RootElement.Clone();
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var template in Json("expected.json").EnumerateObject())
            foreach (string conversation in new[] { "tools", "tool-call-roundtrip" })
                if (template.Value.GetProperty(conversation).TryGetProperty("output", out _)) data.Add(template.Name, conversation);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToolsCallsAndResultsRenderAsJinja2RendersThem(string templateFile, string conversationName)
    {
        var tokens = Json("templates.json").GetProperty(templateFile).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(Folder, "templates", templateFile)), tokens)
            .WithClock(() => new DateTime(2026, 3, 14, 9, 26, 53)); // make_expected.py's strftime_now
        var conversation = Json("conversations.json").EnumerateArray().First(c => c.GetProperty("name").GetString() == conversationName);
        var turns = conversation.GetProperty("messages").EnumerateArray().Select(Turn).ToList();
        var tools = conversation.GetProperty("extra").GetProperty("tools").EnumerateArray().ToList();

        string prompt = new ChatTemplateFormatter(template).Format(turns, tools);

        Assert.Equal(Json("expected.json").GetProperty(templateFile).GetProperty(conversationName).GetProperty("output").GetString(), prompt);
    }

    [Fact]
    public void ACallWhoseArgumentsAreNotAnObjectIsRefusedNamingIt()
    {
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(Folder, "templates", "qwen2.5-7b-instruct.jinja")));
        var turns = new List<ChatTurn>
        {
            new("user", "Hej"),
            new("assistant", "") { ToolCalls = [new ChatToolCall("c1", "f", "[1, 2]")] },
        };
        var e = Assert.Throws<ChatTemplateException>(() => new ChatTemplateFormatter(template).Format(turns, []));
        Assert.Contains("c1", e.Message, StringComparison.Ordinal);
        Assert.Contains("arguments", e.Message, StringComparison.Ordinal);
    }

    // A fixture message as a turn: the call's arguments (a mapping there) as the JSON text OpenAI's API carries.
    private static ChatTurn Turn(JsonElement m) => new(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)
    {
        ToolCalls = m.TryGetProperty("tool_calls", out var calls)
            ? [.. calls.EnumerateArray().Select(c => new ChatToolCall(c.GetProperty("id").GetString()!,
                c.GetProperty("function").GetProperty("name").GetString()!, c.GetProperty("function").GetProperty("arguments").GetRawText()))]
            : null,
        ToolCallId = m.TryGetProperty("tool_call_id", out var id) ? id.GetString() : null,
        Name = m.TryGetProperty("name", out var name) ? name.GetString() : null,
    };
}
