using Skald.Tokenizers.Templates;

namespace Skald.Tokenizers.Tests.Templates;

/// <summary>Bad input: constructs outside the subset, syntax errors, runtime failures and raise_exception give one line naming the place.</summary>
public sealed class ChatTemplateErrorTests
{
    private static ChatTemplateException ParseFails(string template)
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template));
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(e.RaisedByTemplate);
        return e;
    }

    [Theory]
    [InlineData("{{ 'x' }}\n{% for m in messages %}\n  {{ m.content | wordwrap(20) }}\n{% endfor %}", "chat_template line 3, column 18: the filter 'wordwrap' is not supported")]
    [InlineData("{% if x is divisible_by_seven %}{% endif %}", "chat_template line 1, column 9: the test 'divisible_by_seven' is not supported")]
    [InlineData("a\n{% include 'other.jinja' %}", "chat_template line 2, column 4: the tag '{% include %}' is not supported")]
    [InlineData("{% extends 'base' %}", "chat_template line 1, column 4: the tag '{% extends %}' is not supported")]
    [InlineData("{% call m() %}x{% endcall %}", "chat_template line 1, column 4: the tag '{% call %}' is not supported")]
    [InlineData("{% frobnicate %}", "chat_template line 1, column 4: unknown tag '{% frobnicate %}'")]
    [InlineData("{% for m in messages recursive %}{% endfor %}", "chat_template line 1, column 22: recursive for loops are not supported")]
    [InlineData("{% if true %}open", "chat_template line 1, column 4: the if block is not closed ('{% endif %}' missing)")]
    [InlineData("{{ 'abc' }", "chat_template line 1, column 11: '}}' expected before the end of the template")]
    [InlineData("{{ foo(*args) }}", "chat_template line 1, column 8: argument unpacking (*args, **kwargs) in a call is not supported")]
    [InlineData("{% break %}", "chat_template line 1, column 4: '{% break %}' outside a for loop")]
    public void Unsupported_or_malformed_template_fails_at_parse_in_one_line(string template, string message)
    {
        Assert.Equal(message, ParseFails(template).Message);
    }

    [Fact]
    public void Raise_exception_gives_one_line_with_the_templates_message()
    {
        // Mistral v0.1's alternating-roles check, on a conversation whose roles do not alternate.
        string text = File.ReadAllText(Path.Combine(ChatTemplateFixtures.Folder, "templates", "mistral-7b-instruct-v0.1.jinja"));
        var t = ChatTemplate.Parse(text, new Dictionary<string, string> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" });
        var e = Assert.Throws<ChatTemplateException>(() => t.Apply([new("user", "One"), new("user", "Two")], true));
        Assert.True(e.RaisedByTemplate);
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", e.Detail);
        Assert.Equal("chat_template line 1, column 110: Conversation roles must alternate user/assistant/user/assistant/...", e.Message);
    }

    [Theory]
    [InlineData("{{ 'a' + 1 }}", "chat_template line 1, column 8: unsupported operand types for +: 'str' and 'int'")]
    [InlineData("{{ missing + 'x' }}", "chat_template line 1, column 12: 'missing' is undefined")]
    [InlineData("{% set x = [] %}{{ x.append(1) }}", "chat_template line 1, column 22: the method 'append' of a list is not supported (Hugging Face renders templates in an immutable sandbox)")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", "chat_template line 1, column 19: cannot assign the attribute 'y' of 'x': it is not a namespace()")]
    [InlineData("{{ 1 // 0 }}", "chat_template line 1, column 6: division by zero")]
    [InlineData("{{ '%s' % 1 }}", "chat_template line 1, column 9: printf-style string formatting ('…' % args) is not supported")]
    [InlineData("{{ 'x'.format(1) }}", "chat_template line 1, column 8: the string method 'format' is not supported")]
    public void Runtime_failure_names_the_place_in_one_line(string template, string message)
    {
        var t = ChatTemplate.Parse(template);
        var e = Assert.Throws<ChatTemplateException>(() => t.Apply([], false));
        Assert.Equal(message, e.Message);
        Assert.False(e.RaisedByTemplate);
    }

    [Fact]
    public void Endless_macro_recursion_fails_in_one_line()
    {
        var t = ChatTemplate.Parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        var e = Assert.Throws<ChatTemplateException>(() => t.Apply([], false));
        Assert.Contains("the macro 'f' recurses deeper than 100 calls", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Unsupported_extra_value_fails_in_one_line_naming_the_variable()
    {
        var t = ChatTemplate.Parse("{{ x }}");
        var e = Assert.Throws<ChatTemplateException>(() => t.Apply([], false, new Dictionary<string, object?> { ["x"] = new Uri("http://a") }));
        Assert.StartsWith("chat_template variable 'x': ", e.Message);
    }

    [Fact]
    public void Load_names_the_file_line_and_byte_or_column_of_a_bad_template()
    {
        string dir = Directory.CreateTempSubdirectory("skald-chat-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"chat_template": "{{ messages | wordwrap }}"}""");
            var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Load(dir));
            Assert.Equal($"{Path.Combine(dir, "tokenizer_config.json")}: chat_template line 1, column 15: the filter 'wordwrap' is not supported", e.Message);
            // the one JSON-file wording: FILE: not JSON (line L, column C): the parser's reason alone
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\n  \"chat_template\": 5,\n  \"x\": }");
            e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Load(dir));
            Assert.Equal($"{Path.Combine(dir, "tokenizer_config.json")}: not JSON (line 3, column 8): '}}' is an invalid start of a value.", e.Message);

            // a syntax error in chat_template.jinja: the file, its line and its column
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{}");
            File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "{{ bos_token }}\n\n  {% frobnicate %}");
            e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Load(dir));
            Assert.Equal($"{Path.Combine(dir, "chat_template.jinja")}:3:6: unknown tag '{{% frobnicate %}}'", e.Message);
            File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "a\n\n  {{ messages | wordwrap }}");
            e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Load(dir));
            Assert.Equal($"{Path.Combine(dir, "chat_template.jinja")}:3:17: the filter 'wordwrap' is not supported", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
