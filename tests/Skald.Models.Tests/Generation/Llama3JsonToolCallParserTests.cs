using System.Text;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="Llama3JsonToolCallParser"/>: an answer that is one or more <c>{"name", "parameters"}</c> objects (after
/// <c>&lt;|python_tag|&gt;</c> or not, separated by <c>;</c>) is calls; anything else, a malformed call included, is the
/// content unchanged; streamed in any pieces it gives what the whole text gives.
/// </summary>
public sealed class Llama3JsonToolCallParserTests
{
    private static Func<string> Ids()
    {
        int n = 0;
        return () => $"call{++n}";
    }

    [Theory]
    [InlineData("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Göteborg\"}}")]
    [InlineData("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Göteborg\"}}")]
    [InlineData("\n  {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}\n")]
    public void AnAnswerThatIsACallObjectIsACall(string text)
    {
        var (content, calls) = Llama3JsonToolCallParser.Parse(text, Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "get_weather", "{\"city\": \"Göteborg\"}")], calls);
    }

    [Fact]
    public void CallsSeparatedBySemicolonsAreEachACallAndASemicolonInAStringDoesNotSplit()
    {
        var (content, calls) = Llama3JsonToolCallParser.Parse(
            "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"s\": \"x; {\\\"name\\\": \\\"z\\\"}\"}}; {\"name\": \"b\", \"parameters\": {}};{\"name\": \"c\"}", Ids());
        Assert.Null(content);
        Assert.Equal([
            new ChatToolCall("call1", "a", "{\"s\": \"x; {\\\"name\\\": \\\"z\\\"}\"}"),
            new ChatToolCall("call2", "b", "{}"),
            new ChatToolCall("call3", "c", "{}")], calls);
    }

    [Theory]
    [InlineData("{\"name\": \"a\", \"parameters\": {\"x\": }")] // not JSON
    [InlineData("{\"parameters\": {}}")] // no name
    [InlineData("{\"name\": 3, \"parameters\": {}}")] // a name that is not a string
    [InlineData("{\"name\": \"a\", \"parameters\": \"{}\"}")] // parameters that are not an object
    [InlineData("{\"name\": \"a\", \"parameters\": {}} och sedan text")] // prose after the call
    [InlineData("{\"name\": \"a\"}; {\"name\": \"b\", ")] // a good call, then one cut short: none of them
    [InlineData("{\"name\": \"a\"};")] // a separator with no call after it
    [InlineData("<|python_tag|>print('hej')")] // code, not JSON
    public void AnAnswerThatDoesNotReadAsCallsIsTheContentUnchanged(string text)
    {
        var (content, calls) = Llama3JsonToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Theory]
    [InlineData("Det är 12 grader i Göteborg.")]
    [InlineData("Svaret: {\"name\": \"a\", \"parameters\": {}}")] // a call after prose is prose, as vLLM reads it
    [InlineData("<|python")]
    [InlineData("  \n")]
    [InlineData("")]
    public void TextIsTheContentUnchanged(string text)
    {
        var (content, calls) = Llama3JsonToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Fact]
    public void TheDefaultIdsAreNewAndVllmShaped()
    {
        var (_, calls) = Llama3JsonToolCallParser.Parse("{\"name\": \"a\"}; {\"name\": \"a\"}");
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.StartsWith("chatcmpl-tool-", c.Id, StringComparison.Ordinal));
        Assert.NotEqual(calls[0].Id, calls[1].Id);
    }

    [Fact]
    public void ContentStreamsAsSoonAsTheStartShowsItIsNoCall()
    {
        var parser = new Llama3JsonToolCallParser(Ids());
        var content = new StringBuilder();
        var calls = new List<ChatToolCall>();
        parser.Push(" <|py", content, calls);
        Assert.Equal("", content.ToString()); // may still be the tag
        parser.Push("x", content, calls);
        Assert.Equal(" <|pyx", content.ToString());
        parser.Push(" och mer", content, calls);
        Assert.Equal(" <|pyx och mer", content.ToString());
    }

    public static TheoryData<string> Answers() => new()
    {
        "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Göteborg 😀\"}}; {\"name\": \"b\", \"parameters\": {}}",
        "  {\"name\": \"a\", \"parameters\": {\"q\": \"; }\"}}\n",
        "{\"name\": \"a\", \"parameters\": {\"x\": 1}} och text",
        "Bara text, <| och { efteråt 😀",
        "<|python_tag|",
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void StreamedInAnyPiecesItGivesWhatTheWholeTextGives(string text)
    {
        var (content, calls) = Llama3JsonToolCallParser.Parse(text, Ids());
        foreach (int size in new[] { 1, 2, 3, 5, 8, 13 })
        {
            var parser = new Llama3JsonToolCallParser(Ids());
            var streamed = new StringBuilder();
            var streamedCalls = new List<ChatToolCall>();
            for (int i = 0; i < text.Length; i += size)
                parser.Push(text.Substring(i, Math.Min(size, text.Length - i)), streamed, streamedCalls);
            parser.Finish(streamed, streamedCalls);
            Assert.Equal(content ?? "", streamed.ToString());
            Assert.Equal(calls, streamedCalls);
        }
    }
}
