using System.Text;
using System.Text.Json;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// Function calling at <c>POST /v1/chat/completions</c> with Mistral Nemo's template (vLLM's <c>--tool-call-parser
/// mistral</c>), decoder-qwen2's answers scripted by the test: <c>[TOOL_CALLS]</c> and its array are
/// <c>message.tool_calls</c> whose ids are 9 letters and digits, whole and streamed, and a call sent back with its
/// result renders through the template, which refuses any other id.
/// </summary>
public sealed class MistralToolCallEndpointTests : IAsyncLifetime
{
    private const string Call = "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}, " +
        "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}]";
    private const string Tool = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city\", " +
        "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}";
    private static readonly string Folder = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2",
        File.ReadAllText(Path.Combine(TestPaths.Fixtures, "chat-templates", "templates", "mistral-nemo-instruct-2407.jinja"))));
    private readonly List<string> prompts = [];
    private string answer = Call;
    private EmbeddingServer server = null!;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        var client = new SkaldChatClient(TextGenerator.Load(Folder), "tiny-mistral")
        {
            Scripted = p =>
            {
                lock (prompts) prompts.Add(p);
                return answer;
            },
        };
        server = await EmbeddingServer.StartLiveAsync(null, null, null, new ChatService(client, "tiny-mistral"), "127.0.0.1", 0);
        http.BaseAddress = server.Address;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
    }

    private static string Body(string messages, bool stream = false) =>
        $"{{\"model\": \"tiny-mistral\", \"messages\": [{messages}], \"tools\": [{Tool}]{(stream ? ", \"stream\": true" : "")}}}";

    private const string Question = "{\"role\": \"user\", \"content\": \"Hur är vädret i Göteborg?\"}";

    [Fact]
    public async Task TheCallsAreToolCallsWithMistralIdsAndComeBackThroughTheTemplate()
    {
        var (status, body) = await PostAsync(http, Body(Question), path: "v1/chat/completions");
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var calls = message.GetProperty("tool_calls").EnumerateArray().ToArray();
        Assert.Equal(["{\"city\": \"Göteborg\"}", "{\"city\": \"Oslo\"}"], calls.Select(c => c.GetProperty("function").GetProperty("arguments").GetString()));
        Assert.All(calls, c => Assert.Matches("^[A-Za-z0-9]{9}$", c.GetProperty("id").GetString()));

        answer = "Det är 12 grader.";
        string id = calls[0].GetProperty("id").GetString()!;
        string back = Question + ", {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [" + calls[0].GetRawText() + "]}, " +
            $"{{\"role\": \"tool\", \"tool_call_id\": \"{id}\", \"content\": \"12 grader\"}}";
        (status, body) = await PostAsync(http, Body(back), path: "v1/chat/completions");
        Assert.Equal(200, status);
        Assert.Equal("Det är 12 grader.", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Contains($"[TOOL_CALLS][{{\"name\": \"get_weather\", \"arguments\": {{\"city\": \"Göteborg\"}}, \"id\": \"{id}\"}}]", prompts[^1], StringComparison.Ordinal);
        Assert.Contains($"[TOOL_RESULTS]{{\"content\": 12 grader, \"call_id\": \"{id}\"}}[/TOOL_RESULTS]", prompts[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamedTheTextBeforeTheTagComesAndEachCallArrivesWhole()
    {
        answer = "Jag kollar.\n" + Call;
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(Body(Question, stream: true), Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var choices = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToArray();
        var content = new StringBuilder();
        var calls = new List<JsonElement>();
        foreach (var delta in choices.Select(c => c.GetProperty("delta")))
        {
            if (delta.TryGetProperty("content", out var c)) content.Append(c.GetString());
            if (delta.TryGetProperty("tool_calls", out var t)) calls.AddRange(t.EnumerateArray());
        }
        Assert.Equal("Jag kollar.", content.ToString());
        Assert.Equal([0, 1], calls.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal(["{\"city\": \"Göteborg\"}", "{\"city\": \"Oslo\"}"], calls.Select(c => c.GetProperty("function").GetProperty("arguments").GetString()));
        Assert.All(calls, c => Assert.Matches("^[A-Za-z0-9]{9}$", c.GetProperty("id").GetString()));
        Assert.Equal("tool_calls", choices[^1].GetProperty("finish_reason").GetString());
    }
}
