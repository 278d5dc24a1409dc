using System.Text;
using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// The bound on configurations read side by side (<see cref="JsonSchemaCompiler.MaxWidth"/>): the compiler's count is
/// exact for nested unions and unions in array items (a schema that reaches the bound is taken and does reach it at
/// run time, one past it is refused), a loop through a union whose alternatives start alike is refused, and a grammar
/// that slips past the count (built here by hand) makes the automaton throw rather than go on.
/// </summary>
public sealed class JsonSchemaWidthTests
{
    // anyOf of n objects that all start with '{' and differ only in their required key.
    private static string Models(int n, string prefix) =>
        "{\"anyOf\": [" + string.Join(", ", Enumerable.Range(0, n).Select(i => $"{{\"type\": \"object\", \"properties\": {{\"{prefix}{i}\": {{\"type\": \"null\"}}}}, \"required\": [\"{prefix}{i}\"]}}")) + "]}";

    // anyOf of `arrays` arrays whose items are each a union of `models` objects.
    private static string Nested(int arrays, int models) =>
        "{\"type\": \"object\", \"properties\": {\"v\": {\"anyOf\": [" +
        string.Join(", ", Enumerable.Range(0, arrays).Select(a => $"{{\"type\": \"array\", \"items\": {Models(models, $"a{a}m")}}}")) + "]}}, \"required\": [\"v\"]}";

    private static int AliveAfter(string schema, string prefix)
    {
        var state = JsonSchemaAutomatonTests.Start(schema);
        Assert.True(state.Advance(Encoding.UTF8.GetBytes(prefix)));
        return state.Alive;
    }

    [Fact]
    public void UnionsInsideArraysInsideUnionsMultiplyUpToTheBoundAndNoFurther()
    {
        Assert.Equal(16, AliveAfter(Nested(4, 4), """{"v":[{"""));
        Assert.Equal(1, AliveAfter(Nested(4, 4), """{"v":[{"a2m3":null}"""));
        var e = Assert.Throws<JsonSchemaException>(() => JsonSchemaGrammar.Compile(JsonDocument.Parse(Nested(3, 6)).RootElement));
        Assert.Equal("/properties/v/anyOf", e.Pointer);
    }

    [Fact]
    public void NestedUnionsAreCountedAsTheirAlternativesTogether()
    {
        string sixteen = "{\"type\": \"object\", \"properties\": {\"v\": {\"anyOf\": [" + Models(8, "a") + ", " + Models(8, "b") + "]}}, \"required\": [\"v\"]}";
        Assert.Equal(16, AliveAfter(sixteen, """{"v":{"""));
        string seventeen = "{\"type\": \"object\", \"properties\": {\"v\": {\"anyOf\": [" + Models(8, "a") + ", " + Models(9, "b") + "]}}, \"required\": [\"v\"]}";
        Assert.Throws<JsonSchemaException>(() => JsonSchemaGrammar.Compile(JsonDocument.Parse(seventeen).RootElement));
    }

    [Fact]
    public void ALoopThroughAUnionWhoseAlternativesStartAlikeIsRefused()
    {
        const string schema = """
            {"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}}, "required": ["t"],
             "$defs": {"T": {"anyOf": [{"type": "object", "properties": {"a": {"$ref": "#/$defs/T"}}}, {"type": "object", "properties": {"b": {"type": "null"}}}]}}}
            """;
        var e = Assert.Throws<JsonSchemaException>(() => JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement));
        Assert.Equal("/$defs/T/anyOf", e.Pointer);
    }

    [Fact]
    public void AMaskWithSixteenAliveOnALargeVocabularyKeepsAFewConfigurationsAndAllocatesNothing()
    {
        // 115k plain tokens in the style of a large BPE vocabulary (the single bytes among them), and 16 models alive
        // inside a bounded string, where the trie walk steps each of them for nearly every token
        var random = new Random(1);
        var set = new HashSet<string>();
        for (int b = 32; b < 127; b++) set.Add(((char)b).ToString());
        while (set.Count < 115_000) set.Add(new string(Enumerable.Range(0, random.Next(2, 9)).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray()));
        var bytes = set.Select(Encoding.UTF8.GetBytes).ToArray();
        var vocabulary = new JsonVocabulary(bytes, bytes.Length);
        string schema = "{\"type\": \"object\", \"properties\": {\"v\": {\"anyOf\": [" + string.Join(", ", Enumerable.Range(0, 16).Select(i =>
            $"{{\"type\": \"object\", \"properties\": {{\"n\": {{\"type\": \"string\", \"maxLength\": 40}}, \"p{i}\": {{\"type\": \"null\"}}}}, \"required\": [\"n\", \"p{i}\"]}}")) +
            "]}}, \"required\": [\"v\"]}";
        var grammar = JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement);
        var stack = grammar.NewStack();
        var json = new JsonConstraint<JsonSchemaAutomaton>(vocabulary, grammar.Start(stack));
        foreach (byte b in "{\"v\":{\"n\":\"ab"u8.ToArray()) json.Accept(Array.FindIndex(bytes, t => t.Length == 1 && t[0] == b));
        Assert.Equal(16, json.State.Alive);
        var logits = new float[bytes.Length];
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(json.Mask(logits));
        // each depth of the walk keeps the configurations of the state it stepped last, not those of every token tried
        Assert.True(stack.ConfigCount <= JsonSchemaCompiler.MaxWidth * (vocabulary.All.MaxDepth + 1), $"{stack.ConfigCount} configurations kept");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 16, $"{GC.GetAllocatedBytesForCurrentThread() - before} bytes allocated by the first mask");
        // every token is printable ASCII of at most 8 characters, 38 fit: each continues the string, closes it or starts an escape
        Assert.Equal(bytes.Length, logits.Count(l => !float.IsNegativeInfinity(l)));
    }

    [Fact]
    public void MoreConfigurationsThanTheBoundThrowInsteadOfGoingOn()
    {
        Assert.Equal(JsonSchemaCompiler.MaxWidth, Forks(JsonSchemaCompiler.MaxWidth).Alive);
        var e = Assert.Throws<InvalidOperationException>(() => Forks(JsonSchemaCompiler.MaxWidth + 1));
        Assert.Contains("17 configurations alive", e.Message, StringComparison.Ordinal);
    }

    // {"a": <a union of n string literals that all start with a quote>}, built by hand past the compiler's count, after
    // {"a":" (the union's first byte, where it forks).
    private static JsonSchemaAutomaton Forks(int n)
    {
        var nodes = new List<JsonSchemaNode>
        {
            new(JsonSchemaKind.Object) { Texts = ["\"a\""u8.ToArray()], KeyProperty = [0], PropertyNode = [1], NextRequired = [0, 1] },
            new(JsonSchemaKind.Union),
        };
        var literals = Enumerable.Range(0, n).Select(i =>
        {
            nodes.Add(new JsonSchemaNode(JsonSchemaKind.Literal) { Texts = [Encoding.UTF8.GetBytes($"\"x{i}\"")] });
            return nodes.Count - 1;
        }).ToArray();
        var dispatch = Enumerable.Repeat(-1, 256).ToArray();
        dispatch['"'] = -2;
        nodes[1] = new JsonSchemaNode(JsonSchemaKind.Union) { Dispatch = dispatch, Choices = [literals] };
        var state = new JsonSchemaGrammar([.. nodes], 0).Start();
        Assert.True(state.Advance("{\"a\":"u8));
        Assert.True(state.TryAdvance((byte)'"'));
        return state;
    }
}
