using System.Text.Json;
using Skald.Tokenizers.Templates;

namespace Skald.Tokenizers.Tests.Templates;

/// <summary>
/// Small templates covering each construct of the subset (whitespace control with trim_blocks/lstrip_blocks, loops,
/// scoping, namespace, macros, filters, tests, string/dict methods, Python number and repr formatting, HF's tojson),
/// each compared with the real jinja2's output (fixtures/chat-templates/snippets_expected.json).
/// </summary>
public sealed class ChatTemplateSnippetTests
{
    public static IEnumerable<object[]> Indexes() =>
        Enumerable.Range(0, ChatTemplateFixtures.Json("snippets.json").GetArrayLength()).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Snippet_renders_like_jinja2(int index)
    {
        var snippet = ChatTemplateFixtures.Json("snippets.json")[index];
        var expected = ChatTemplateFixtures.Json("snippets_expected.json")[index];
        string text = snippet.GetProperty("template").GetString()!;
        var vars = snippet.TryGetProperty("vars", out var v)
            ? v.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value)
            : new Dictionary<string, object?>();

        string Render()
        {
            var template = ChatTemplate.Parse(text).WithClock(() => ChatTemplateFixtures.FixedNow);
            // The snippets run without the chat variables: render with an empty conversation and the snippet's variables.
            return template.Apply([], false, vars);
        }

        if (expected.TryGetProperty("output", out var output))
        {
            Assert.Equal(output.GetString(), Render());
            return;
        }
        var error = Assert.Throws<ChatTemplateException>(Render);
        Assert.DoesNotContain('\n', error.Message);
        if (expected.GetProperty("raised").GetBoolean()) Assert.Equal(expected.GetProperty("error").GetString(), error.Detail);
    }
}
