using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald generate</c> with <c>{"messages": [...]}</c> rows: the model's chat template (tokenizer_config.json) renders
/// them with the generation prompt and the text is tokenized without adding special tokens, so the prompt ids equal
/// what jinja2 + HF tokenizers give (fixtures/chat-templates/chat_ids.json); a template outside the supported subset is
/// one line naming the file and the construct.
/// </summary>
public sealed class GenerateChatTemplateTests
{
    [Theory]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-llama3")]
    public void MessagesRowsGenerateExactlyAsTheirTemplatedIds(string name)
    {
        string model = ChatModelFolder.Create(name);
        var cases = ChatModelFolder.Expected(name).GetProperty("generate").EnumerateArray().ToArray();
        // each messages row is followed by the reference ids of its templated prompt: greedy decoding from the same
        // prompt ids gives the same tokens, from different ones (almost surely) not
        string rows = string.Concat(cases.Select(c =>
            $"{{\"messages\": {JsonSerializer.Serialize(c.GetProperty("messages"))}}}\n{{\"ids\": {JsonSerializer.Serialize(c.GetProperty("ids"))}}}\n"));
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, rows);
        var r = InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", output, "--max-new-tokens", "16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var outs = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("ids").GetRawText()).ToArray();
        Assert.Equal(2 * cases.Length, outs.Length);
        for (int i = 0; i < cases.Length; i++) Assert.Equal(outs[2 * i + 1], outs[2 * i]);

    }

    [Fact]
    public void AnUnsupportedTemplateIsOneLineNamingTheConstruct()
    {
        string model = ChatModelFolder.Create("decoder-qwen2", "{% for m in messages %}{{ m.content | wordwrap(20) }}{% endfor %}");
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "{\"messages\": [{\"role\": \"user\", \"content\": \"hej\"}]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", output),
            1, "in.jsonl:1", "tokenizer_config.json", "the filter 'wordwrap' is not supported");
        Assert.False(File.Exists(output));

        // prompts and ids rows do not need the template, so they still run
        File.WriteAllText(input, "{\"prompt\": \"hej\"}\n");
        var r = InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", output, "--max-new-tokens", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    [Fact]
    public void ATemplateFileThatIsNotUtf8IsOneLineNamingTheFileAndByte()
    {
        // read with U+FFFD in place of the Latin-1 "å": every prompt rendered with it, without a word
        string model = ChatModelFolder.Create("decoder-qwen2");
        string jinja = Path.Combine(model, "chat_template.jinja");
        File.WriteAllBytes(jinja, [.. "{% for m in messages %}"u8, (byte)'h', 0xE5, .. "{{ m.content }}{% endfor %}"u8]);
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "{\"messages\": [{\"role\": \"user\", \"content\": \"hej\"}]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("generate", "--model", model, "--input", input, "--output", output, "--max-new-tokens", "2"),
            1, $"{jinja}:1: not valid UTF-8 (byte 0xE5 at offset 24)");
        Assert.False(File.Exists(output));
    }
}
