using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using Skald.Models.Generation;

namespace Skald.Serving.Tests;

/// <summary>
/// What the chat endpoint test classes share: <c>skald serve --generator</c> over a copy of the decoder-qwen2 fixture
/// with a real chat template (<see cref="ChatFolder"/>), started for each test on a free loopback port, with
/// <see cref="Http"/> pointed at it and <see cref="Sdk"/> giving the official OpenAI SDK's chat client on it.
/// </summary>
public abstract class LiveChatServerTests : IAsyncLifetime
{
    /// <summary>The chat model's folder (made once per test run).</summary>
    protected static readonly string ChatFolder = ChatModelFolder.Create("decoder-qwen2");

    /// <summary>The running server (set by <see cref="InitializeAsync"/>).</summary>
    protected EmbeddingServer Server { get; private set; } = null!;

    /// <summary>A client whose base address is the server's.</summary>
    protected HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var chat = new ChatService(new SkaldChatClient(TextGenerator.Load(ChatFolder), "tiny-chat"), "tiny-chat");
        Server = await EmbeddingServer.StartLiveAsync(null, null, null, chat, "127.0.0.1", 0);
        Http.BaseAddress = Server.Address;
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>The OpenAI SDK's chat client on the server's <c>/v1</c>.</summary>
    protected ChatClient Sdk() => new("tiny-chat", new ApiKeyCredential("not-needed"), new OpenAIClientOptions { Endpoint = new Uri(Server.Address, "v1") });
}
