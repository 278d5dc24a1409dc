using System.Text;
using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="HermesToolCallParser"/>: <c>&lt;tool_call&gt;</c> blocks become calls (name, arguments' JSON text, a new
/// id), the text outside them the content; a block whose JSON cannot be read stays as content; streamed in any pieces
/// the parser gives the same content and calls as on the whole text, and never lets out part of a block.
/// </summary>
public sealed class HermesToolCallParserTests
{
    private static Func<string> Ids()
    {
        int n = 0;
        return () => $"call{++n}";
    }

    [Fact]
    public void ABlockIsACallAndTheTextBeforeItTheContent()
    {
        var (content, calls) = HermesToolCallParser.Parse(
            "Jag kollar.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\", \"days\": 2}}\n</tool_call>", Ids());
        Assert.Equal("Jag kollar.", content);
        var call = Assert.Single(calls);
        Assert.Equal(new ChatToolCall("call1", "get_weather", "{\"city\": \"Göteborg\", \"days\": 2}"), call);
    }

    [Fact]
    public void SeveralCallsLeaveNoContentAndGetTheirOwnIds()
    {
        string text = "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>\n";
        var (content, calls) = HermesToolCallParser.Parse(text, Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "a", "{\"x\": 1}"), new ChatToolCall("call2", "b", "{}")], calls);
    }

    [Fact]
    public void TheDefaultIdsAreNewAndVllmShaped()
    {
        var (_, calls) = HermesToolCallParser.Parse("<tool_call>{\"name\": \"a\"}</tool_call><tool_call>{\"name\": \"a\"}</tool_call>");
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.StartsWith("chatcmpl-tool-", c.Id, StringComparison.Ordinal));
        Assert.NotEqual(calls[0].Id, calls[1].Id);
        Assert.Equal("{}", calls[0].Arguments); // no arguments: none
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": }\n</tool_call>")] // not JSON
    [InlineData("<tool_call>[\"a\"]</tool_call>")] // not an object
    [InlineData("<tool_call>{\"arguments\": {}}</tool_call>")] // no name
    [InlineData("<tool_call>{\"name\": 3, \"arguments\": {}}</tool_call>")] // a name that is not a string
    [InlineData("<tool_call>{\"name\": \"a\", \"arguments\": \"{}\"}</tool_call>")] // arguments that are not an object
    [InlineData("Så här: <tool_call>{\"name\": \"a\"</tool_call> slut")] // the space before it kept too
    public void ABlockThatDoesNotReadAsACallStaysContent(string text)
    {
        var (content, calls) = HermesToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Fact]
    public void AMalformedBlockStaysContentBesideAGoodOne()
    {
        string bad = "<tool_call>{\"name\": \"a\", </tool_call>";
        var (content, calls) = HermesToolCallParser.Parse($"{bad}\n<tool_call>{{\"name\": \"b\", \"arguments\": {{\"y\": [1, 2]}}}}</tool_call>", Ids());
        Assert.Equal(bad, content); // the whitespace before the good block is dropped
        Assert.Equal([new ChatToolCall("call1", "b", "{\"y\": [1, 2]}")], calls);
    }

    [Fact]
    public void ALastBlockLeftOpenIsReadWhenItsJsonIsWhole()
    {
        var (content, calls) = HermesToolCallParser.Parse("Ok <tool_call>\n{\"name\": \"a\", \"arguments\": {\"q\": \"x\"}}\n", Ids());
        Assert.Equal("Ok", content);
        Assert.Equal([new ChatToolCall("call1", "a", "{\"q\": \"x\"}")], calls);
        var (cut, none) = HermesToolCallParser.Parse("Ok <tool_call>\n{\"name\": \"a\", \"argu", Ids());
        Assert.Empty(none);
        Assert.Equal("Ok <tool_call>\n{\"name\": \"a\", \"argu", cut); // out of tokens mid-call: the text, as it was
    }

    [Fact]
    public void ATagNamedInProseBeforeABlockStaysContentAndTheBlockIsStillACall()
    {
        var (content, calls) = HermesToolCallParser.Parse(
            "Jag skriver <tool_call> för att anropa.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"q\": 1}}\n</tool_call>", Ids());
        Assert.Equal("Jag skriver <tool_call> för att anropa.", content);
        Assert.Equal([new ChatToolCall("call1", "a", "{\"q\": 1}")], calls);

        // the same when the block is left open at the end
        (content, calls) = HermesToolCallParser.Parse("Taggen <tool_call> och <tool_call> öppnar.\n<tool_call>{\"name\": \"b\"}", Ids());
        Assert.Equal("Taggen <tool_call> och <tool_call> öppnar.", content);
        Assert.Equal([new ChatToolCall("call1", "b", "{}")], calls);
    }

    [Fact]
    public void ATagInsideACallsArgumentsDoesNotSplitTheCall()
    {
        var (content, calls) = HermesToolCallParser.Parse("<tool_call>{\"name\": \"echo\", \"arguments\": {\"s\": \"a <tool_call> b\"}}</tool_call>", Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "echo", "{\"s\": \"a <tool_call> b\"}")], calls);
    }

    [Theory]
    [InlineData("Hej! Hur mår du?\n\n")]
    [InlineData("a < b och <tool är inte ett block <tool_cal")]
    [InlineData("")]
    public void TextWithoutBlocksIsTheContentUnchanged(string text)
    {
        var (content, calls) = HermesToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    public static TheoryData<string> Answers() => new()
    {
        "Jag kollar.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}\n</tool_call>\n<tool_call>{\"name\": \"b\"}</tool_call>  ",
        "<tool_call>{\"name\": \"a\", </tool_call> mitt i <tool_call>{\"name\": \"c\", \"arguments\": {\"z\": \"</tool\"}}</tool_call> och sist 😀\n",
        "Bara text, < och <t och <tool_call utan slut",
        "före <tool_call>{\"name\": \"öppen\", \"arguments\": {}}",
        "Skriv <tool_call> så här:\n<tool_call>{\"name\": \"a\"}</tool_call>\nEller <tool_call> igen <tool_call>{\"name\": \"b\"}",
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void StreamedInAnyPiecesItGivesWhatTheWholeTextGives(string text)
    {
        var (content, calls) = HermesToolCallParser.Parse(text, Ids());
        foreach (int size in new[] { 1, 2, 3, 5, 8, 13 })
        {
            var parser = new HermesToolCallParser(Ids());
            var streamed = new StringBuilder();
            var streamedCalls = new List<ChatToolCall>();
            for (int i = 0; i < text.Length; i += size)
            {
                int before = streamed.Length;
                parser.Push(text.Substring(i, Math.Min(size, text.Length - i)), streamed, streamedCalls);
                string shown = streamed.ToString(before, streamed.Length - before);
                Assert.DoesNotContain("<tool_call>{\"name\": \"get", shown, StringComparison.Ordinal);
                Assert.False(shown.Length > 0 && char.IsHighSurrogate(shown[^1]), "half a surrogate pair was let out");
            }
            parser.Finish(streamed, streamedCalls);
            Assert.Equal(content ?? "", streamed.ToString());
            Assert.Equal(calls, streamedCalls);
        }
    }

    [Fact]
    public void TheArgumentsAreTheTextOfTheObjectTheModelWrote()
    {
        var (_, calls) = HermesToolCallParser.Parse("<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": {\"b\": [1.50, true, null]}, \"s\": \"\\u00e5\"}}</tool_call>", Ids());
        string arguments = Assert.Single(calls).Arguments;
        Assert.Equal("{\"a\": {\"b\": [1.50, true, null]}, \"s\": \"\\u00e5\"}", arguments);
        Assert.Equal("å", JsonDocument.Parse(arguments).RootElement.GetProperty("s").GetString());
    }

    [Theory]
    [InlineData("<|im_start|>system\n...<tool_call></tool_call> XML tags", true)]
    [InlineData("{% for message in messages %}{{ message.content }}{% endfor %}", false)]
    public void ATemplateTeachesTheFormatWhenItWritesToolCallBlocks(string template, bool teaches) =>
        Assert.Equal(teaches, HermesToolCallParser.Teaches(template));
}
