using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using Skald.Tests;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/> with Qwen2.5's template on a decoder-qwen2 copy whose tokenizer marks
/// <c>&lt;tool_call&gt;</c> and <c>&lt;/tool_call&gt;</c> special (as some tokenizers do; decoding drops special tokens):
/// the calls are still read, whole and streamed, scripted and decoded by the random model under
/// <c>tool_choice: "required"</c>, because the format's own tags are kept in the text; the content never shows them,
/// with or without tools, and other special tokens are still dropped.
/// </summary>
public sealed class SpecialToolTagsChatClientTests
{
    private const string Call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}\n</tool_call>";
    internal static readonly string Folder = SpecialTags(ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2",
        File.ReadAllText(Path.Combine(TestPaths.Fixtures, "chat-templates", "templates", "qwen2.5-7b-instruct.jinja")))));

    // The folder with <tool_call> and </tool_call> added to its tokenizer as special tokens (in place of two BPE ids).
    private static string SpecialTags(string folder)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        var tokenizer = JsonNode.Parse(File.ReadAllText(path))!;
        var added = tokenizer["added_tokens"]!.AsArray();
        foreach (var (id, content) in new[] { (283, "<tool_call>"), (284, "</tool_call>") })
        {
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        }
        File.WriteAllText(path, tokenizer.ToJsonString());
        return folder;
    }

    private static AIFunctionDeclaration Weather() => AIFunctionFactory.CreateDeclaration("get_weather", "Weather in a city",
        JsonDocument.Parse("""{"type": "object", "properties": {"city": {"enum": ["Oslo", "Göteborg"]}}, "required": ["city"], "additionalProperties": false}""").RootElement.Clone());

    private static ChatMessage[] Asking() => [new(ChatRole.User, "Hur är vädret i Göteborg?")];

    private static async Task<ChatResponse> Answer(SkaldChatClient client, ChatOptions? options, bool streaming) => streaming
        ? await client.GetStreamingResponseAsync(Asking(), options).ToChatResponseAsync()
        : await client.GetResponseAsync(Asking(), options);

    [Fact]
    public void TheFixtureTokenizerDropsTheTagsWhenDecoding()
    {
        var tokenizer = TextGenerator.Load(Folder).Tokenizer;
        Assert.Equal("x", tokenizer.Decode(tokenizer.Encode("<tool_call>x</tool_call>", addSpecialTokens: false).Ids));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACallBetweenSpecialTagsIsReadAndTheContentHasNoTag(bool streaming)
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder)) { Scripted = _ => "Jag kollar.\n" + Call };
        var answer = await Answer(client, new ChatOptions { Tools = [Weather()] }, streaming);
        Assert.Equal(ChatFinishReason.ToolCalls, answer.FinishReason);
        var call = Assert.Single(answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Göteborg", Assert.IsType<JsonElement>(call.Arguments!["city"]).GetString());
        Assert.Equal("Jag kollar.", answer.Text);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public async Task TheContentNeverShowsTheTagsAndOtherSpecialTokensAreStillDropped(bool streaming, bool tools)
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder)) { Scripted = _ => "Se <tool_call>inte JSON</tool_call> och<|begin_of_text|> slut" };
        var answer = await Answer(client, tools ? new ChatOptions { Tools = [Weather()] } : null, streaming);
        Assert.Empty(answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("Se inte JSON och slut", answer.Text);
    }

    [Theory]
    [InlineData(1f, 1UL, false)]
    [InlineData(1f, 2UL, true)]
    [InlineData(0.8f, 3UL, false)]
    public async Task RequiredCallsTheModelWritesWithTheSpecialTagsAreRead(float temperature, ulong seed, bool streaming)
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        var answer = await Answer(client, new ChatOptions
        {
            Tools = [Weather()], ToolMode = ChatToolMode.RequireAny, Temperature = temperature, Seed = (long)seed, MaxOutputTokens = 300,
        }, streaming);
        Assert.Equal(ChatFinishReason.ToolCalls, answer.FinishReason);
        var calls = answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.Contains(Assert.IsType<JsonElement>(c.Arguments!["city"]).GetString(), new[] { "Oslo", "Göteborg" }));
        Assert.Equal("", answer.Text);
    }
}
