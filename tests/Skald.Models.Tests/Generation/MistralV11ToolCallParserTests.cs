using System.Text;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="MistralV11ToolCallParser"/>: <c>[TOOL_CALLS]name[ARGS]{...}</c> per call (with <c>[CALL_ID]id</c> in some
/// versions) are calls, the text before the first tag the content; what is not calls alone stays content with its tags;
/// a written id of 9 letters and digits is kept, another replaced; without the tags (dropped by decoding) an answer that
/// is such calls alone is read too; streamed in any pieces it gives what the whole text gives and never lets out a tag.
/// </summary>
public sealed class MistralV11ToolCallParserTests
{
    private static Func<string> Ids()
    {
        int n = 0;
        return () => $"call{++n}";
    }

    [Fact]
    public void EachTaggedCallIsACallAndTheTextBeforeTheFirstTheContent()
    {
        var (content, calls) = MistralV11ToolCallParser.Parse(
            "Jag kollar.\n[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Göteborg\"}[TOOL_CALLS]get_time[ARGS]{}", Ids());
        Assert.Equal("Jag kollar.", content);
        Assert.Equal([new ChatToolCall("call1", "get_weather", "{\"city\": \"Göteborg\"}"), new ChatToolCall("call2", "get_time", "{}")], calls);

        (content, calls) = MistralV11ToolCallParser.Parse("[TOOL_CALLS]a.b-c_1[ARGS]{\"x\": [1, {\"y\": \"}\"}]}\n", Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "a.b-c_1", "{\"x\": [1, {\"y\": \"}\"}]}")], calls);
    }

    [Fact]
    public void AWrittenCallIdIsKeptWhenMistralsTemplatesTakeIt()
    {
        var (_, calls) = MistralV11ToolCallParser.Parse(
            "[TOOL_CALLS]f[CALL_ID]abc123XYZ[ARGS]{\"a\": 1}[TOOL_CALLS]g[CALL_ID]too-long-id[ARGS]{}", Ids());
        Assert.Equal([new ChatToolCall("abc123XYZ", "f", "{\"a\": 1}"), new ChatToolCall("call1", "g", "{}")], calls);
    }

    [Fact]
    public void ANameIsTheTextBeforeItsTagAndTheArgumentsMayFollowWhitespace()
    {
        // required calls write a tool's name as it is (spaces, letters beyond ASCII, quotes), and any object's
        // arguments may start after whitespace, as JSON mode lets them
        var (content, calls) = MistralV11ToolCallParser.Parse(
            "[TOOL_CALLS]vær i dag[ARGS] \n{\"a\": 1}[TOOL_CALLS]say \"hi\"[CALL_ID]abc123XYZ[ARGS]\t{}", Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "vær i dag", "{\"a\": 1}"), new ChatToolCall("abc123XYZ", "say \"hi\"", "{}")], calls);
    }

    [Theory]
    [InlineData("[TOOL_CALLS]f[ARGS]{\"x\": }")]                     // not JSON
    [InlineData("[TOOL_CALLS]f[ARGS][1]")]                           // arguments that are not an object
    [InlineData("[TOOL_CALLS][ARGS]{}")]                             // no name
    [InlineData("get weather{}")]                                    // without tags, a name with a space
    [InlineData("[TOOL_CALLS]f[ARGS]{} och text efter")]             // prose after the call
    [InlineData("Så här: [TOOL_CALLS]f[ARGS]{}[TOOL_CALLS]g[ARGS]")] // one good, one cut: none; the space before kept
    [InlineData("[TOOL_CALLS]")]
    public void WhatDoesNotReadAsCallsStaysContent(string text)
    {
        var (content, calls) = MistralV11ToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Theory]
    [InlineData("get_weather{\"city\": \"Oslo\"}")]
    [InlineData("\n get_weather{\"city\": \"Oslo\"}\n")]
    public void AnAnswerThatIsACallWithoutItsTagsIsReadAsTheDecodingDropsTheSpecialTokens(string text)
    {
        var (content, calls) = MistralV11ToolCallParser.Parse(text, Ids());
        Assert.Null(content);
        Assert.Equal([new ChatToolCall("call1", "get_weather", "{\"city\": \"Oslo\"}")], calls);
    }

    [Theory]
    [InlineData("Hej{\"a\": 1} och mer")]
    [InlineData("Hej! Hur mår du?")]
    [InlineData("[Källa 1] Göteborg")]
    [InlineData("")]
    public void TextThatIsNotCallsIsTheContentUnchanged(string text)
    {
        var (content, calls) = MistralV11ToolCallParser.Parse(text, Ids());
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    public static TheoryData<string> Answers() => new()
    {
        "Jag kollar 😀\n[TOOL_CALLS]get_weather[ARGS]{\"city\": \"[TOOL_CALLS]\"}[TOOL_CALLS]g[CALL_ID]abc123XYZ[ARGS]{}",
        "[TOOL_CALLS]f[ARGS]{\"a\": ",
        "Bara text, [ och [TOOL utan slut [TOOL_CALL",
        "före \n [TOOL_CALLS] inte JSON",
        " f{\"s\": \"😀\"}g{}",
        "f{} men sedan text",
        "Hej på dig",
        "[TOOL_CALLS",
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void StreamedInAnyPiecesItGivesWhatTheWholeTextGives(string text)
    {
        var (content, calls) = MistralV11ToolCallParser.Parse(text, Ids());
        foreach (int size in new[] { 1, 2, 3, 5, 8, 13 })
        {
            var parser = new MistralV11ToolCallParser(Ids());
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
