using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/> with tools, on decoder-qwen2 with Qwen2.5's template and answers scripted by the test
/// (its internal <c>Scripted</c> hook stands in for the generator, which cannot be made to write a call): the tools reach
/// the prompt as jinja2 renders them, a <c>&lt;tool_call&gt;</c> block comes back as <see cref="FunctionCallContent"/>
/// with <see cref="ChatFinishReason.ToolCalls"/>, whole and streamed, and Microsoft.Extensions.AI's
/// FunctionInvokingChatClient calls a real <see cref="AIFunction"/> and sends its result back through the template.
/// </summary>
public sealed class ToolCallingChatClientTests
{
    private const string Call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}\n</tool_call>";
    private static readonly string Templates = Path.Combine(TestPaths.Fixtures, "chat-templates");
    private static readonly string Folder = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2",
        File.ReadAllText(Path.Combine(Templates, "templates", "qwen2.5-7b-instruct.jinja"))));

    // The fixture conversation "tools" (fixtures/chat-templates/conversations.json): its tool as a declaration.
    private static AIFunctionDeclaration Weather()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Templates, "conversations.json")));
        var f = doc.RootElement.EnumerateArray().First(c => c.GetProperty("name").GetString() == "tools")
            .GetProperty("extra").GetProperty("tools")[0].GetProperty("function");
        return AIFunctionFactory.CreateDeclaration(f.GetProperty("name").GetString()!, f.GetProperty("description").GetString(),
            f.GetProperty("parameters").Clone());
    }

    private static ChatMessage[] Asking() => [new(ChatRole.System, "You can call tools."), new(ChatRole.User, "Hur är vädret i Göteborg?")];

    private static SkaldChatClient Client(Func<string, string> script, string? folder = null) =>
        new(TextGenerator.Load(folder ?? Folder), "tiny") { Scripted = script };

    [Fact]
    public async Task TheToolsReachThePromptAsJinja2RendersThemAndTheCallComesBack()
    {
        string? prompt = null;
        using var client = Client(p => { prompt = p; return "Jag kollar.\n" + Call; });
        var answer = await client.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()] });

        string expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Templates, "expected.json"))).RootElement
            .GetProperty("qwen2.5-7b-instruct.jinja").GetProperty("tools").GetProperty("output").GetString()!;
        Assert.Equal(expected, prompt);
        Assert.Equal(ChatFinishReason.ToolCalls, answer.FinishReason);
        var contents = answer.Messages.Single().Contents;
        Assert.Equal("Jag kollar.", Assert.IsType<TextContent>(contents[0]).Text);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(contents.Skip(1)));
        Assert.Equal("get_weather", call.Name);
        Assert.StartsWith("chatcmpl-tool-", call.CallId, StringComparison.Ordinal);
        Assert.Equal("Göteborg", Assert.IsType<JsonElement>(Assert.Single(call.Arguments!).Value).GetString());
    }

    [Fact]
    public async Task StreamedTheBlockIsHeldBackAndTheCallComesWhole()
    {
        using var client = Client(_ => "Jag kollar.\n" + Call + "\n");
        var text = new StringBuilder();
        var calls = new List<FunctionCallContent>();
        ChatFinishReason? reason = null;
        await foreach (var u in client.GetStreamingResponseAsync(Asking(), new ChatOptions { Tools = [Weather()] }))
        {
            Assert.DoesNotContain("<tool", u.Text, StringComparison.Ordinal);
            text.Append(u.Text);
            calls.AddRange(u.Contents.OfType<FunctionCallContent>());
            reason = u.FinishReason ?? reason;
        }
        Assert.Equal("Jag kollar.", text.ToString());
        var call = Assert.Single(calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Göteborg", Assert.IsType<JsonElement>(call.Arguments!["city"]).GetString());
        Assert.Equal(ChatFinishReason.ToolCalls, reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FunctionInvokingChatClientCallsTheFunctionAndSendsItsResultBack(bool streaming)
    {
        var prompts = new List<string>();
        string? asked = null;
        var weather = AIFunctionFactory.Create((string city) =>
        {
            asked = city;
            return $"12 grader och mulet i {city}";
        }, "get_weather", "Get the current weather in a city");
        using var local = Client(p =>
        {
            prompts.Add(p);
            return p.Contains("<tool_response>", StringComparison.Ordinal) ? "Det är 12 grader och mulet." : Call;
        });
        using IChatClient client = new ChatClientBuilder(local).UseFunctionInvocation().Build();
        ChatMessage[] messages = [new(ChatRole.User, "Hur är vädret i Göteborg?")];
        var options = new ChatOptions { Tools = [weather] };
        var answer = streaming
            ? await client.GetStreamingResponseAsync(messages, options).ToChatResponseAsync()
            : await client.GetResponseAsync(messages, options);

        Assert.Equal("Göteborg", asked);
        Assert.Equal("Det är 12 grader och mulet.", answer.Text);
        Assert.Equal(2, prompts.Count);
        // Qwen2.5's template: the call as the assistant's turn, the result in a <tool_response> of a user turn.
        Assert.EndsWith("<|im_start|>user\nHur är vädret i Göteborg?<|im_end|>\n<|im_start|>assistant\n" + Call + "<|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n12 grader och mulet i Göteborg\n</tool_response><|im_end|>\n<|im_start|>assistant\n", prompts[1]);
    }

    [Fact]
    public async Task WithToolModeNoneTheToolsAreShownButTheAnswerIsText()
    {
        string? prompt = null;
        using var client = Client(p => { prompt = p; return Call; });
        var answer = await client.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()], ToolMode = ChatToolMode.None });
        Assert.Contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"", prompt, StringComparison.Ordinal);
        Assert.Equal(Call, answer.Text);
        Assert.Empty(answer.Messages.Single().Contents.OfType<FunctionCallContent>());
        Assert.NotEqual(ChatFinishReason.ToolCalls, answer.FinishReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ANamedFunctionIsCalledTheModelWritingOnlyItsArguments(bool streaming)
    {
        string? prompt = null;
        using var client = Client(p => { prompt = p; return "{\"city\": \"Oslo\"}"; });
        var options = new ChatOptions { Tools = [Weather()], ToolMode = ChatToolMode.RequireSpecific("get_weather") };
        var answer = streaming
            ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
            : await client.GetResponseAsync(Asking(), options);
        // the answer starts as the call, as Qwen2.5's template teaches it
        Assert.EndsWith("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ", prompt);
        var call = Assert.Single(answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Oslo", Assert.IsType<JsonElement>(call.Arguments!["city"]).GetString());
        Assert.Equal("", answer.Text);
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason); // as OpenAI answers a named function

        options.ResponseFormat = ChatResponseFormat.Json; // JSON mode beside it changes nothing: the arguments are JSON
        Assert.Equal("get_weather", Assert.Single((await client.GetResponseAsync(Asking(), options)).Messages.Single().Contents.OfType<FunctionCallContent>()).Name);
        var e = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(Asking(),
            new ChatOptions { Tools = [Weather()], ToolMode = ChatToolMode.RequireSpecific("get_time") }));
        Assert.Equal("tool_choice", e.Field);
    }

    [Fact]
    public async Task ANamedFunctionsArgumentsAreDecodedAsAJsonObject()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder)); // the tiny model itself, which knows no JSON
        var answer = await client.GetResponseAsync(Asking(), new ChatOptions
        {
            Tools = [Weather()], ToolMode = ChatToolMode.RequireSpecific("get_weather"), Temperature = 0, MaxOutputTokens = 300,
        });
        if (answer.FinishReason == ChatFinishReason.Length)
            Assert.StartsWith("{", answer.Text.TrimStart(), StringComparison.Ordinal); // out of tokens inside the object
        else
            Assert.Equal("get_weather", Assert.Single(answer.Messages.Single().Contents.OfType<FunctionCallContent>()).Name);
    }

    [Theory]
    [InlineData(0f, 1UL)]
    [InlineData(1f, 2UL)]
    [InlineData(1f, 3UL)]
    public async Task ANamedFunctionsArgumentsFollowItsParametersSchema(float temperature, ulong seed)
    {
        // A schema the tiny model would not meet by chance: a required city out of two names, and a required count.
        using var parameters = JsonDocument.Parse("""
            {"type": "object", "properties": {"city": {"enum": ["Oslo", "Bergen"]}, "days": {"type": "integer"}},
             "required": ["city", "days"], "additionalProperties": false}
            """);
        var forecast = AIFunctionFactory.CreateDeclaration("forecast", "Weather for a city", parameters.RootElement.Clone());
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        var answer = await client.GetResponseAsync(Asking(), new ChatOptions
        {
            Tools = [forecast], ToolMode = ChatToolMode.RequireSpecific("forecast"), Temperature = temperature, Seed = (long)seed,
            MaxOutputTokens = 200,
        });
        // The schema leaves few tokens to choose (an enum, at most 16 digits), so the call ends well within 200; held to
        // any JSON object instead, the tiny model writes one string until it runs out.
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        var call = Assert.Single(answer.Messages.Single().Contents.OfType<FunctionCallContent>());
        Assert.Equal(["city", "days"], call.Arguments!.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(Assert.IsType<JsonElement>(call.Arguments["city"]).GetString(), new[] { "Oslo", "Bergen" });
        Assert.Equal(JsonValueKind.Number, Assert.IsType<JsonElement>(call.Arguments["days"]).ValueKind);
        Assert.True(Assert.IsType<JsonElement>(call.Arguments["days"]).TryGetInt64(out _));
    }

    [Fact]
    public async Task ANamedFunctionWhoseSchemaDoesNotCompileStillGetsAJsonObject()
    {
        using var parameters = JsonDocument.Parse("""{"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}}""");
        var lookup = AIFunctionFactory.CreateDeclaration("lookup", null, parameters.RootElement.Clone());
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        var answer = await client.GetResponseAsync(Asking(), new ChatOptions
        {
            Tools = [lookup], ToolMode = ChatToolMode.RequireSpecific("lookup"), Temperature = 0, MaxOutputTokens = 200,
        });
        if (answer.FinishReason == ChatFinishReason.Length)
            Assert.StartsWith("{", answer.Text.TrimStart(), StringComparison.Ordinal);
        else
            Assert.Equal("lookup", Assert.Single(answer.Messages.Single().Contents.OfType<FunctionCallContent>()).Name);
    }

    [Fact]
    public async Task ATemplateThatTeachesNoCallFormatRefusesToolsUnlessAParserIsSet()
    {
        string plain = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2")); // Qwen2's template: no tools, no <tool_call>
        using var client = Client(_ => Call, plain);
        Assert.Equal(ToolCallFormat.None, client.ToolCallFormat);
        var e = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()] }));
        Assert.Equal("tools", e.Field);

        using var told = new SkaldChatClient(TextGenerator.Load(plain)) { Scripted = _ => Call, ToolCallParser = ToolCallFormat.Hermes };
        var answer = await told.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()] });
        Assert.Equal("get_weather", Assert.Single(answer.Messages.Single().Contents.OfType<FunctionCallContent>()).Name);
    }

    [Fact]
    public async Task ATemplateThatCannotBeReadIsAnArgumentExceptionWithToolsAsWithout()
    {
        string broken = ChatModelFolder.Create("decoder-qwen2", "{% for m in messages %}{{ m.content }"); // never closed
        using var client = Client(_ => Call, broken);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()] }));
        Assert.Contains("tokenizer_config.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFormatterThatCannotShowToolsIsAnArgumentExceptionNamingIt()
    {
        var generator = TextGenerator.Load(Folder);
        generator.ChatFormatter = new TextOnly();
        using var client = new SkaldChatClient(generator) { Scripted = _ => Call, ToolCallParser = ToolCallFormat.Hermes };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()] }));
        Assert.Contains("TextOnly cannot show tools", e.Message, StringComparison.Ordinal);
        Assert.Equal(Call, (await client.GetResponseAsync(Asking())).Text); // without tools it formats, and nothing is read for calls
    }

    // A formatter of an app's own that knows nothing of tools (IChatFormatter's default for them).
    private sealed class TextOnly : IChatFormatter
    {
        public string Format(IReadOnlyList<ChatTurn> messages) => string.Concat(messages.Select(m => $"{m.Role}: {m.Content}\n"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithoutParallelCallsOnlyTheFirstCallIsRead(bool streaming)
    {
        using var client = Client(_ => Call + "\n" + Call.Replace("Göteborg", "Oslo", StringComparison.Ordinal));
        async Task<ChatResponse> Ask(ChatOptions options) => streaming
            ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
            : await client.GetResponseAsync(Asking(), options);
        static string[] Cities(ChatResponse r) => [.. r.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select(c => Assert.IsType<JsonElement>(c.Arguments!["city"]).GetString()!)];

        var one = await Ask(new ChatOptions { Tools = [Weather()], AllowMultipleToolCalls = false });
        Assert.Equal(["Göteborg"], Cities(one));
        Assert.Equal(ChatFinishReason.ToolCalls, one.FinishReason);
        Assert.Equal("", one.Text);
        Assert.Equal(["Göteborg", "Oslo"], Cities(await Ask(new ChatOptions { Tools = [Weather()] })));
    }

    [Fact]
    public async Task JsonModeWithToolsIsRefusedNamingResponseFormatUnlessToolChoiceIsNone()
    {
        // decoding held to a JSON object could never write a call: tools offered with it would silently never be called
        const string json = "{\"svar\": \"<tool_call>{\\\"name\\\": \\\"get_weather\\\"}</tool_call>\"}";
        using var client = Client(_ => json);
        var e = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(Asking(),
            new ChatOptions { Tools = [Weather()], ResponseFormat = ChatResponseFormat.Json }));
        Assert.Equal("response_format", e.Field);
        await Assert.ThrowsAsync<ChatOptionException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Asking(), new ChatOptions { Tools = [Weather()], ResponseFormat = ChatResponseFormat.Json }))
            {
            }
        });

        var answer = await client.GetResponseAsync(Asking(),
            new ChatOptions { Tools = [Weather()], ResponseFormat = ChatResponseFormat.Json, ToolMode = ChatToolMode.None });
        Assert.Equal(json, answer.Text);
        Assert.Empty(answer.Messages.Single().Contents.OfType<FunctionCallContent>());
    }

    [Fact]
    public async Task ContentThatCannotBeReadIsNamedByItsMessagesIndex()
    {
        using var client = Client(_ => "x");
        ChatMessage[] messages =
        [
            new(ChatRole.User, "Hur är vädret?"),
            new(ChatRole.Assistant, [new FunctionCallContent("a", "get_weather"), new FunctionCallContent("b", "get_weather")]),
            new(ChatRole.Tool, [new FunctionResultContent("a", "12"), new FunctionResultContent("b", "13")]),
            new(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")]),
        ];
        // messages[3], whatever the instructions and the two tool turns before it add to the prompt
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(messages, new ChatOptions { Instructions = "Var kort." }));
        Assert.StartsWith("message 3: DataContent", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonStringResultsReachTheTemplateAsJsonAndOneThatCannotBeWrittenIsNamed()
    {
        var prompts = new List<string>();
        using var client = Client(p => { prompts.Add(p); return "Ok."; });
        static ChatMessage[] Answered(params object?[] results) =>
        [
            new(ChatRole.User, "Hur är vädret?"),
            new(ChatRole.Assistant, [.. results.Select((_, i) => (AIContent)new FunctionCallContent($"c{i}", "get_weather"))]),
            new(ChatRole.Tool, [.. results.Select((r, i) => (AIContent)new FunctionResultContent($"c{i}", r))]),
        ];
        await client.GetResponseAsync(Answered(new Dictionary<string, object> { ["temp"] = 12, ["unit"] = "C" }, 12.5,
            JsonDocument.Parse("[1, \"två\"]").RootElement, JsonDocument.Parse("\"mulet\"").RootElement, null), new ChatOptions { Tools = [Weather()] });
        // Qwen2.5's template: each result in a <tool_response> of one user turn
        string[] responses = [.. prompts[0].Split("<tool_response>\n").Skip(1).Select(r => r[..r.IndexOf("\n</tool_response>", StringComparison.Ordinal)])];
        Assert.Equal(5, responses.Length);
        var weather = JsonDocument.Parse(responses[0]).RootElement;
        Assert.Equal(12, weather.GetProperty("temp").GetInt32());
        Assert.Equal("C", weather.GetProperty("unit").GetString());
        Assert.Equal(["12.5", "[1, \"två\"]", "mulet", ""], responses[1..]);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Answered("ok", typeof(int))));
        Assert.Contains("call c1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MaxTokensCuttingABlockIsLengthWithItsTextUnlessTheCallsJsonIsWhole(bool streaming)
    {
        using var client = Client(_ => Call);
        async Task<ChatResponse> Ask(int max) => streaming
            ? await client.GetStreamingResponseAsync(Asking(), new ChatOptions { Tools = [Weather()], MaxOutputTokens = max }).ToChatResponseAsync()
            : await client.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()], MaxOutputTokens = max });
        var tokenizer = client.Generator.Tokenizer;
        int[] ids = tokenizer.Encode(Call, addSpecialTokens: false).Ids;
        // the fewest tokens that hold the whole JSON, "</tool_call>" not yet written
        int whole = Enumerable.Range(1, ids.Length).First(n => tokenizer.Decode(ids[..n], skipSpecialTokens: true).Contains("}}", StringComparison.Ordinal));
        Assert.DoesNotContain("</tool_call>", tokenizer.Decode(ids[..whole], skipSpecialTokens: true), StringComparison.Ordinal);

        var cut = await Ask(whole - 1); // mid-JSON: no call, the text as it was, out of tokens
        Assert.Equal(ChatFinishReason.Length, cut.FinishReason);
        Assert.Equal(tokenizer.Decode(ids[..(whole - 1)], skipSpecialTokens: true), cut.Text);
        Assert.Empty(cut.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());

        var open = await Ask(whole); // the JSON whole, the block left open: a call, as vLLM reads it
        Assert.Equal(ChatFinishReason.ToolCalls, open.FinishReason);
        Assert.Equal("get_weather", Assert.Single(open.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()).Name);
    }

    [Fact]
    public async Task AnAnswerWithoutACallIsTextWithItsOwnFinishReason()
    {
        using var client = Client(_ => "Det vet jag inte.");
        var answer = await client.GetResponseAsync(Asking(), new ChatOptions { Tools = [Weather()] });
        Assert.Equal("Det vet jag inte.", answer.Text);
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Empty(answer.Messages.Single().Contents.OfType<FunctionCallContent>());
    }
}
