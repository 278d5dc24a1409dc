using Skald.Models.Generation;
using Skald.Tests;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="TextGenerator.Tokenize(GenerationInput, int)"/>, what a chat client refuses an over-long request with:
/// for every decoder fixture's tokenizer (byte-level BPE with the Qwen 2 and Llama 3 splits, SentencePiece BPE with byte
/// fallback of Llama 2 / Mistral and Gemma) a prompt or conversation of at most the limit gets exactly the ids
/// <see cref="TextGenerator.Tokenize(GenerationInput)"/> gives, one token more is null, whatever the text's shape
/// (long runs of spaces or of one symbol, words, many lines, texts longer than the bounded path's first prefix).
/// </summary>
public sealed class BoundedTokenizeTests
{
    private static IEnumerable<string> Texts()
    {
        yield return "Hvor ligger legekontoret? Det ligger i sentrum.";
        yield return "Hei" + new string(' ', 3000) + "du";
        yield return new string('=', 5000) + "x";
        yield return string.Join(" ", Enumerable.Repeat("hovedstad", 400));
        yield return string.Join("\n", Enumerable.Range(0, 300).Select(i => $"linje {i}:\tæøå"));
        yield return string.Concat(Enumerable.Repeat("🙂 ", 200));
    }

    [Theory]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-llama3")]
    [InlineData("decoder-mistral")]
    [InlineData("decoder-gemma")]
    [InlineData("decoder-gemma3")]
    public void APromptWithinTheLimitIsTokenizedAsWholeAndOneTokenMoreIsNull(string model)
    {
        using var generator = TextGenerator.Load(TestPaths.FixtureModel(model));
        foreach (var text in Texts()) Check(generator, GenerationInput.FromPrompt(text), text[..Math.Min(20, text.Length)]);
    }

    [Theory]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-llama3")]
    public void AConversationWithinTheLimitIsTokenizedAsWholeAndOneTokenMoreIsNull(string model)
    {
        using var generator = TextGenerator.Load(ChatModelFolder.Create(model));
        foreach (var text in Texts())
        {
            Check(generator, GenerationInput.FromMessages([new ChatTurn("system", "Svar kort."), new ChatTurn("user", text), new ChatTurn("assistant", text),
                new ChatTurn("user", "Og så?")]), text[..Math.Min(20, text.Length)]);
        }
    }

    [Fact]
    public void IdsAreKeptUpToTheLimit()
    {
        using var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-qwen2"));
        Check(generator, GenerationInput.FromIds([5, 6, 7, 8]), "ids");
    }

    private static void Check(TextGenerator generator, GenerationInput input, string what)
    {
        int[] whole = generator.Tokenize(input);
        Assert.True(whole.Length > 1, what);
        Assert.Equal(whole, generator.Tokenize(input, whole.Length));
        Assert.Equal(whole, generator.Tokenize(input, whole.Length + 1));
        Assert.Equal(whole, generator.Tokenize(input, 0));
        Assert.Null(generator.Tokenize(input, whole.Length - 1));
        Assert.Null(generator.Tokenize(input, 1));
    }
}
