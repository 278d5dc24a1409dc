using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests;

/// <summary>
/// The generators count usage from the ids they made to run, not by tokenizing the input again: one call of the
/// embedding generators tokenizes its texts once (<see cref="SentenceEncoder.Tokenizations"/>) and one request of the
/// chat client its prompt or conversation once (<see cref="TextGenerator.Tokenizations"/>), and the usage they report is
/// the token count of that tokenization, computed here apart.
/// </summary>
public sealed class TokenizedOnceTests
{
    private static readonly string[] Texts = ["Hvor ligger biblioteket?", "Biblioteket ligger i sentrum.", "Ferja går kvar time."];

    [Fact]
    public async Task AnEmbeddingGeneratorCallTokenizesItsTextsOnce()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var options = new EncodeOptions { Prompt = "spørsmål: ", MaxLength = 8 }; // a prompt and truncation, both counted
        long expected = Texts.Sum(t => (long)model.Tokenizer.Encode("spørsmål: " + t, true, 8).Ids.Length);
        using var floats = new SkaldEmbeddingGenerator(model, options);
        using var bits = new SkaldBinaryEmbeddingGenerator(model, options);
        int before = model.Tokenizations;

        var generated = await floats.GenerateAsync(Texts);
        Assert.Equal(before + 1, model.Tokenizations);
        Assert.Equal(expected, generated.Usage!.InputTokenCount);
        Assert.Equal(expected, generated.Usage.TotalTokenCount);

        var shorter = await floats.GenerateAsync(Texts, new EmbeddingGenerationOptions { Dimensions = model.Dimension / 2 });
        Assert.Equal(before + 2, model.Tokenizations);
        Assert.Equal(expected, shorter.Usage!.InputTokenCount);

        var signs = await bits.GenerateAsync(Texts);
        Assert.Equal(before + 3, model.Tokenizations);
        Assert.Equal(expected, signs.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task AChatRequestTokenizesItsPromptOnce()
    {
        using var generator = TextGenerator.Load(ChatModelFolder.Create("decoder-qwen2"));
        using var client = new SkaldChatClient(generator);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 2 };
        int expected = generator.Tokenizer.Encode("Sveriges huvudstad?", addSpecialTokens: true).Ids.Length;
        int before = generator.Tokenizations;

        var completion = await client.CompleteAsync("Sveriges huvudstad?", options);
        Assert.Equal(before + 1, generator.Tokenizations);
        Assert.Equal(expected, completion.Usage!.InputTokenCount);

        UsageDetails? streamed = null;
        await foreach (var update in client.CompleteStreamingAsync("Sveriges huvudstad?", options))
            streamed = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? streamed;
        Assert.Equal(before + 2, generator.Tokenizations);
        Assert.Equal(expected, streamed!.InputTokenCount);

        ChatMessage[] messages = [new(ChatRole.System, "Svara kort."), new(ChatRole.User, "Sveriges huvudstad?")];
        var answer = await client.GetResponseAsync(messages, options);
        Assert.Equal(before + 3, generator.Tokenizations);
        await foreach (var update in client.GetStreamingResponseAsync(messages, options))
            streamed = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? streamed;
        Assert.Equal(before + 4, generator.Tokenizations);
        Assert.Equal(answer.Usage!.InputTokenCount, streamed.InputTokenCount);
    }
}
