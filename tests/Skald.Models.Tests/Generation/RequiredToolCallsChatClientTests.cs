using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using Skald.Tests;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/> with <see cref="ChatToolMode.RequireAny"/> on the random-weight decoder-qwen2 given
/// Qwen2.5's, Llama 3.1's, Mistral Nemo's and a Mistral v11 template, for several seeds and temperatures, whole and
/// streamed: the answer is calls, each to one of the tools with arguments that validate against its parameters
/// (checked by the tests' own schema validator), with <see cref="ChatFinishReason.ToolCalls"/> and no text; exactly
/// one call when <see cref="ChatOptions.AllowMultipleToolCalls"/> is false; the prompt ends with the format's opening.
/// A v11 template that writes call ids (<c>[CALL_ID]</c>, as Mistral Small 3.1's) gets them written and kept.
/// </summary>
public sealed class RequiredToolCallsChatClientTests
{
    private const string Forecast = """
        {"type": "object", "properties": {"city": {"enum": ["Oslo", "Bergen"]}, "days": {"type": "integer"}},
         "required": ["city", "days"], "additionalProperties": false}
        """;

    private const string Time = """
        {"type": "object", "properties": {"zone": {"enum": ["UTC", "CET"]}}, "required": ["zone"], "additionalProperties": false}
        """;

    private static readonly string Templates = Path.Combine(TestPaths.Fixtures, "chat-templates", "templates");
    private static readonly Dictionary<string, string> Folders = new()
    {
        ["qwen"] = Folder(File.ReadAllText(Path.Combine(Templates, "qwen2.5-7b-instruct.jinja"))),
        ["llama"] = Folder(File.ReadAllText(Path.Combine(Templates, "llama-3.1-8b-instruct.jinja"))),
        ["mistral"] = Folder(File.ReadAllText(Path.Combine(Templates, "mistral-nemo-instruct-2407.jinja"))),
        ["mistral_v11"] = Folder(ToolCallFormatsChatClientTests.MistralV11Template),
        ["mistral_v11_ids"] = Folder(ToolCallFormatsChatClientTests.MistralV11Template.Replace("[ARGS]", "[CALL_ID]{{ c.id }}[ARGS]", StringComparison.Ordinal)),
    };

    private static string Folder(string template) => ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2", template));

    private static readonly Dictionary<string, string> Schemas = new() { ["forecast"] = Forecast, ["get_time"] = Time };

    private static List<AITool> Tools() =>
    [
        AIFunctionFactory.CreateDeclaration("forecast", "Weather for a city", JsonDocument.Parse(Forecast).RootElement.Clone()),
        AIFunctionFactory.CreateDeclaration("get_time", "The time in a zone", JsonDocument.Parse(Time).RootElement.Clone()),
    ];

    private static ChatMessage[] Asking() => [new(ChatRole.User, "Hur är vädret i Oslo?")];

    private static async Task<ChatResponse> Answer(SkaldChatClient client, ChatOptions options, bool streaming) => streaming
        ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
        : await client.GetResponseAsync(Asking(), options);

    // Every call is to one of the tools, with arguments its schema takes; how many there are.
    private static int CheckCalls(ChatResponse answer)
    {
        var calls = answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.NotEmpty(calls);
        foreach (var call in calls)
        {
            Assert.True(Schemas.TryGetValue(call.Name, out var schema), $"a call to {call.Name}, which is not a tool");
            string arguments = Assert.IsType<ChatToolCall>(call.RawRepresentation).Arguments;
            Assert.Null(SchemaValidator.Problem(schema, arguments));
        }
        Assert.Equal("", answer.Text);
        Assert.Equal(ChatFinishReason.ToolCalls, answer.FinishReason);
        return calls.Count;
    }

    [Theory]
    [InlineData("qwen", 0f, 1UL, false)]
    [InlineData("qwen", 1f, 2UL, true)]
    [InlineData("qwen", 1.5f, 3UL, false)]
    [InlineData("llama", 0f, 4UL, true)]
    [InlineData("llama", 1f, 5UL, false)]
    [InlineData("mistral", 0f, 6UL, false)]
    [InlineData("mistral", 1f, 7UL, true)]
    [InlineData("mistral_v11", 0f, 8UL, true)]
    [InlineData("mistral_v11", 1f, 9UL, false)]
    [InlineData("mistral_v11_ids", 0f, 10UL, false)]
    [InlineData("mistral_v11_ids", 1f, 17UL, true)]
    public async Task WithoutParallelCallsTheAnswerIsOneCallToATool(string template, float temperature, ulong seed, bool streaming)
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folders[template]));
        var answer = await Answer(client, new ChatOptions
        {
            Tools = Tools(), ToolMode = ChatToolMode.RequireAny, AllowMultipleToolCalls = false,
            Temperature = temperature, Seed = (long)seed, MaxOutputTokens = 200,
        }, streaming);
        Assert.Equal(1, CheckCalls(answer));
    }

    [Theory]
    [InlineData("qwen", 1f, 11UL, false)]
    [InlineData("qwen", 1f, 12UL, true)]
    [InlineData("llama", 1f, 13UL, false)]
    [InlineData("mistral", 1f, 16UL, true)]
    [InlineData("mistral_v11", 1f, 15UL, false)]
    [InlineData("mistral_v11_ids", 1f, 18UL, true)]
    public async Task WithParallelCallsTheAnswerIsCallsToTools(string template, float temperature, ulong seed, bool streaming)
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folders[template]));
        var answer = await Answer(client, new ChatOptions
        {
            Tools = Tools(), ToolMode = ChatToolMode.RequireAny, Temperature = temperature, Seed = (long)seed, MaxOutputTokens = 400,
        }, streaming);
        CheckCalls(answer);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OutOfTokensInsideTheCallTheAnswerIsItsTextWithLength(bool streaming)
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folders["qwen"]));
        var answer = await Answer(client, new ChatOptions
        {
            Tools = Tools(), ToolMode = ChatToolMode.RequireAny, Temperature = 0, MaxOutputTokens = 3, // too few for any call
        }, streaming);
        Assert.Equal(ChatFinishReason.Length, answer.FinishReason);
        Assert.Empty(answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.StartsWith("<tool_call>\n{\"name\": \"", answer.Text, StringComparison.Ordinal); // the opening the prompt ended with, then the text
    }

    [Fact]
    public async Task ACallRequiredWithoutToolsIsRefusedNamingToolChoice()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folders["qwen"])) { Scripted = _ => "svar" };
        foreach (var mode in new ChatToolMode[] { ChatToolMode.RequireAny, ChatToolMode.RequireSpecific("get_time") })
        {
            var e = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(Asking(), new ChatOptions { ToolMode = mode }));
            Assert.Equal("tool_choice", e.Field);
            e = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(Asking(), new ChatOptions { Tools = [], ToolMode = mode }));
            Assert.Equal("tool_choice", e.Field);
        }
    }

    [Theory]
    [InlineData("qwen", "<|im_start|>assistant\n<tool_call>\n{\"name\": \"")]
    [InlineData("llama", "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"")]
    [InlineData("mistral", "[/INST][TOOL_CALLS][{\"name\": \"")]
    [InlineData("mistral_v11", "[/INST][TOOL_CALLS]")]
    public async Task ThePromptEndsWithTheFormatsOpening(string template, string end)
    {
        string? prompt = null;
        using var client = new SkaldChatClient(TextGenerator.Load(Folders[template]))
        {
            Scripted = p =>
            {
                prompt = p;
                return "get_time\", \"arguments\": {\"zone\": \"UTC\"}}";
            },
        };
        await client.GetResponseAsync(Asking(), new ChatOptions { Tools = Tools(), ToolMode = ChatToolMode.RequireAny });
        Assert.EndsWith(end, prompt, StringComparison.Ordinal);
    }
}
