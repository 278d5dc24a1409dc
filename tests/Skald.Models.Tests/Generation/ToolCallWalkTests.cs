using System.Text;
using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tests;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Random walks over what a required-call constraint allows, in every format, with parallel calls and without: byte
/// by byte over <see cref="ToolCallAutomaton"/>, and token by token over <see cref="ToolCallConstraint"/> on a
/// vocabulary whose tokens span the format's fixed text, names and JSON (so the trie walk copies and rewinds states of
/// a schema whose unions keep several configurations). Every state reached allows something (no dead end), and every
/// answer that completes is read by the format's own parser as calls alone, each naming one of the tools (one of them
/// a prefix of another, one not ASCII, one with a quote, one without parameters) with arguments that validate against that tool's schema
/// (<see cref="SchemaValidator"/>), or are a JSON object where the tool has no schema or one that does not compile;
/// streamed through the parser in pieces cut at random, it reads the same. Where the template writes call ids
/// (Mistral v11's <c>[CALL_ID]</c>), every call carries one and the parser keeps the id written.
/// </summary>
public sealed class ToolCallWalkTests
{
    // name → parameters schema (null: none)
    private static readonly (string Name, string? Schema)[] Tools =
    [
        ("get", null),
        ("ping", """{"type": "object", "properties": {}}"""), // no parameters, as a parameterless function's schema says
        ("get_time", """{"type": "object", "properties": {"zone": {"type": "string", "maxLength": 3}}, "additionalProperties": false}"""),
        ("vær_i_dag", """
            {"type": "object", "properties": {"p": {"anyOf": [{"type": "string", "maxLength": 2}, {"enum": ["long value", "x"]}]},
             "n": {"anyOf": [{"type": "integer"}, {"const": 1.5}, {"enum": [10, 100]}]},
             "pet": {"anyOf": [{"type": "object", "properties": {"name": {"type": "string"}, "meows": {"type": "boolean"}}, "required": ["name"]},
               {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}, "barks": {"type": "integer"}}, "required": ["name"]}]}},
             "required": ["p", "n", "pet"], "additionalProperties": false}
            """),
        ("say \"hi\"", """{"type": "object", "properties": {"q": {"type": "boolean"}}, "required": ["q"]}"""),
        ("odd", """{"type": "object", "properties": {"s": {"type": "string", "pattern": "^a+$"}}, "required": ["s"]}"""), // pattern: does not compile
    ];

    public static TheoryData<ToolCallFormat, bool, bool> Formats()
    {
        var data = new TheoryData<ToolCallFormat, bool, bool>();
        foreach (var format in new[] { ToolCallFormat.Hermes, ToolCallFormat.Llama3Json, ToolCallFormat.Mistral, ToolCallFormat.MistralV11 })
        {
            data.Add(format, true, false);
            data.Add(format, false, false);
        }
        data.Add(ToolCallFormat.MistralV11, true, true);
        data.Add(ToolCallFormat.MistralV11, false, true);
        return data;
    }

    private static ToolCallGrammar Grammar(ToolCallFormat format, bool parallel, bool ids = false) =>
        new(format, Tools.Select(t => (t.Name, Compile(t.Schema))), parallel, ids);

    // As the chat client compiles a tool's parameters: null where there are none or the compiler refuses them.
    private static JsonSchemaGrammar? Compile(string? schema)
    {
        if (schema is null) return null;
        try
        {
            return JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement);
        }
        catch (JsonSchemaException)
        {
            return null;
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryByteWalkHasNoDeadEndAndEveryCompleteAnswerParsesAsValidCalls(ToolCallFormat format, bool parallel, bool ids)
    {
        var grammar = Grammar(format, parallel, ids);
        var random = new Random(11);
        var allowed = new List<byte>();
        int completed = 0;
        for (int walk = 0; walk < 150; walk++)
        {
            var state = new ToolCallAutomaton(grammar, [.. grammar.Parameters.Select(p => p?.NewStack())]);
            var text = new List<byte>();
            double closing = walk / 150.0; // later walks lean on closing bytes, so that many end
            while (!state.Complete && text.Count < 3000)
            {
                if (state.MayEnd && random.NextDouble() < 0.5) break; // the end-of-sequence token
                allowed.Clear();
                for (int b = 0; b < 256; b++)
                {
                    var copy = state;
                    if (copy.TryAdvance((byte)b)) allowed.Add((byte)b);
                    state.Rewind();
                }
                Assert.True(allowed.Count > 0, $"dead end after \"{Encoding.UTF8.GetString([.. text])}\"");
                var closers = allowed.Where(b => b is (byte)'}' or (byte)']' or (byte)'"' or (byte)',' or (byte)'[').ToList();
                byte next = random.NextDouble() < closing && closers.Count > 0 ? closers[random.Next(closers.Count)] : allowed[random.Next(allowed.Count)];
                Assert.True(state.TryAdvance(next));
                state.Rewind();
                text.Add(next);
            }
            if (!state.Complete && !state.MayEnd) continue;
            completed++;
            AssertCalls(format, parallel, ids, grammar.Lead + Encoding.UTF8.GetString([.. text]));
        }
        Assert.True(completed >= 20, $"only {completed} of 150 walks completed");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryTokenWalkHasNoDeadEndAndEveryCompleteAnswerParsesAsValidCalls(ToolCallFormat format, bool parallel, bool ids)
    {
        var grammar = Grammar(format, parallel, ids);
        var syntax = ToolCallSyntax.Of(format, ids);
        // every byte alone, then longer tokens: the format's fixed text and its parts, the names, JSON pieces
        var tokens = new List<byte[]>();
        for (int b = 0; b < 256; b++) tokens.Add([(byte)b]);
        var words = new List<string> { syntax.Lead, syntax.NameEnd, syntax.Next, syntax.End, "{\"", "\": ", "\", \"", "}}", "\"}", "null", "true", "10", "1.5",
            "long", " value", "\"x\"", "name", "meows", "barks", "\"pet\": {\"name\": \"", "ær", "_i", "_time", "get", "\\\"", "[", "]", "}\n", "\n" };
        words.AddRange(Tools.Select(t => syntax.Name(t.Name)));
        if (syntax.IdTag is { } tag) // the id's tag, ids and pieces of them, and tokens that span the name, the id and its end
            words.AddRange([tag, "a1B2c3D4e", "abc", "9Z", "x" + syntax.NameEnd, .. Tools.Select(t => syntax.Name(t.Name) + tag), .. Tools.Select(t => syntax.Name(t.Name) + tag + "Q0Q0Q0Q0Q")]);
        // tokens that span a call's end and the next call's start up to inside its arguments: one trie walk leaves a
        // function's schema and starts one (the same function's, on the same stack) again
        words.AddRange(Tools.Select(t => "}" + syntax.Next + syntax.Name(t.Name) + AfterName(syntax) + "{\""));
        words.AddRange(Tools.Select(t => "\"}" + syntax.Next + syntax.Name(t.Name) + AfterName(syntax) + "{"));
        foreach (string w in words.Where(w => w.Length > 1).Distinct()) tokens.Add(Encoding.UTF8.GetBytes(w));
        int eos = tokens.Count;
        tokens.Add([]);
        var vocabulary = new JsonVocabulary(tokens, tokens.Count);
        var random = new Random(5);
        var logits = new float[tokens.Count];
        int completed = 0;
        for (int walk = 0; walk < 100; walk++)
        {
            var constraint = (ToolCallConstraint)grammar.Constraint(vocabulary, [eos]);
            var text = new List<byte>();
            while (!constraint.Complete && text.Count < 3000)
            {
                Array.Fill(logits, 0f);
                Assert.True(constraint.Mask(logits), $"dead end after \"{Encoding.UTF8.GetString([.. text])}\"");
                var allowed = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).ToList();
                // the longer tokens are chosen more often, and the end whenever it is allowed in half the walks
                var longer = allowed.Where(i => tokens[i].Length > 1).ToList();
                int id = allowed.Contains(eos) && walk % 2 == 0 ? eos
                    : longer.Count > 0 && random.NextDouble() < 0.5 ? longer[random.Next(longer.Count)] : allowed[random.Next(allowed.Count)];
                constraint.Accept(id);
                text.AddRange(tokens[id]);
            }
            if (!constraint.Complete) continue;
            completed++;
            AssertCalls(format, parallel, ids, grammar.Lead + Encoding.UTF8.GetString([.. text]));
        }
        Assert.True(completed >= 20, $"only {completed} of 100 walks completed");
    }

    [Theory]
    [InlineData(ToolCallFormat.Hermes, false)]
    [InlineData(ToolCallFormat.Llama3Json, false)]
    [InlineData(ToolCallFormat.Mistral, false)]
    [InlineData(ToolCallFormat.MistralV11, false)]
    [InlineData(ToolCallFormat.MistralV11, true)]
    public void ArgumentsHoldingTheFormatsOwnTextAreTakenAndParse(ToolCallFormat format, bool ids)
    {
        // a string argument may hold any text, the format's tags and separators too: the automaton takes it, and the
        // parser must not cut the call there
        var grammar = Grammar(format, parallel: true, ids);
        var syntax = ToolCallSyntax.Of(format, ids);
        string inside = JsonSerializer.Serialize(syntax.Lead + syntax.NameEnd + syntax.Next + syntax.End + "[ARGS]</tool_call>[CALL_ID]")[1..^1];
        string call = syntax.Name("get") + AfterName(syntax) + "{\"q\": \"" + inside + "\"}";
        string body = call + syntax.Next + call + syntax.End;
        var state = new ToolCallAutomaton(grammar, [.. grammar.Parameters.Select(p => p?.NewStack())]);
        foreach (byte b in Encoding.UTF8.GetBytes(body))
        {
            Assert.True(state.TryAdvance(b));
            state.Rewind();
        }
        Assert.True(state.MayEnd || state.Complete);
        AssertCalls(format, parallel: true, ids, grammar.Lead + body);
    }

    // The text after a name up to the arguments, with a fixed id where calls carry one.
    private static string AfterName(ToolCallSyntax syntax) => syntax.IdTag is null ? syntax.NameEnd : syntax.IdTag + "k3Y9k3Y9z" + syntax.NameEnd;

    // The answer is calls alone (no content), one at most without parallel calls, each of a tool with valid arguments
    // (and, with ids, the id written after its name); streamed through the parser in pieces cut at random, it is read the same.
    private static void AssertCalls(ToolCallFormat format, bool parallel, bool ids, string answer)
    {
        var (content, calls) = ToolCallParsers.Parse(format, answer);
        var parser = ToolCallParsers.Create(format);
        var streamed = new StringBuilder();
        var streamedCalls = new List<ChatToolCall>();
        var random = new Random(answer.Length);
        for (int at = 0; at < answer.Length;)
        {
            int n = Math.Min(answer.Length - at, random.Next(1, 8));
            parser.Push(answer.Substring(at, n), streamed, streamedCalls);
            at += n;
        }
        parser.Finish(streamed, streamedCalls);
        Assert.Equal(content ?? "", streamed.ToString());
        Assert.Equal(calls.Select(c => (c.Name, c.Arguments)), streamedCalls.Select(c => (c.Name, c.Arguments)));
        if (ids) Assert.Equal(calls.Select(c => c.Id), streamedCalls.Select(c => c.Id));
        Assert.True(string.IsNullOrWhiteSpace(content) && calls.Count > 0, $"not read as calls alone: {JsonSerializer.Serialize(answer)} content {JsonSerializer.Serialize(content)} calls {calls.Count}");
        if (!parallel) Assert.Single(calls);
        foreach (var call in calls)
        {
            var tool = Tools.FirstOrDefault(t => t.Name == call.Name);
            Assert.True(tool.Name is not null, $"a call of {call.Name}, no tool: {answer}");
            if (ids) Assert.Contains(call.Name + MistralV11ToolCallParser.CallId + call.Id + MistralV11ToolCallParser.Args, answer, StringComparison.Ordinal);
            if (Compile(tool.Schema) is not null) Assert.Null(SchemaValidator.Problem(tool.Schema!, call.Arguments));
            else Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(call.Arguments).RootElement.ValueKind);
        }
    }
}
