using Skald.Tokenizers.Templates;

namespace Skald.Tokenizers.Tests.Templates;

/// <summary>Loading a model folder's chat template: the string form, the list of named templates, chat_template.jinja, special tokens, none.</summary>
public sealed class ChatTemplateLoadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skald-chat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ChatMessage[] Conversation = [new("user", "Hej"), new("assistant", "Hallå"), new("user", "Mår du bra?")];

    private void Write(string file, string text) => File.WriteAllText(Path.Combine(_dir, file), text);

    [Fact]
    public void Folder_without_template_gives_null()
    {
        Write("tokenizer_config.json", """{"bos_token": "<s>", "model_max_length": 512}""");
        Assert.Null(ChatTemplate.Load(_dir));
        Assert.Null(ChatTemplate.Load(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void String_template_with_special_tokens_as_strings_and_added_token_objects()
    {
        Write("tokenizer_config.json", """
            {"chat_template": "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}",
             "bos_token": {"__type": "AddedToken", "content": "<|begin|>", "lstrip": false},
             "eos_token": "<|end|>", "pad_token": null}
            """);
        var template = ChatTemplate.Load(_dir)!;
        Assert.Equal("<|begin|>", template.SpecialTokens["bos_token"]);
        Assert.Equal("<|begin|><user>Hej<|end|><assistant>Hallå<|end|><user>Mår du bra?<|end|><assistant>",
            template.Apply(Conversation, addGenerationPrompt: true));
        Assert.Equal("<|begin|><user>Hej<|end|><assistant>Hallå<|end|><user>Mår du bra?<|end|>",
            template.Apply(Conversation, addGenerationPrompt: false));
    }

    [Fact]
    public void List_of_named_templates_uses_default()
    {
        Write("tokenizer_config.json", """
            {"chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "{{ messages|length }} turns"}]}
            """);
        Assert.Equal("3 turns", ChatTemplate.Load(_dir)!.Apply(Conversation, true));
    }

    [Fact]
    public void List_without_default_fails_in_one_line_naming_the_file()
    {
        Write("tokenizer_config.json", """{"chat_template": [{"name": "tool_use", "template": "TOOLS"}]}""");
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Load(_dir));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("'default'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Chat_template_jinja_file_takes_precedence()
    {
        Write("tokenizer_config.json", """{"chat_template": "from config", "eos_token": "</s>"}""");
        Write("chat_template.jinja", "{% for m in messages %}{{ m.content }}{{ eos_token }}\n{% endfor %}\n");
        Assert.Equal("Hej</s>\nHallå</s>\nMår du bra?</s>\n", ChatTemplate.Load(_dir)!.Apply(Conversation, false));
    }

    [Fact]
    public void A_template_file_that_is_not_UTF8_fails_in_one_line_naming_the_file_line_and_byte()
    {
        // "hå" saved as Latin-1 was read as "h\uFFFD" and rendered into every prompt without a word
        byte[] latin1 = [.. "{% for m in messages %}\n"u8, (byte)'h', 0xE5, .. "{{ m.content }}{% endfor %}"u8];
        File.WriteAllBytes(Path.Combine(_dir, "chat_template.jinja"), latin1);
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Load(_dir));
        Assert.Equal($"{Path.Combine(_dir, "chat_template.jinja")}:2: not valid UTF-8 (byte 0xE5 at offset 25); save the file as UTF-8", e.Message);

        // a BOM is no error
        File.WriteAllBytes(Path.Combine(_dir, "chat_template.jinja"), [0xEF, 0xBB, 0xBF, .. "{{ messages|length }}"u8]);
        Assert.Equal("3", ChatTemplate.Load(_dir)!.Apply(Conversation, false));
    }

    [Theory]
    [InlineData("tokenizer_config.json")]
    [InlineData("chat_template.json")]
    [InlineData("special_tokens_map.json")]
    public void A_JSON_file_that_is_not_UTF8_fails_in_one_line_naming_the_file(string file)
    {
        if (file != "tokenizer_config.json") Write("tokenizer_config.json", """{"eos_token": "</s>"}""");
        if (file == "special_tokens_map.json") Write("chat_template.jinja", "{{ eos_token }}");
        string key = file == "special_tokens_map.json" ? "eos_token" : "chat_template";
        File.WriteAllBytes(Path.Combine(_dir, file), [.. System.Text.Encoding.UTF8.GetBytes($"{{\"{key}\": \"h"), 0xE5, .. "\"}"u8]);
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Load(_dir));
        int offset = key.Length + 7; // {"KEY": "h
        Assert.Equal($"{Path.Combine(_dir, file)}:1: not valid UTF-8 (byte 0xE5 at offset {offset}); save the file as UTF-8", e.Message);
    }

    public static IEnumerable<object[]> TemplateFiles() =>
        ChatTemplateFixtures.Json("templates.json").EnumerateObject().Select(p => new object[] { p.Name });

    [Theory]
    [MemberData(nameof(TemplateFiles))]
    public void Real_template_loaded_from_a_tokenizer_config_renders_like_jinja2(string file)
    {
        // The template as a model folder carries it: a JSON string in tokenizer_config.json, special tokens beside it.
        var config = new Dictionary<string, object?> { ["chat_template"] = File.ReadAllText(Path.Combine(ChatTemplateFixtures.Folder, "templates", file)) };
        foreach (var p in ChatTemplateFixtures.Json("templates.json").GetProperty(file).EnumerateObject()) config[p.Name] = p.Value.GetString();
        Write("tokenizer_config.json", System.Text.Json.JsonSerializer.Serialize(config));
        var template = ChatTemplate.Load(_dir)!.WithClock(() => ChatTemplateFixtures.FixedNow);
        var conversation = ChatTemplateFixtures.Conversation("no-system");
        var messages = conversation.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
        var expected = ChatTemplateFixtures.Json("expected.json").GetProperty(file).GetProperty("no-system");
        if (expected.TryGetProperty("output", out var output)) Assert.Equal(output.GetString(), template.Apply(messages, true));
        else Assert.Throws<ChatTemplateException>(() => template.Apply(messages, true));
    }

    [Fact]
    public void Tools_and_documents_are_none_by_default_and_extra_variables_override()
    {
        var t = ChatTemplate.Parse("{{ tools is none }} {{ documents is none }} {{ tools is defined }} {{ x|default('-') }} {{ tools|length if tools else 0 }}");
        Assert.Equal("True True True - 0", t.Apply(Conversation, true));
        var tools = new List<object?> { new Dictionary<string, object?> { ["type"] = "function" } };
        Assert.Equal("False True True 7 1", t.Apply(Conversation, true, new Dictionary<string, object?> { ["tools"] = tools, ["x"] = 7 }));
    }

    [Fact]
    public void Strftime_now_reads_the_clock()
    {
        var t = ChatTemplate.Parse("Today Date: {{ strftime_now('%d %b %Y') }}").WithClock(() => new DateTime(2026, 12, 1, 1, 2, 3));
        Assert.Equal("Today Date: 01 Dec 2026", t.Apply([], false));
    }

    [Fact]
    public void Generation_block_renders_its_body()
    {
        var t = ChatTemplate.Parse("{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}[{{ m.content }}]{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}");
        Assert.Equal("Hej[Hallå]Mår du bra?", t.Apply(Conversation, false));
    }

    [Fact]
    public void Attribute_of_an_undefined_value_is_undefined()
    {
        var t = ChatTemplate.Parse("[{{ nothing.at.all }}]{{ nothing.at is defined }}{{ nothing['k'] is undefined }}");
        Assert.Equal("[]FalseTrue", t.Apply([], false));
    }
}
