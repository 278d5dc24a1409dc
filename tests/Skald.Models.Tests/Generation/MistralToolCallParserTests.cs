using System.Text;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="MistralToolCallParser"/>: <c>[TOOL_CALLS]</c> and a JSON array of <c>{"name", "arguments"}</c> are calls,
/// the text before the tag the content; a malformed array stays content; ids are 9 letters and digits; streamed in any
/// pieces it gives what the whole text gives and never lets out the tag.
/// </summary>
public sealed class MistralToolCallParserTests
{
    private static Func<string> Ids()
    {
        int n = 0;
        return () => $"call{++n}";
    }

    [Fact]
    public void TheArrayAfterTheTagIsTheCallsAndTheTextBeforeItTheContent()
    {
        var (content, calls) = MistralToolCallParser.Parse(
            "Jag kollar.\n[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Göteborg\"}}, {\"name\": \"b\"}]", Ids());
        Assert.Equal("Jag kollar.", content);
        Assert.Equal([new ChatToolCall("call1", "get_weather", "{\"city\": \"Göteborg\"}"), new ChatToolCall("call2", "b", "{}")], calls);

        (content, calls) = MistralToolCallParser.Parse("[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": [1]}}]\n", Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "a", "{\"x\": [1]}")], calls);
    }

    [Theory]
    [InlineData("[TOOL_CALLS] [{\"name\": \"a\", \"arguments\": {\"x\": }}]")] // not JSON
    [InlineData("[TOOL_CALLS] {\"name\": \"a\", \"arguments\": {}}")] // not an array
    [InlineData("[TOOL_CALLS] []")] // no call
    [InlineData("[TOOL_CALLS] [{\"arguments\": {}}]")] // no name
    [InlineData("[TOOL_CALLS] [{\"name\": \"a\", \"arguments\": \"{}\"}]")] // arguments that are not an object
    [InlineData("[TOOL_CALLS] [{\"name\": \"a\"}, 3]")] // one good, one not: none
    [InlineData("Så här: [TOOL_CALLS] [{\"name\": \"a\"}] och text efter")] // prose after the array; the space before kept
    public void WhatDoesNotReadAsCallsStaysContent(string text)
    {
        var (content, calls) = MistralToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Theory]
    [InlineData("[{\"name\": \"a\", \"arguments\": {\"x\": 1}}]")]
    [InlineData("\n [ {\"name\": \"a\", \"arguments\": {\"x\": 1}} ]\n")]
    public void AnAnswerThatIsTheArrayWithoutItsTagIsCallsAsTheDecodingDropsTheSpecialToken(string text)
    {
        var (content, calls) = MistralToolCallParser.Parse(text, Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "a", "{\"x\": 1}")], calls);
    }

    [Theory]
    [InlineData("[{\"name\": \"a\"}] och text efter")]
    [InlineData("[{\"namn\": \"a\"}]")]
    [InlineData("[1, 2]")]
    [InlineData("[Källa 1] Göteborg")]
    [InlineData("Svar: [{\"name\": \"a\"}]")] // an array after prose is prose
    public void AnArrayThatIsNotCallsAloneIsTheContentUnchanged(string text)
    {
        var (content, calls) = MistralToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Fact]
    public void AnAnswerOpeningOtherwiseThanAsAnArrayOfObjectsStreamsAtOnce()
    {
        var parser = new MistralToolCallParser(Ids());
        var content = new StringBuilder();
        var calls = new List<ChatToolCall>();
        parser.Push(" [", content, calls);
        Assert.Equal("", content.ToString()); // may be the tag, or an array of calls
        parser.Push("1] Göteborg", content, calls);
        Assert.Equal(" [1] Göteborg", content.ToString());
    }

    [Theory]
    [InlineData("Hej! Hur mår du?\n\n")]
    [InlineData("[TOOL och [TOOL_CALL")]
    [InlineData("")]
    public void TextWithoutTheTagIsTheContentUnchanged(string text)
    {
        var (content, calls) = MistralToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Fact]
    public void TheDefaultIdsAreNineLettersAndDigitsAndNew()
    {
        var (_, calls) = MistralToolCallParser.Parse("[TOOL_CALLS] [{\"name\": \"a\"}, {\"name\": \"a\"}]");
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Matches("^[A-Za-z0-9]{9}$", c.Id));
        Assert.NotEqual(calls[0].Id, calls[1].Id);
    }

    public static TheoryData<string> Answers() => new()
    {
        "Jag kollar 😀\n[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"[TOOL_CALLS]\"}}]",
        "[TOOL_CALLS] [{\"name\": \"a\", ",
        "Bara text, [ och [TOOL utan slut [TOOL_CALL",
        "före \n [TOOL_CALLS] inte JSON",
        " [ {\"name\": \"a\", \"arguments\": {\"s\": \"😀\"}}, {\"name\": \"b\"}]",
        "[{\"name\": \"a\"}] men sedan text",
        "[TOOL_CALLS",
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void StreamedInAnyPiecesItGivesWhatTheWholeTextGives(string text)
    {
        var (content, calls) = MistralToolCallParser.Parse(text, Ids());
        foreach (int size in new[] { 1, 2, 3, 5, 8, 13 })
        {
            var parser = new MistralToolCallParser(Ids());
            var streamed = new StringBuilder();
            var streamedCalls = new List<ChatToolCall>();
            for (int i = 0; i < text.Length; i += size)
            {
                int before = streamed.Length;
                parser.Push(text.Substring(i, Math.Min(size, text.Length - i)), streamed, streamedCalls);
                string shown = streamed.ToString(before, streamed.Length - before);
                if (calls.Count > 0) Assert.DoesNotContain("[TOOL", shown, StringComparison.Ordinal);
                Assert.False(shown.Length > 0 && char.IsHighSurrogate(shown[^1]), "half a surrogate pair was let out");
            }
            parser.Finish(streamed, streamedCalls);
            Assert.Equal(content ?? "", streamed.ToString());
            Assert.Equal(calls, streamedCalls);
        }
    }
}
