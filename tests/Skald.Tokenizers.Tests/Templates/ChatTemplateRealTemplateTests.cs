using System.Text.Json;
using Skald.Tokenizers.Templates;

namespace Skald.Tokenizers.Tests.Templates;

/// <summary>
/// Real chat templates (Llama 3/3.1/3.2, Qwen2/2.5/3, Gemma/Gemma 2/Gemma 3, Mistral v0.1/v0.2/Nemo, ChatML) rendered on
/// fixture conversations must equal, character for character, what the real jinja2 renders with Hugging Face's
/// settings (fixtures/chat-templates/expected.json, made by make_expected.py); where jinja2 raised the template's own
/// error, Skald must raise the same message.
/// </summary>
public sealed class ChatTemplateRealTemplateTests
{
    public static IEnumerable<object[]> Pairs() => ChatTemplateFixtures.Pairs();

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Renders_like_jinja2_with_hf_settings(string templateFile, string conversationName)
    {
        var template = ChatTemplateFixtures.Template(templateFile);
        var conversation = ChatTemplateFixtures.Conversation(conversationName);
        var expected = ChatTemplateFixtures.Json("expected.json").GetProperty(templateFile).GetProperty(conversationName);
        bool agp = conversation.GetProperty("add_generation_prompt").GetBoolean();
        var extra = ChatTemplateFixtures.Extra(conversation);
        var messages = conversation.GetProperty("messages");

        string Render() => ChatTemplateFixtures.IsPlain(messages)
            ? template.Apply(messages.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList(), agp, extra)
            : template.ApplyJson(messages, agp, extra);

        if (expected.TryGetProperty("output", out var output))
        {
            Assert.Equal(output.GetString(), Render());
            return;
        }
        var error = Assert.Throws<ChatTemplateException>(Render);
        Assert.DoesNotContain('\n', error.Message);
        Assert.StartsWith("chat_template line ", error.Message);
        if (expected.GetProperty("raised").GetBoolean())
        {
            Assert.True(error.RaisedByTemplate, error.Message);
            Assert.Equal(expected.GetProperty("error").GetString(), error.Detail);
        }
    }

    [Fact]
    public void Every_template_and_conversation_is_covered()
    {
        var expected = ChatTemplateFixtures.Json("expected.json");
        int templates = expected.EnumerateObject().Count();
        Assert.True(templates >= 13, $"only {templates} templates in expected.json");
        Assert.Equal(ChatTemplateFixtures.Pairs().Count(), expected.EnumerateObject().Sum(t => t.Value.EnumerateObject().Count()));
    }
}
