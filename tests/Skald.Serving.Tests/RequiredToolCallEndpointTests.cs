using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>tool_choice: "required"</c> at <c>POST /v1/chat/completions</c> on the random-weight decoder-qwen2 with Qwen2.5's
/// template (its own decoding, not scripted), for several seeds and temperatures: the answer is
/// <c>message.tool_calls</c> to the request's tools with arguments that validate against their parameters (the tests'
/// own validator), <c>content</c> null and <c>finish_reason: "tool_calls"</c>, whole, streamed and through the OpenAI
/// SDK's required tool choice; <c>parallel_tool_calls: false</c> gives exactly one call.
/// </summary>
public sealed class RequiredToolCallEndpointTests : IAsyncLifetime
{
    private const string Forecast = "{\"type\": \"object\", \"properties\": {\"city\": {\"enum\": [\"Oslo\", \"Bergen\"]}, \"days\": {\"type\": \"integer\"}}, " +
        "\"required\": [\"city\", \"days\"], \"additionalProperties\": false}";
    private const string Time = "{\"type\": \"object\", \"properties\": {\"zone\": {\"enum\": [\"UTC\", \"CET\"]}}, \"required\": [\"zone\"], \"additionalProperties\": false}";
    private static readonly Dictionary<string, string> Schemas = new() { ["forecast"] = Forecast, ["get_time"] = Time };
    private static readonly string Folder = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2",
        File.ReadAllText(Path.Combine(TestPaths.Fixtures, "chat-templates", "templates", "qwen2.5-7b-instruct.jinja"))));
    private EmbeddingServer server = null!;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(120) };

    public async Task InitializeAsync()
    {
        var client = new SkaldChatClient(TextGenerator.Load(Folder), "tiny-required");
        server = await EmbeddingServer.StartLiveAsync(null, null, null, new ChatService(client, "tiny-required"), "127.0.0.1", 0);
        http.BaseAddress = server.Address;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
    }

    private static string Body(string extra, bool stream = false) =>
        "{\"model\": \"tiny-required\", \"messages\": [{\"role\": \"user\", \"content\": \"Hur är vädret i Oslo?\"}], \"tools\": [" +
        $"{{\"type\": \"function\", \"function\": {{\"name\": \"forecast\", \"parameters\": {Forecast}}}}}, " +
        $"{{\"type\": \"function\", \"function\": {{\"name\": \"get_time\", \"parameters\": {Time}}}}}], " +
        $"\"tool_choice\": \"required\", \"max_tokens\": 300{extra}" + (stream ? ", \"stream\": true" : "") + "}";

    private static void CheckCall(string name, string arguments)
    {
        Assert.True(Schemas.TryGetValue(name, out var schema), $"a call to {name}, which is not a tool");
        Assert.Null(SchemaValidator.Problem(schema, arguments));
    }

    [Theory]
    [InlineData("\"required\"")]
    [InlineData("{\"type\": \"function\", \"function\": {\"name\": \"forecast\"}}")]
    public async Task ACallRequiredWithoutToolsIsA400NamingToolChoice(string choice)
    {
        string body = "{\"model\": \"tiny-required\", \"messages\": [{\"role\": \"user\", \"content\": \"Hej\"}], \"tool_choice\": " + choice + "}";
        var (status, answer) = await PostAsync(http, body, path: "v1/chat/completions");
        Assert.Equal(400, status);
        Assert.Equal("tool_choice", Error(answer).GetProperty("param").GetString());
    }

    [Theory]
    [InlineData(0f, 1, false)]
    [InlineData(1f, 2, false)]
    [InlineData(1f, 3, true)]
    [InlineData(1.5f, 4, true)]
    public async Task TheAnswerIsCallsToTheTools(float temperature, int seed, bool parallel)
    {
        var (status, body) = await PostAsync(http, Body($", \"temperature\": {temperature}, \"seed\": {seed}, \"parallel_tool_calls\": {(parallel ? "true" : "false")}"),
            path: "v1/chat/completions");
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var calls = message.GetProperty("tool_calls").EnumerateArray().ToArray();
        if (!parallel) Assert.Single(calls);
        Assert.NotEmpty(calls);
        foreach (var call in calls)
            CheckCall(call.GetProperty("function").GetProperty("name").GetString()!, call.GetProperty("function").GetProperty("arguments").GetString()!);
    }

    [Theory]
    [InlineData(1f, 5)]
    [InlineData(0.7f, 6)]
    public async Task StreamedEachCallArrivesWholeAndTheFinishIsToolCalls(float temperature, int seed)
    {
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(
            Body($", \"temperature\": {temperature}, \"seed\": {seed}, \"parallel_tool_calls\": false", stream: true), Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var choices = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToArray();
        var content = new StringBuilder();
        var calls = new List<JsonElement>();
        foreach (var delta in choices.Select(c => c.GetProperty("delta")))
        {
            if (delta.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) content.Append(c.GetString());
            if (delta.TryGetProperty("tool_calls", out var t)) calls.AddRange(t.EnumerateArray());
        }
        Assert.Equal("", content.ToString());
        var call = Assert.Single(calls);
        CheckCall(call.GetProperty("function").GetProperty("name").GetString()!, call.GetProperty("function").GetProperty("arguments").GetString()!);
        Assert.Equal("tool_calls", choices[^1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task TheSdksRequiredChoiceGetsOneCallWithoutParallelCalls()
    {
        var sdk = new ChatClient("tiny-required", new ApiKeyCredential("not-needed"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });
        var options = new ChatCompletionOptions
        {
            Tools =
            {
                ChatTool.CreateFunctionTool("forecast", "Weather for a city", BinaryData.FromString(Forecast)),
                ChatTool.CreateFunctionTool("get_time", "The time in a zone", BinaryData.FromString(Time)),
            },
            ToolChoice = ChatToolChoice.CreateRequiredChoice(),
            AllowParallelToolCalls = false,
            Temperature = 1f,
            MaxOutputTokenCount = 300,
        };
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK
        options.Seed = 7;
#pragma warning restore OPENAI001
        var answer = (await sdk.CompleteChatAsync([new UserChatMessage("Hur är vädret i Oslo?")], options)).Value;
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, answer.FinishReason);
        var call = Assert.Single(answer.ToolCalls);
        CheckCall(call.FunctionName, call.FunctionArguments.ToString());
    }
}
