using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// Function calling at <c>POST /v1/chat/completions</c>, as vLLM's <c>--enable-auto-tool-choice --tool-call-parser
/// hermes</c> answers it: decoder-qwen2 with Qwen2.5's template, its answers scripted by the test (SkaldChatClient's
/// internal Scripted hook; the tiny model cannot be made to write a call). A <c>&lt;tool_call&gt;</c> block is
/// <c>message.tool_calls</c> with <c>finish_reason: "tool_calls"</c>, whole and streamed (raw and through the OpenAI
/// SDK); the call and its result sent back are rendered through the template; what cannot be honoured is a 400 naming
/// the field.
/// </summary>
public sealed class ToolCallEndpointTests : IAsyncLifetime
{
    private const string Call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}\n</tool_call>";
    private const string Tool = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city\", " +
        "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}";
    private static readonly string Folder = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2",
        File.ReadAllText(Path.Combine(TestPaths.Fixtures, "chat-templates", "templates", "qwen2.5-7b-instruct.jinja"))));
    private readonly List<string> prompts = [];
    private string answer = Call;
    private EmbeddingServer server = null!;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        var client = new SkaldChatClient(TextGenerator.Load(Folder), "tiny-tools")
        {
            Scripted = p =>
            {
                lock (prompts) prompts.Add(p);
                return answer;
            },
        };
        server = await EmbeddingServer.StartLiveAsync(null, null, null, new ChatService(client, "tiny-tools"), "127.0.0.1", 0);
        http.BaseAddress = server.Address;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
    }

    private static string Body(string extra = "", bool stream = false) =>
        $"{{\"model\": \"tiny-tools\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hur är vädret i Göteborg?\"}}], \"tools\": [{Tool}]{extra}" +
        (stream ? ", \"stream\": true" : "") + "}";

    private ChatClient Sdk() => new("tiny-tools", new ApiKeyCredential("not-needed"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    [Fact]
    public async Task ACallIsTheMessagesToolCallsWithTheTextBesideItAsContent()
    {
        answer = "Jag kollar.\n" + Call;
        var (status, body) = await PostAsync(http, Body(), path: "v1/chat/completions");
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal("Jag kollar.", message.GetProperty("content").GetString());
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.StartsWith("chatcmpl-tool-", call.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("{\"city\": \"Göteborg\"}", call.GetProperty("function").GetProperty("arguments").GetString()); // the model's text

        answer = Call; // no text: content null
        (_, body) = await PostAsync(http, Body(", \"tool_choice\": \"auto\""), path: "v1/chat/completions");
        Assert.Equal(JsonValueKind.Null, body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").ValueKind);
    }

    [Fact]
    public async Task TheSdksCallAndTheResultItSendsBackAreRenderedThroughTheTemplate()
    {
        answer = Call;
        ChatTool weather = ChatTool.CreateFunctionTool("get_weather", "Get the current weather in a city",
            BinaryData.FromString("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}"));
        var options = new ChatCompletionOptions { Tools = { weather } };
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("Hur är vädret i Göteborg?")];
        var first = (await Sdk().CompleteChatAsync(messages, options)).Value;
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Göteborg", JsonDocument.Parse(call.FunctionArguments.ToString()).RootElement.GetProperty("city").GetString());

        answer = "Det är 12 grader.";
        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "12 grader"));
        var second = (await Sdk().CompleteChatAsync(messages, options)).Value;
        Assert.Equal("Det är 12 grader.", second.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, second.FinishReason);
        // Qwen2.5's template: the call as the assistant's turn, its result in a <tool_response> of a user turn
        Assert.EndsWith("<|im_start|>user\nHur är vädret i Göteborg?<|im_end|>\n<|im_start|>assistant\n" + Call + "<|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n12 grader\n</tool_response><|im_end|>\n<|im_start|>assistant\n", prompts[^1]);
        Assert.Contains("<tools>\n" + Tool + "\n</tools>", prompts[^1], StringComparison.Ordinal); // the SDK's tool as sent, as vLLM passes it
    }

    [Fact]
    public async Task StreamedEachCallIsOneToolCallsDeltaAndTheBlockNeverShows()
    {
        answer = "Jag kollar.\n" + Call + "\n" + Call.Replace("Göteborg", "Oslo", StringComparison.Ordinal);
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(Body(stream: true), Encoding.UTF8, "application/json"));
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
        Assert.All(calls, c => Assert.Equal("get_weather", c.GetProperty("function").GetProperty("name").GetString()));
        Assert.Equal("tool_calls", choices[^1].GetProperty("finish_reason").GetString());

        // the SDK puts the streamed calls together
        var ids = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        OpenAI.Chat.ChatFinishReason? reason = null;
        await foreach (var u in Sdk().CompleteChatStreamingAsync([new UserChatMessage("Hur är vädret i Göteborg?")],
            new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather") } }))
        {
            foreach (var t in u.ToolCallUpdates)
            {
                if (t.ToolCallId is { } id) ids[t.Index] = id;
                (arguments.TryGetValue(t.Index, out var sb) ? sb : arguments[t.Index] = new StringBuilder()).Append(t.FunctionArgumentsUpdate.ToString());
            }
            reason ??= u.FinishReason;
        }
        Assert.Equal(2, ids.Count);
        Assert.Equal("{\"city\": \"Oslo\"}", arguments[1].ToString());
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, reason);
    }

    [Fact]
    public async Task StreamedWithLogProbsEveryTokenHasItsEntryHeldBackTextIncluded()
    {
        answer = "Jag kollar.\n" + Call;
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(
            Body(", \"logprobs\": true, \"stream_options\": {\"include_usage\": true}", stream: true), Encoding.UTF8, "application/json"));
        var chunks = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        int completion = chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        int entries = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("logprobs"))
            .Sum(l => l.ValueKind == JsonValueKind.Object ? l.GetProperty("content").GetArrayLength() : 0);
        Assert.True(completion > 20, $"{completion} tokens");
        Assert.Equal(completion, entries);
    }

    [Fact]
    public async Task WithParallelToolCallsFalseOnlyTheFirstCallIsAnswered()
    {
        answer = Call + "\n" + Call.Replace("Göteborg", "Oslo", StringComparison.Ordinal);
        var (status, body) = await PostAsync(http, Body(", \"parallel_tool_calls\": false"), path: "v1/chat/completions");
        Assert.Equal(200, status);
        var call = Assert.Single(body.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("{\"city\": \"Göteborg\"}", call.GetProperty("function").GetProperty("arguments").GetString());

        using var response = await http.PostAsync("v1/chat/completions",
            new StringContent(Body(", \"parallel_tool_calls\": false", stream: true), Encoding.UTF8, "application/json"));
        var deltas = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToArray();
        var streamed = deltas.SelectMany(c => c.GetProperty("delta").TryGetProperty("tool_calls", out var t) ? t.EnumerateArray() : []).ToList();
        Assert.Equal(0, Assert.Single(streamed).GetProperty("index").GetInt32());
        Assert.Equal("tool_calls", deltas[^1].GetProperty("finish_reason").GetString());

        (_, body) = await PostAsync(http, Body(", \"parallel_tool_calls\": true"), path: "v1/chat/completions");
        Assert.Equal(2, body.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls").GetArrayLength());
    }

    [Fact]
    public async Task ANamedFunctionInToolChoiceIsCalled()
    {
        answer = "{\"city\": \"Oslo\"}"; // the model writes the arguments only: the call's opening ends the prompt
        var (status, body) = await PostAsync(http, Body(", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}"),
            path: "v1/chat/completions");
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString()); // as OpenAI's
        var call = Assert.Single(choice.GetProperty("message").GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(answer, call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.EndsWith("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ", prompts[^1]);
    }

    [Fact]
    public async Task WithToolChoiceNoneTheAnswerIsText()
    {
        answer = Call;
        var (status, body) = await PostAsync(http, Body(", \"tool_choice\": \"none\""), path: "v1/chat/completions");
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(Call, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.NotEqual("tool_calls", choice.GetProperty("finish_reason").GetString());
    }

    [Theory]
    [InlineData(", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}", "tool_choice")] // not a tool
    [InlineData(", \"tool_choice\": {\"type\": \"function\"}", "tool_choice")]
    [InlineData(", \"tool_choice\": \"sometimes\"", "tool_choice")]
    [InlineData(", \"parallel_tool_calls\": \"no\"", "parallel_tool_calls")]
    [InlineData(", \"response_format\": {\"type\": \"json_object\"}", "response_format")] // decoding held to JSON could never call
    public async Task AToolOptionThatCannotBeHonouredIsA400NamingIt(string extra, string param)
    {
        var (status, body) = await PostAsync(http, Body(extra), path: "v1/chat/completions");
        Assert.Equal(400, status);
        Assert.Equal(param, Error(body).GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("\"tools\": {}", "tools")]
    [InlineData("\"tools\": [{\"type\": \"function\", \"function\": {\"description\": \"x\"}}]", "tools")]
    [InlineData("\"tools\": [{\"type\": \"retrieval\"}]", "tools")]
    [InlineData("\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": \"none\"}}]", "tools")]
    [InlineData("\"messages\": [{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"c\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{oops\"}}]}]", "messages")]
    [InlineData("\"messages\": [{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{}\"}}]}]", "messages")]
    [InlineData("\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"tool\", \"content\": \"12\"}]", "messages")]
    public async Task ABadToolFieldIsA400NamingIt(string fields, string param)
    {
        string json = "{" + fields + (fields.StartsWith("\"messages\"", StringComparison.Ordinal) ? "" : ", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]") + "}";
        var (status, body) = await PostAsync(http, json, path: "v1/chat/completions");
        Assert.Equal(400, status);
        Assert.Equal(param, Error(body).GetProperty("param").GetString());
        Assert.Contains(param == "tools" ? "tools" : "messages[", Error(body).GetProperty("message").GetString());
    }
}
