using System.Globalization;
using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Models.Generation;
using Skald.Retrieval.Index;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// One server with everything <c>skald serve</c> can serve: embeddings (bert-cased-mean), search over an index of
/// samples/documents, rerank (ce-bert), chat and text completions (decoder-qwen2 with a chat template), behind an API key.
/// </summary>
public sealed class FullServer : IAsyncLifetime
{
    /// <summary>The API key every request must send.</summary>
    public const string Key = "fuzz-key";

    private readonly string folder = SampleDocuments.CopyOfIndex(SkaldProcess.Run, ModelDir, "--language", "nb");
    private SearchIndex index = null!;

    /// <summary>The running server.</summary>
    public EmbeddingServer Server { get; private set; } = null!;

    /// <summary>The local decoder behind chat (its queue's <see cref="SkaldChatClient.Pending"/> must return to 0).</summary>
    public SkaldChatClient Chat { get; private set; } = null!;

    /// <summary>The reranker (its <see cref="RerankService.Pending"/> must return to 0).</summary>
    public RerankService Rerank { get; private set; } = null!;

    /// <summary>A client on the server (each request sends its own API key, or none).</summary>
    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(120) };

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        index = SearchIndex.Open(folder);
        Rerank = new RerankService(CrossEncoder.Load(TestPaths.FixtureModel("ce-bert")));
        Chat = new SkaldChatClient(TextGenerator.Load(ChatModelFolder.Create("decoder-qwen2")), "tiny-chat");
        var options = new EmbeddingServiceOptions { ApiKey = Key, MaxInputs = 64, MaxBodyBytes = 1 << 20 };
        var chat = new ChatService(Chat, "tiny-chat", apiKey: Key, maxBodyBytes: options.MaxBodyBytes);
        Server = await EmbeddingServer.StartLiveAsync(SentenceEncoder.Load(ModelDir), new LiveIndex(index), Rerank, chat, "127.0.0.1", 0, options);
        Client.BaseAddress = Server.Address;
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Chat.Dispose();
        index.Dispose();
    }

    /// <summary>The value of the unlabelled metric <paramref name="name"/> in the server's <c>/metrics</c>.</summary>
    public async Task<double> MetricAsync(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.Authorization = new("Bearer", Key);
        using var response = await Client.SendAsync(request);
        string text = await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        return double.Parse(text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..],
            CultureInfo.InvariantCulture);
    }
}
