using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/> with tools on decoder-qwen2 given Llama 3.1's, Mistral Nemo's and a Mistral v11
/// template (<c>[TOOL_CALLS]name[ARGS]{...}</c>), answers scripted by the test: each template's format is picked, its
/// call comes back as <see cref="FunctionCallContent"/> (whole and streamed), FunctionInvokingChatClient's second turn
/// renders through the template (Mistral's raising unless the call ids are 9 letters and digits), and a named
/// function's answer opens as that format's call.
/// </summary>
public sealed class ToolCallFormatsChatClientTests
{
    private static readonly string Templates = Path.Combine(TestPaths.Fixtures, "chat-templates", "templates");

    // A template of Mistral's v11 calls, in the manner of Mistral Small 3.2's: tools shown, calls as [TOOL_CALLS]name[ARGS]{...}.
    internal const string MistralV11Template =
        "{{ bos_token }}{% if tools %}[AVAILABLE_TOOLS]{{ tools | tojson }}[/AVAILABLE_TOOLS]{% endif %}" +
        "{% for m in messages %}{% if m.role == 'user' %}[INST]{{ m.content }}[/INST]" +
        "{% elif m.role == 'assistant' %}{% if m.tool_calls %}{% for c in m.tool_calls %}[TOOL_CALLS]{{ c.function.name }}[ARGS]{{ c.function.arguments | tojson }}{% endfor %}" +
        "{% else %}{{ m.content }}{% endif %}{{ eos_token }}{% elif m.role == 'tool' %}[TOOL_RESULTS]{{ m.content }}[/TOOL_RESULTS]{% endif %}{% endfor %}";

    private static readonly string Llama = Folder("llama-3.1-8b-instruct.jinja");
    private static readonly string Mistral = Folder("mistral-nemo-instruct-2407.jinja");
    private static readonly string MistralV11 = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2", MistralV11Template));

    private static string Folder(string template) =>
        ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2", File.ReadAllText(Path.Combine(Templates, template))));

    private static AIFunction Weather(Action<string> asked) => AIFunctionFactory.Create((string city) =>
    {
        asked(city);
        return $"12 grader i {city}";
    }, "get_weather", "Get the current weather in a city");

    private static ChatMessage[] Asking() => [new(ChatRole.User, "Hur är vädret i Göteborg?")];

    [Theory]
    [InlineData(false, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Göteborg\"}}")]
    [InlineData(true, "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Göteborg\"}}")]
    public async Task ALlamaCallIsReadAndItsResultGoesBackThroughTheTemplate(bool streaming, string call)
    {
        var prompts = new List<string>();
        string? asked = null;
        using var local = new SkaldChatClient(TextGenerator.Load(Llama), "tiny")
        {
            Scripted = p =>
            {
                prompts.Add(p);
                return p.Contains("<|start_header_id|>ipython<|end_header_id|>", StringComparison.Ordinal) ? "Det är 12 grader." : call;
            },
        };
        Assert.Equal(ToolCallFormat.Llama3Json, local.ToolCallFormat);
        using IChatClient client = new ChatClientBuilder(local).UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [Weather(c => asked = c)] };
        var answer = streaming
            ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
            : await client.GetResponseAsync(Asking(), options);

        Assert.Equal("Göteborg", asked);
        Assert.Equal("Det är 12 grader.", answer.Text);
        Assert.Equal(2, prompts.Count);
        Assert.Contains("\"name\": \"get_weather\"", prompts[0], StringComparison.Ordinal); // the tool, shown
        // Llama 3.1's template: the call as the assistant's JSON, the result in an ipython turn
        Assert.Contains("<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Göteborg\"}}<|eot_id|>" +
            "<|start_header_id|>ipython<|end_header_id|>\n\n\"12 grader i Göteborg\"<|eot_id|>", prompts[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}]")]
    [InlineData(true, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}]")]
    [InlineData(false, "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}]")] // the tag dropped by decoding
    public async Task AMistralCallIsReadWithAnIdItsTemplateTakesBack(bool streaming, string call)
    {
        var prompts = new List<string>();
        string? asked = null;
        using var local = new SkaldChatClient(TextGenerator.Load(Mistral), "tiny")
        {
            Scripted = p =>
            {
                prompts.Add(p);
                return p.Contains("[TOOL_RESULTS]", StringComparison.Ordinal) ? "Det är 12 grader." : call;
            },
        };
        Assert.Equal(ToolCallFormat.Mistral, local.ToolCallFormat);
        var first = await local.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather(_ => { })] });
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.Matches("^[A-Za-z0-9]{9}$", Assert.IsType<FunctionCallContent>(Assert.Single(first.Messages.Single().Contents)).CallId);

        prompts.Clear();
        using IChatClient client = new ChatClientBuilder(local).UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [Weather(c => asked = c)] };
        var answer = streaming
            ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
            : await client.GetResponseAsync(Asking(), options);

        Assert.Equal("Göteborg", asked);
        Assert.Equal("Det är 12 grader.", answer.Text);
        Assert.Equal(2, prompts.Count);
        Assert.Contains("[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"", prompts[0], StringComparison.Ordinal);
        Assert.Matches("\\[TOOL_CALLS\\]\\[\\{\"name\": \"get_weather\", \"arguments\": \\{\"city\": \"Göteborg\"\\}, \"id\": \"([A-Za-z0-9]{9})\"\\}\\]<\\|im_end\\|>" + // (the fixture model's eos)
            "\\[TOOL_RESULTS\\]\\{\"content\": 12 grader i Göteborg, \"call_id\": \"\\1\"\\}\\[/TOOL_RESULTS\\]", prompts[1]);
    }

    [Theory]
    [InlineData("llama", "{\"name\": \"get_weather\", \"parameters\": ")]
    [InlineData("mistral", "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": ")]
    [InlineData("mistral_v11", "[TOOL_CALLS]get_weather[ARGS]")]
    public async Task ANamedFunctionsAnswerOpensAsTheFormatsCall(string family, string opening)
    {
        string? prompt = null;
        using var client = new SkaldChatClient(TextGenerator.Load(family == "llama" ? Llama : family == "mistral" ? Mistral : MistralV11), "tiny")
        {
            Scripted = p => { prompt = p; return "{\"city\": \"Oslo\"}"; },
        };
        var answer = await client.GetResponseAsync(Asking(),
            new ChatOptions { Tools = [Weather(_ => { })], ToolMode = ChatToolMode.RequireSpecific("get_weather") });
        Assert.EndsWith(opening, prompt);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(answer.Messages.Single().Contents));
        Assert.Equal("Oslo", Assert.IsType<JsonElement>(call.Arguments!["city"]).GetString());
        if (family != "llama") Assert.Matches("^[A-Za-z0-9]{9}$", call.CallId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ANamedFunctionsOpeningWritesTheCallIdWhereTheTemplateWritesThem(bool streaming)
    {
        // a v11 template that writes [CALL_ID] (as Mistral Small 3.1's): the opening writes a 9-character id, which the call keeps
        string folder = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2", MistralV11Template.Replace("[ARGS]", "[CALL_ID]{{ c.id }}[ARGS]", StringComparison.Ordinal)));
        string? prompt = null;
        using var client = new SkaldChatClient(TextGenerator.Load(folder), "tiny")
        {
            Scripted = p => { prompt = p; return "{\"city\": \"Oslo\"}"; },
        };
        var options = new ChatOptions { Tools = [Weather(_ => { })], ToolMode = ChatToolMode.RequireSpecific("get_weather") };
        var answer = streaming
            ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
            : await client.GetResponseAsync(Asking(), options);
        var call = Assert.Single(answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Matches("^[A-Za-z0-9]{9}$", call.CallId);
        Assert.EndsWith("[TOOL_CALLS]get_weather[CALL_ID]" + call.CallId + "[ARGS]", prompt);
    }

    [Theory]
    [InlineData(false, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Göteborg\"}")]
    [InlineData(true, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Göteborg\"}")]
    [InlineData(false, "get_weather{\"city\": \"Göteborg\"}")] // the tags dropped by decoding
    public async Task AMistralV11CallIsReadAndItsResultGoesBackThroughTheTemplate(bool streaming, string call)
    {
        var prompts = new List<string>();
        string? asked = null;
        using var local = new SkaldChatClient(TextGenerator.Load(MistralV11), "tiny")
        {
            Scripted = p =>
            {
                prompts.Add(p);
                return p.Contains("[TOOL_RESULTS]", StringComparison.Ordinal) ? "Det är 12 grader." : call;
            },
        };
        Assert.Equal(ToolCallFormat.MistralV11, local.ToolCallFormat);
        using IChatClient client = new ChatClientBuilder(local).UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [Weather(c => asked = c)] };
        var answer = streaming
            ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
            : await client.GetResponseAsync(Asking(), options);

        Assert.Equal("Göteborg", asked);
        Assert.Equal("Det är 12 grader.", answer.Text);
        Assert.Equal(2, prompts.Count);
        Assert.Contains("[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Göteborg\"}", prompts[1], StringComparison.Ordinal);
        var callContent = answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.Matches("^[A-Za-z0-9]{9}$", callContent.CallId);
    }
}
