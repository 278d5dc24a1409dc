using Skald.Tokenizers.Templates;

namespace Skald.Tokenizers.Tests.Templates;

/// <summary>
/// <see cref="ChatTemplate.ApplyWithin"/>: a limit sees only prefixes of the text the template renders and, when it
/// never says stop, the text is <see cref="ChatTemplate.Apply"/>'s to the character; one that says stop ends the
/// rendering there (the characters written are counted, not timed). <see cref="RenderLimit.Tokens"/> stops only a
/// conversation that has more tokens than its limit, for every fixture tokenizer (byte-level BPE with the GPT-2, Llama 3,
/// cl100k, o200k and Qwen 2 splits, the last with NFC; SentencePiece BPE with byte fallback; Unigram; WordPiece; WordLevel),
/// with and without the chat tokens as added tokens, and stops one far past it early.
/// </summary>
public sealed class RenderLimitTests
{
    private static readonly string[] Templates = ["qwen2-instruct.jinja", "llama-3-8b-instruct.jinja", "qwen3-0.6b.jinja", "mistral-7b-instruct-v0.2-v1.jinja", "gemma-3-it.jinja"];

    private static readonly string[] Contents =
        ["Hvor ligger legekontoret?", "Det ligger i sentrum, ved torget.", "Og så?", "ok", "Takk! 🙂", "linje 1\nlinje 2\tæøå", "2026-03-14: 42 kr."];

    // A conversation of alternating user and assistant turns that ends with the user's.
    private static List<ChatMessage> Conversation(int turns) =>
        [.. Enumerable.Range(0, turns).Select(i => new ChatMessage(i % 2 == 0 ? "user" : "assistant", Contents[i * 5 % Contents.Length]))];

    [Fact]
    public void ALimitThatNeverStopsSeesPrefixesOfTheSameText()
    {
        foreach (string file in Templates)
        {
            var template = ChatTemplateFixtures.Template(file);
            var messages = Conversation(301);
            string whole = template.Apply(messages, addGenerationPrompt: true);
            var seen = new List<string>();
            string? limited = template.ApplyWithin(messages, addGenerationPrompt: true, new RenderLimit(100, text =>
            {
                seen.Add(text);
                return false;
            }));
            Assert.Equal(whole, limited);
            Assert.True(seen.Count >= 3, $"{file}: {seen.Count} checks of a text of {whole.Length} characters");
            Assert.All(seen, text => Assert.StartsWith(text, whole, StringComparison.Ordinal));
            Assert.True(seen[0].Length >= 100, file);
            for (int i = 1; i < seen.Count; i++) Assert.True(seen[i].Length >= 2 * seen[i - 1].Length, $"{file}: check {i} came before the length doubled");
        }
    }

    [Fact]
    public void ALimitThatSaysStopEndsTheRenderingThere()
    {
        foreach (string file in Templates)
        {
            var template = ChatTemplateFixtures.Template(file);
            var messages = Conversation(20_001);
            Assert.Null(template.ApplyWithin(messages, addGenerationPrompt: true, new RenderLimit(1000, _ => true)));
            // the first write past 1000 characters stops it (each write is a tag or one message's content)
            Assert.InRange(template.RenderedChars, 1000, 1200);
        }
    }

    [Fact]
    public void TheJsonMessagesStopTheSameWay()
    {
        var template = ChatTemplateFixtures.Template("qwen2-instruct.jinja");
        string json = System.Text.Json.JsonSerializer.Serialize(Conversation(20_001).Select(m => new { role = m.Role, content = m.Content }));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Null(template.ApplyJsonWithin(doc.RootElement, addGenerationPrompt: true, new RenderLimit(1000, _ => true)));
        Assert.InRange(template.RenderedChars, 1000, 1200);
    }

    [Fact]
    public void ACapturedBlockIsNotTheOutputUntilItIsPrinted()
    {
        var template = ChatTemplate.Parse("{% set all %}{% for m in messages %}{{ m.content }}{% endfor %}{% endset %}{{ all | length }}");
        var checks = 0;
        string? text = template.ApplyWithin(Conversation(2000), addGenerationPrompt: true, new RenderLimit(1, _ =>
        {
            checks++;
            return false;
        }));
        Assert.Equal(template.Apply(Conversation(2000), addGenerationPrompt: true), text);
        Assert.Equal(1, checks); // the printed length only (every write to the captured block would be thousands)
        Assert.Null(template.ApplyWithin(Conversation(2000), addGenerationPrompt: true, new RenderLimit(1, _ => true)));
    }

    public static IEnumerable<object[]> Tokenizers() =>
        Directory.GetDirectories(FixturePaths.TokenizerFixtures).Where(d => File.Exists(Path.Combine(d, "tokenizer.json")))
            .Select(d => new object[] { Path.GetFileName(d) });

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void TheTokenLimitStopsOnlyAConversationWithMoreTokens(string name)
    {
        var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
        foreach (string file in new[] { "qwen2-instruct.jinja", "llama-3-8b-instruct.jinja" })
        {
            var template = ChatTemplateFixtures.Template(file);
            // long runs of one symbol and of spaces, which some vocabularies cover with few tokens, beside words
            var messages = Conversation(301);
            messages[100] = new ChatMessage("user", "Se her:" + new string('=', 3000) + " og" + new string(' ', 3000) + "slutt.");
            string whole = template.Apply(messages, addGenerationPrompt: true);
            int count = tok.Encode(whole, addSpecialTokens: false).Ids.Length;
            string where = $"{name}, {file}, {count} tokens";
            foreach (int max in new[] { 2 * count, count + 1, count, count - 1, count / 2, count / 4, count / 8, count / 16, count / 32, 64, 16 })
            {
                // within the limit: rendered whole; past it: stopped, or rendered whole (where no start proves it yet)
                string? text = template.ApplyWithin(messages, addGenerationPrompt: true, RenderLimit.Tokens(tok, max));
                if (text is null) Assert.True(count > max, $"{where}: stopped at a limit of {max}");
                else Assert.Equal(whole, text);
            }
            long before = template.RenderedChars;
            Assert.Null(template.ApplyWithin(messages, addGenerationPrompt: true, RenderLimit.Tokens(tok, 16)));
            Assert.True(template.RenderedChars - before < 1000, $"{where}: {template.RenderedChars - before} of {whole.Length} characters rendered");
        }
    }

    [Fact]
    public void APipelineWithoutThePrefixProofHasNoTokenLimit()
    {
        // BPE dropout samples its merges: a start proves nothing about the whole text's tokens, so nothing is stopped
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("bpe-gpt2")))!;
        json["model"]!["dropout"] = 0.1;
        Assert.Null(RenderLimit.Tokens(Tokenizer.FromJson(json.ToJsonString()), 16));
        Assert.NotNull(RenderLimit.Tokens(Tokenizer.FromFile(FixturePaths.TokenizerJson("bpe-gpt2")), 16));
    }
}
