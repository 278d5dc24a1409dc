using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using Skald.Tests;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A text completion prompt or a conversation far past the model's context is the usual one-line 400 (param
/// <c>prompt</c> or <c>messages</c>), and finding that out costs about what the context holds: the tokenizer is given
/// a few thousand characters of a text of megabytes (<see cref="Skald.Tokenizers.Tokenizer.LongTextChars"/>, the
/// characters its bounded truncation reads), not the whole text, and a conversation of very many messages is rendered
/// through the chat template only about as far (<see cref="Skald.Tokenizers.Templates.ChatTemplate.RenderedChars"/>),
/// by the server, with tools, and by the library's <see cref="SkaldChatClient"/>; the server answers the next request.
/// </summary>
public sealed class FarPastContextTests : IAsyncLifetime
{
    private static readonly string Folder = ChatModelFolder.Create("decoder-qwen2");
    private readonly TextGenerator generator = TextGenerator.Load(Folder);
    private EmbeddingServer server = null!;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(120) };

    public async Task InitializeAsync()
    {
        var chat = new ChatService(new SkaldChatClient(generator, "tiny-chat"), "tiny-chat");
        server = await EmbeddingServer.StartLiveAsync(null, null, null, chat, "127.0.0.1", 0);
        http.BaseAddress = server.Address;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
        generator.Dispose();
    }

    // What the tokenizer may read to refuse: a generous multiple of the context (the text is thousands of times more).
    private long Bound => 64L * generator.Context;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APromptOfMegabytesIsRefusedAfterReadingAboutTheContextsWorth(bool stream)
    {
        string prompt = string.Join(" ", Enumerable.Repeat("hovedstad", 300_000)); // 3 MB
        var (status, body) = await PostAsync(http, Json(new { prompt, max_tokens = 4, stream }), path: "v1/completions");
        Assert.Equal(400, status);
        Assert.Equal("prompt", Error(body).GetProperty("param").GetString());
        Assert.Equal($"the prompt is more than {generator.Context} tokens; this model's context is {generator.Context}",
            Error(body).GetProperty("message").GetString());
        long read = generator.Tokenizer.LongTextChars;
        Assert.InRange(read, 1, Bound); // 0: the whole text went the unbounded way, which this counter does not see
        (status, _) = await PostAsync(http, Json(new { prompt = "Hei", max_tokens = 2 }), path: "v1/completions");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task AConversationOfManyMessagesIsRefusedAfterTokenizingAboutTheContextsWorth()
    {
        var messages = Enumerable.Range(0, 20_000).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", content = "Hvor ligger legekontoret?" });
        var (status, body) = await PostAsync(http, Json(new { messages, max_tokens = 4 }), path: "v1/chat/completions");
        Assert.Equal(400, status);
        Assert.Equal("messages", Error(body).GetProperty("param").GetString());
        Assert.Equal($"the conversation is more than {generator.Context} tokens; this model's context is {generator.Context}",
            Error(body).GetProperty("message").GetString());
        Assert.InRange(generator.Tokenizer.LongTextChars, 1, Bound);
        Assert.InRange(RenderedChars, 1, Bound); // rendered whole: about a million characters
        (status, _) = await PostAsync(http, Json(new { messages = new[] { new { role = "user", content = "Hei" } }, max_tokens = 2 }), path: "v1/chat/completions");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task AConversationOfManyMessagesWithToolsIsRenderedOnlyAboutTheContextsWorth()
    {
        var messages = Enumerable.Range(0, 20_000).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", content = "ok" });
        var tools = new[] { new { type = "function", function = new { name = "vaer", description = "Været i dag", parameters = new { type = "object" } } } };
        var (status, body) = await PostAsync(http, Json(new { messages, tools, tool_choice = "none", max_tokens = 4 }), path: "v1/chat/completions");
        Assert.Equal(400, status);
        Assert.Equal($"the conversation is more than {generator.Context} tokens; this model's context is {generator.Context}",
            Error(body).GetProperty("message").GetString());
        Assert.InRange(RenderedChars, 1, Bound);
    }

    [Fact]
    public async Task TheLibraryRefusesAConversationOfManyMessagesAfterRenderingAboutTheContextsWorth()
    {
        using var client = new SkaldChatClient(generator, "tiny-chat");
        var messages = Enumerable.Range(0, 100_000).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, "hei")).ToList();
        var e = await Assert.ThrowsAsync<PromptRefusedException>(() => client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 4 }));
        Assert.Equal($"the conversation is more than {generator.Context} tokens; this model's context is {generator.Context}", e.Message);
        Assert.InRange(RenderedChars, 1, Bound);
    }

    // Characters the chat template has rendered for this test's requests.
    private long RenderedChars => ((ChatTemplateFormatter)generator.ChatFormatter!).Template.RenderedChars;
}
