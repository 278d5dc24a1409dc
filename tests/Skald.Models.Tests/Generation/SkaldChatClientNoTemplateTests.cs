using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Chat messages to a <see cref="SkaldChatClient"/> whose model has no chat template: an <see cref="ArgumentException"/>
/// in the chat client's terms (the folder, that a chat_template in tokenizer_config.json or chat_template.jinja is needed,
/// plain text through CompleteAsync), not TextGenerator's "give a prompt or ids instead", which stays for prompt rows.
/// </summary>
public sealed class SkaldChatClientNoTemplateTests
{
    private static readonly string Folder = TestPaths.FixtureModel("decoder-llama3"); // no chat_template anywhere

    [Fact]
    public async Task ChatMessagesWithoutATemplateSayWhatTheClientNeeds()
    {
        using var client = SkaldChatClient.Load(Folder);
        ChatOptions[] requests = [new() { MaxOutputTokens = 2 },
            new() { MaxOutputTokens = 2, Tools = [AIFunctionFactory.Create((string city) => city, "weather")] }];
        foreach (var options in requests)
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new(ChatRole.User, "Hei")], options));
            Assert.Contains(Folder + " has none", e.Message);
            Assert.Contains("chat_template", e.Message);
            Assert.Contains("tokenizer_config.json", e.Message);
            Assert.Contains("chat_template.jinja", e.Message);
            Assert.Contains("CompleteAsync", e.Message);
            Assert.DoesNotContain("give a prompt or ids", e.Message);
        }
        Assert.NotNull((await client.CompleteAsync("Hei", new ChatOptions { MaxOutputTokens = 2, Temperature = 0 })).Text); // what it points to answers
        var raw = Assert.Throws<InvalidOperationException>(() => client.Generator.Tokenize(new GenerationInput { Messages = [new ChatTurn("user", "Hei")] }));
        Assert.EndsWith("give a prompt or ids instead", raw.Message); // TextGenerator (and the CLI) keep their wording
    }
}
