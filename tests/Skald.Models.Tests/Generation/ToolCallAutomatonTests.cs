using System.Text;
using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="ToolCallAutomaton"/> over the bytes of answers to <c>tool_choice: "required"</c>, written by hand for each
/// format: every allowed answer is taken (a name among the functions', one a prefix of another included, arguments
/// its schema takes or any object for a function without one, several calls when parallel), and it says where the
/// answer may end or is whole; a name outside the set, arguments the schema refuses, text between calls that is not
/// the format's and a second call when parallel calls are not allowed are refused at the byte where they go wrong.
/// </summary>
public sealed class ToolCallAutomatonTests
{
    // forecast: a city out of two and a whole number of days, both required; get: any object; get_time: a short zone or none.
    private static ToolCallGrammar Grammar(ToolCallFormat format, bool parallel = true, bool ids = false) => new(format,
    [
        ("forecast", Schema("""{"type": "object", "properties": {"city": {"enum": ["Oslo", "Bergen"]}, "days": {"type": "integer"}}, "required": ["city", "days"], "additionalProperties": false}""")),
        ("get", null),
        ("get_time", Schema("""{"type": "object", "properties": {"zone": {"type": "string", "maxLength": 3}}, "additionalProperties": false}""")),
    ], parallel, ids);

    private static JsonSchemaGrammar Schema(string text) => JsonSchemaGrammar.Compile(JsonDocument.Parse(text).RootElement);

    // The automaton after as many bytes of `text` as it takes from the start, and how many that is.
    private static (ToolCallAutomaton State, int Taken) Run(ToolCallGrammar grammar, string text)
    {
        var state = new ToolCallAutomaton(grammar, [.. grammar.Parameters.Select(p => p?.NewStack())]);
        var bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < bytes.Length; i++)
        {
            state.Rewind();
            var copy = state;
            if (!copy.TryAdvance(bytes[i])) return (state, i);
            state = copy;
        }
        state.Rewind();
        return (state, bytes.Length);
    }

    private static ToolCallAutomaton Whole(ToolCallGrammar grammar, string text)
    {
        var (state, taken) = Run(grammar, text);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), taken);
        return state;
    }

    // `good` is taken and the first byte of `bad` after it refused.
    private static void RefusedAt(ToolCallGrammar grammar, string good, string bad) =>
        Assert.Equal(Encoding.UTF8.GetByteCount(good), Run(grammar, good + bad).Taken);

    [Fact]
    public void HermesBlocksOneAfterAnotherMayEndAfterEachClose()
    {
        var grammar = Grammar(ToolCallFormat.Hermes);
        Assert.Equal("<tool_call>\n{\"name\": \"", grammar.Lead);
        const string first = "forecast\", \"arguments\": {\"city\": \"Oslo\", \"days\": 3}";
        Assert.False(Whole(grammar, first).MayEnd); // the call's object is still open
        var closed = Whole(grammar, first + "}\n</tool_call>");
        Assert.True(closed.MayEnd);
        Assert.False(closed.Complete); // another block may follow
        const string two = first + "}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}}\n</tool_call>";
        Assert.True(Whole(grammar, two).MayEnd);
        // "get" is a prefix of "get_time": the closing quote tells them apart, and "get" takes any object
        var three = Whole(grammar, two + "\n<tool_call>\n{\"name\": \"get\", \"arguments\": {\"any\": [1, {\"x\": null}], \"y\": \"z\"}}\n</tool_call>");
        Assert.True(three.MayEnd);
        Assert.False(Whole(grammar, "get\", \"arguments\": {}").MayEnd);
    }

    [Fact]
    public void HermesRefusesNamesOutsideTheSetArgumentsTheSchemaRefusesAndOtherTextBetweenCalls()
    {
        var grammar = Grammar(ToolCallFormat.Hermes);
        RefusedAt(grammar, "fore", "x\"");                  // no function starts "forex"
        RefusedAt(grammar, "get_", "date\"");               // get_time is the only name past "get_"
        RefusedAt(grammar, "forecast", " \"");              // the name ends with its quote at once
        RefusedAt(grammar, "get_time\", \"arguments\": ", "[]"); // arguments are an object
        RefusedAt(grammar, "forecast\", \"arguments\": {\"city\": \"", "Paris\"");
        RefusedAt(grammar, "forecast\", \"arguments\": {\"city\": \"Oslo\"", "}"); // days is required
        RefusedAt(grammar, "forecast\", \"arguments\": {\"city\": \"Bergen\", \"days\": 1", ".5}"); // an integer
        RefusedAt(grammar, "get_time\", \"arguments\": {\"zone\": \"CET", "T\"}"); // at most 3 characters
        RefusedAt(grammar, "get\", \"arguments\": {}", "]");           // the call's object closes with }
        RefusedAt(grammar, "get\", \"arguments\": {}}\n</tool_call>", " Done."); // only another block or the end
        RefusedAt(grammar, "get\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"", "set\"");
    }

    [Fact]
    public void WithoutParallelCallsTheFirstCallsCloseIsTheEnd()
    {
        var grammar = Grammar(ToolCallFormat.Hermes, parallel: false);
        var state = Whole(grammar, "get\", \"arguments\": {}}\n</tool_call>");
        Assert.True(state.Complete);
        Assert.False(state.MayEnd);
        RefusedAt(grammar, "get\", \"arguments\": {}}\n</tool_call>", "\n");
    }

    [Fact]
    public void LlamaCallsAreSeparatedBySemicolons()
    {
        var grammar = Grammar(ToolCallFormat.Llama3Json);
        Assert.Equal("{\"name\": \"", grammar.Lead);
        Assert.True(Whole(grammar, "get_time\", \"parameters\": {}}").MayEnd);
        Assert.True(Whole(grammar, "get_time\", \"parameters\": {}}; {\"name\": \"forecast\", \"parameters\": {\"city\": \"Bergen\", \"days\": 12}}").MayEnd);
        RefusedAt(grammar, "get_time\", \"", "arguments\""); // Llama's key is "parameters"
        RefusedAt(grammar, "get_time\", \"parameters\": {}}", ", {");
        Assert.True(Whole(Grammar(ToolCallFormat.Llama3Json, parallel: false), "get\", \"parameters\": {\"a\": 1}}").Complete);
    }

    [Fact]
    public void MistralsArrayIsWholeWhenItCloses()
    {
        var grammar = Grammar(ToolCallFormat.Mistral);
        Assert.Equal("[TOOL_CALLS][{\"name\": \"", grammar.Lead);
        var open = Whole(grammar, "get\", \"arguments\": {}}");
        Assert.False(open.MayEnd); // the array is still open: "]" or ", " must follow
        Assert.False(open.Complete);
        var closed = Whole(grammar, "get\", \"arguments\": {}}, {\"name\": \"forecast\", \"arguments\": {\"city\": \"Oslo\", \"days\": 0}}]");
        Assert.True(closed.Complete);
        RefusedAt(grammar, "get\", \"arguments\": {}}]", "\n");
        RefusedAt(grammar, "get\", \"arguments\": {}}", ";");
    }

    [Fact]
    public void MistralV11CallsFollowEachOtherAfterTheirTags()
    {
        var grammar = Grammar(ToolCallFormat.MistralV11);
        Assert.Equal("[TOOL_CALLS]", grammar.Lead);
        var one = Whole(grammar, "get_time[ARGS]{}");
        Assert.True(one.MayEnd); // nothing closes a call: the end, or the next tag
        Assert.True(Whole(grammar, "get_time[ARGS]{\"zone\": \"UTC\"}[TOOL_CALLS]get[ARGS]{\"q\": \"x\"}").MayEnd);
        RefusedAt(grammar, "get_time", "{}");      // [ARGS] comes between the name and the arguments
        RefusedAt(grammar, "get_time[ARGS]{}[", "ARGS]"); // only the next tag
        Assert.True(Whole(Grammar(ToolCallFormat.MistralV11, parallel: false), "get[ARGS]{}").Complete);
    }

    [Fact]
    public void MistralV11CallsCarryTheirIdsWhereTheTemplateWritesThem()
    {
        var grammar = Grammar(ToolCallFormat.MistralV11, ids: true);
        Assert.Equal("[TOOL_CALLS]", grammar.Lead);
        Assert.True(Whole(grammar, "get_time[CALL_ID]a1B2c3D4e[ARGS]{}").MayEnd);
        Assert.True(Whole(grammar, "get_time[CALL_ID]a1B2c3D4e[ARGS]{\"zone\": \"UTC\"}[TOOL_CALLS]get[CALL_ID]ZZZZZZZZ9[ARGS]{\"q\": \"x\"}").MayEnd);
        RefusedAt(grammar, "get_time[", "ARGS]");           // the id comes first
        RefusedAt(grammar, "get_time[CALL_ID]a1B2c3D4", "[");  // 9 letters and digits, not 8
        RefusedAt(grammar, "get_time[CALL_ID]a1B2c3D4e", "f"); // nor 10
        RefusedAt(grammar, "get_time[CALL_ID]a1B2", "-");      // letters and digits only
        RefusedAt(grammar, "get_time[CALL_ID]a1B2c3D4e", "{}"); // then [ARGS]
        Assert.True(Whole(Grammar(ToolCallFormat.MistralV11, parallel: false, ids: true), "get[CALL_ID]123456789[ARGS]{}").Complete);
        // the ids are Mistral's alone: other formats' calls are as they were
        Assert.True(Whole(Grammar(ToolCallFormat.Hermes, ids: true), "get\", \"arguments\": {}}\n</tool_call>").MayEnd);
    }
}
