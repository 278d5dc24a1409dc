using System.ClientModel;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Skald.Models;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/chat/completions</c> with a local decoder (fixtures/models/decoder-qwen2 with Qwen2's chat template):
/// the official OpenAI .NET SDK's ChatClient gets the answers the library's <see cref="SkaldChatClient"/> gives, whole
/// and streamed; bad requests are OpenAI 400s naming the field; one /v1/models lists the embedding and the chat model;
/// a chat-only server serves no embeddings.
/// </summary>
public sealed class ChatEndpointTests : IAsyncLifetime
{
    private static readonly string ChatFolder = ChatModelFolder.Create("decoder-qwen2");
    private readonly SkaldChatClient reference = new(TextGenerator.Load(ChatFolder));
    private EmbeddingServer server = null!;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        var chat = new ChatService(new SkaldChatClient(TextGenerator.Load(ChatFolder), "tiny-chat"), "tiny-chat");
        server = await EmbeddingServer.StartLiveAsync(SentenceEncoder.Load(ModelDir), null, null, chat, "127.0.0.1", 0);
        http.BaseAddress = server.Address;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
    }

    private ChatClient Sdk() => new("tiny-chat", new ApiKeyCredential("not-needed"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    private static ChatMessage[] Conversation() => [new SystemChatMessage("Svara kort."), new UserChatMessage("Sveriges huvudstad?")];

    private static Microsoft.Extensions.AI.ChatMessage[] Same() =>
        [new(ChatRole.System, "Svara kort."), new(ChatRole.User, "Sveriges huvudstad?")];

    [Fact]
    public async Task TheSdksAnswerIsTheLibrarysGreedyAnswer()
    {
        var expected = await reference.GetResponseAsync(Same(), new ChatOptions { Temperature = 0, MaxOutputTokens = 10 });
        var answer = (await Sdk().CompleteChatAsync(Conversation(), new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 10 })).Value;
        Assert.Equal(expected.Text, answer.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, answer.Role);
        Assert.Equal("tiny-chat", answer.Model);
        Assert.Equal(expected.Usage!.InputTokenCount, answer.Usage.InputTokenCount);
        Assert.Equal(expected.Usage.OutputTokenCount, answer.Usage.OutputTokenCount);
        Assert.Equal(expected.FinishReason == Microsoft.Extensions.AI.ChatFinishReason.Length ? OpenAI.Chat.ChatFinishReason.Length : OpenAI.Chat.ChatFinishReason.Stop,
            answer.FinishReason);
    }

    [Fact]
    public async Task TheSdksStreamIsTheSameTextWithUsageLast()
    {
        var expected = await reference.GetResponseAsync(Same(), new ChatOptions { Temperature = 0, MaxOutputTokens = 16 });
        var text = new StringBuilder();
        OpenAI.Chat.ChatFinishReason? reason = null;
        ChatTokenUsage? usage = null;
        await foreach (var u in Sdk().CompleteChatStreamingAsync(Conversation(), new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 }))
        {
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            reason ??= u.FinishReason;
            usage ??= u.Usage;
        }
        Assert.Equal(expected.Text, text.ToString());
        Assert.NotNull(reason);
        Assert.NotNull(usage); // the SDK asks for stream_options.include_usage
        Assert.Equal(expected.Usage!.OutputTokenCount, usage.OutputTokenCount);
    }

    [Fact]
    public async Task TextPartsAreOneTextJoinedByNewlinesAsVllmJoinsThem()
    {
        // The user's content as two text parts reads as "Sveriges\nhuvudstad?" (vLLM's "\n".join of a message's parts).
        Microsoft.Extensions.AI.ChatMessage[] joined = [new(ChatRole.System, "Svara kort."), new(ChatRole.User, "Sveriges\nhuvudstad?")];
        var expected = await reference.GetResponseAsync(joined, new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });
        string body = Json(new
        {
            model = "tiny-chat", max_tokens = 8, temperature = 0,
            messages = new object[]
            {
                new { role = "system", content = "Svara kort." },
                new { role = "user", content = new[] { new { type = "text", text = "Sveriges" }, new { type = "text", text = "huvudstad?" } } },
            },
        });
        var (status, answer) = await PostAsync(http, body, path: "v1/chat/completions");
        Assert.Equal(200, status);
        Assert.Equal(expected.Usage!.InputTokenCount, answer.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(expected.Text, answer.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task TheRawStreamIsServerSentChunksEndedByDone()
    {
        string body = Json(new { model = "tiny-chat", messages = new[] { new { role = "user", content = "Hei" } }, max_tokens = 5, temperature = 0, stream = true });
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Single(chunks, c => c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        Assert.Equal(chunks[0].GetProperty("id").GetString(), chunks[^1].GetProperty("id").GetString());
        Assert.False(chunks[^1].TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object); // not asked for
    }

    [Theory]
    [InlineData("{\"model\": \"x\"}", "messages")]
    [InlineData("{\"messages\": []}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"x\"}}]}]}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 2}", "n")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": 3}", "temperature")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 0}", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 100000}", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stop\": [\"\"]}", "stop")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}", "tools")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"p\", \"schema\": {}}}}", "response_format")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"yaml\"}}", "response_format")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": \"json_object\"}", "response_format")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"frequency_penalty\": 0.5}", "frequency_penalty")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"presence_penalty\": 1, \"stream\": true}", "presence_penalty")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": \"yes\"}", "logprobs")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": true, \"top_logprobs\": 21}", "top_logprobs")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"top_logprobs\": 2}", "top_logprobs")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 100000, \"stream\": true}", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logit_bias\": {\"7\": -100}}", "logit_bias")]
    public async Task ABadRequestIsAnOpenAi400NamingTheField(string json, string param)
    {
        var (status, body) = await PostAsync(http, json, path: "v1/chat/completions");
        Assert.Equal(400, status);
        Assert.Equal(param, Error(body).GetProperty("param").GetString());
    }

    [Fact]
    public async Task ModelsListsBothAndConcurrentRequestsAllGetTheirAnswer()
    {
        var models = JsonDocument.Parse(await http.GetStringAsync("v1/models")).RootElement.GetProperty("data").EnumerateArray()
            .Select(m => m.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(["bert-cased-mean", "tiny-chat"], models);
        Assert.Equal("tiny-chat", JsonDocument.Parse(await http.GetStringAsync("v1/models/tiny-chat")).RootElement.GetProperty("id").GetString());
        var expected = await reference.GetResponseAsync(Same(), new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Sdk().CompleteChatAsync(Conversation(), new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 6 })));
        Assert.All(answers, a => Assert.Equal(expected.Text, a.Value.Content[0].Text));
        var (status, _) = await PostAsync(http, Json(new { input = "hei" }));
        Assert.Equal(200, status); // embeddings still served beside it
        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("skald_chat_completion_tokens_total", metrics);
        Assert.Contains("endpoint=\"chat\"", metrics);
    }

    [Fact]
    public async Task AnApiKeyGuardsChatAsItGuardsEmbeddings()
    {
        var chat = new ChatService(new SkaldChatClient(TextGenerator.Load(ChatFolder), "keyed"), "keyed", apiKey: "s3cret");
        await using var keyed = await EmbeddingServer.StartLiveAsync(null, null, null, chat, "127.0.0.1", 0, new EmbeddingServiceOptions { ApiKey = "s3cret" });
        using var client = new HttpClient { BaseAddress = keyed.Address, Timeout = TimeSpan.FromSeconds(60) };
        string body = Json(new { messages = new[] { new { role = "user", content = "Hei" } }, max_tokens = 2 });
        var (status, error) = await PostAsync(client, body, path: "v1/chat/completions");
        Assert.Equal(401, status);
        Assert.Equal("missing_api_key", Error(error).GetProperty("code").GetString());
        (status, _) = await PostAsync(client, body, "wrong", "v1/chat/completions");
        Assert.Equal(401, status);
        (status, _) = await PostAsync(client, body, "s3cret", "v1/chat/completions");
        Assert.Equal(200, status);
        using var models = await client.GetAsync("v1/models");
        Assert.Equal(401, (int)models.StatusCode);
        // the SDK with the key
        var sdk = new ChatClient("keyed", new ApiKeyCredential("s3cret"), new OpenAIClientOptions { Endpoint = new Uri(keyed.Address, "v1") });
        Assert.Equal(ChatMessageRole.Assistant, (await sdk.CompleteChatAsync([new UserChatMessage("Hei")], new ChatCompletionOptions { MaxOutputTokenCount = 2 })).Value.Role);
    }

    [Fact]
    public async Task AChatOnlyServerServesNoEmbeddings()
    {
        var chat = new ChatService(new SkaldChatClient(TextGenerator.Load(ChatFolder), "only-chat"), "only-chat");
        await using var only = await EmbeddingServer.StartLiveAsync(null, null, null, chat, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = only.Address, Timeout = TimeSpan.FromSeconds(60) };
        var (status, body) = await PostAsync(client, Json(new { input = "hei" }));
        Assert.Equal(404, status);
        Assert.Contains("/v1/chat/completions", Error(body).GetProperty("message").GetString());
        Assert.Equal("only-chat", JsonDocument.Parse(await client.GetStringAsync("health")).RootElement.GetProperty("model").GetString());
        Assert.Equal("only-chat", JsonDocument.Parse(await client.GetStringAsync("v1/models")).RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        (status, body) = await PostAsync(client, Json(new { messages = new[] { new { role = "user", content = "Hei" } }, max_tokens = 3 }), path: "v1/chat/completions");
        Assert.Equal(200, status);
        Assert.InRange(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 3);
        Assert.Equal("only-chat", body.GetProperty("model").GetString());
    }
}
