using Skald.Models.Tests.Allocation;
using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="JsonConstraint{TAutomaton}"/> over a <see cref="JsonSchemaAutomaton"/> on a real byte-level vocabulary:
/// along random walks through a nested schema (strings with and without a length bound, where plain tokens are let
/// through as a set or walked, arrays, enums, a union, a recursive $ref), the mask lets through exactly the tokens whose
/// bytes a fresh copy of the automaton takes one by one, so the frames the trie walk pushes on the shared stack never
/// leak into the row's state, and are dropped after each token (the stack stays as deep as the text); a step, even one
/// whose walk pushes frames, allocates nothing once the stack has grown.
/// </summary>
public sealed class JsonSchemaConstraintTests
{
    internal const string Schema = """
        {"type": "object", "$defs": {"item": {"type": "object", "properties": {"id": {"type": "integer"},
           "sub": {"anyOf": [{"$ref": "#/$defs/item"}, {"type": "null"}]}}, "required": ["id"]}},
         "properties": {"name": {"type": "string", "maxLength": 6}, "text": {"type": "string"},
           "kind": {"enum": ["alpha", "beta", 3, true]}, "items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "maxItems": 2},
           "score": {"type": ["number", "null"]}},
         "required": ["name", "kind", "items"], "additionalProperties": false}
        """;

    /// <summary>A dictionary of models, any JSON value, and unions of models, strings and arrays that start alike.</summary>
    internal const string Alike = """
        {"type": "object", "$defs": {"A": {"type": "object", "properties": {"n": {"type": "string", "maxLength": 3}, "a": {"type": "integer"}}, "required": ["n"]},
           "B": {"type": "object", "properties": {"n": {"type": "string"}, "b": {"type": "boolean"}}, "required": ["n"]}},
         "properties": {"d": {"type": "object", "additionalProperties": {"$ref": "#/$defs/A"}}, "p": {"anyOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}, {"type": "null"}]},
           "s": {"anyOf": [{"type": "string", "maxLength": 4}, {"enum": ["alpha", "beta"]}]}, "x": {"type": "object", "additionalProperties": true},
           "l": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/A"}}, {"type": "array", "items": {"$ref": "#/$defs/B"}, "maxItems": 2}]}},
         "required": ["d", "p", "s"]}
        """;

    private static JsonSchemaGrammar Grammar(string schema = Schema) => JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement);

    [Theory]
    [InlineData(Schema)]
    [InlineData(Alike)]
    public void TheTrieWalkAllowsExactlyWhatTheAutomatonTakesTokenByToken(string schema)
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(TestPaths.Fixtures, "tokenizers", "bpe-qwen2", "tokenizer.json"));
        var bytes = tokenizer.TokenBytes();
        int vocab = bytes.Length + 3;
        var vocabulary = new JsonVocabulary(bytes, vocab);
        var grammar = Grammar(schema);
        var random = new Random(5);
        var logits = new float[vocab];
        int steps = 0, complete = 0;
        for (int walk = 0; walk < 25; walk++)
        {
            var stack = grammar.NewStack();
            var json = new JsonConstraint<JsonSchemaAutomaton>(vocabulary, grammar.Start(stack));
            var state = grammar.Start(); // the reference: its own stack, fed the chosen tokens only
            for (int step = 0; step < 80 && !state.Complete; step++, steps++)
            {
                Array.Clear(logits);
                if (!json.Mask(logits)) break; // the vocabulary cannot go on (no token holds the bytes needed)
                var allowed = new List<int>();
                for (int id = 0; id < vocab; id++)
                {
                    var copy = state;
                    bool takes = id < bytes.Length && bytes[id].Length > 0 && copy.Advance(bytes[id]);
                    state.Rewind(); // what the copy pushed is dropped before the next token is tried
                    Assert.True(takes == !float.IsNegativeInfinity(logits[id]), $"walk {walk} step {step}: token {id} ({tokenizer.IdToToken(id)})");
                    if (takes) allowed.Add(id);
                }
                var closing = allowed.Where(id => bytes[id].AsSpan().IndexOfAny("}]\":,"u8) >= 0).ToList();
                int chosen = closing.Count > 0 && random.Next(3) > 0 ? closing[random.Next(closing.Count)] : allowed[random.Next(allowed.Count)];
                Assert.True(state.Advance(bytes[chosen]));
                state.Rewind();
                Assert.Equal(state.Complete, json.Accept(chosen));
                Assert.True(stack.Count <= JsonAutomaton.MaxDepth + 1, $"walk {walk} step {step}: {stack.Count} frames kept"); // the walk's are dropped
                Assert.True(stack.ConfigCount <= JsonSchemaCompiler.MaxWidth, $"walk {walk} step {step}: {stack.ConfigCount} configurations kept");
            }
            if (state.Complete) complete++;
        }
        Assert.True(steps > 400, $"{steps} steps");
        Assert.True(complete >= 3, $"{complete} of 25 walks completed");
    }

    [Theory]
    // outside strings, in a bounded string, in a free one, inside an array of objects, before a colon (fed a byte token at a time)
    [InlineData(Schema, new[] { "", "{\"name\":\"", "{\"name\":\"a\",\"text\":\"", "{\"name\":\"a\",\"kind\":3,\"items\":[{",
        "{\"name\":\"a\",\"kind\":3,\"items\"" /* the walk pushes a frame for each token with the colon */ })]
    // in a dictionary's key (the walk appends key bytes), at a key's closing quote, inside two models read side by side, in a
    // string beside an enum, inside two arrays
    [InlineData(Alike, new[] { "{\"d\":{\"ab", "{\"d\":{\"a\":{\"n\":\"x\"},\"a", "{\"d\":{},\"p\":{\"n\":\"x", "{\"d\":{},\"p\":{\"n\":\"x\",",
        "{\"d\":{},\"p\":null,\"s\":\"al", "{\"d\":{},\"p\":null,\"s\":\"\",\"l\":[{\"n\":\"" })]
    // the keys of an object with property counts, a bounded number's digits and point, a date-time and an ipv4 address
    [InlineData("""
        {"type": "object", "properties": {"a": {"type": "null"}, "n": {"type": "number", "minimum": -2.5, "maximum": 7, "multipleOf": 0.25},
          "t": {"type": "string", "format": "date-time"}, "ip": {"type": "string", "format": "ipv4"}}, "minProperties": 2, "maxProperties": 3,
         "additionalProperties": {"type": "integer"}}
        """, new[] { "{", "{\"a\":null,", "{\"n\":1", "{\"n\":-1.", "{\"t\":\"2024-02-2", "{\"t\":\"2024-02-29T10:00:00.5", "{\"ip\":\"10.0.25" })]
    public void AStepAllocatesNothing(string schema, string[] prefixes)
    {
        var bytes = Tokenizer.FromFile(Path.Combine(TestPaths.Fixtures, "tokenizers", "bpe-qwen2", "tokenizer.json")).TokenBytes();
        var vocabulary = new JsonVocabulary(bytes, bytes.Length);
        var logits = new float[bytes.Length];
        var grammar = Grammar(schema);
        foreach (string prefix in prefixes)
        {
            var json = new JsonConstraint<JsonSchemaAutomaton>(vocabulary, grammar.Start());
            foreach (byte b in System.Text.Encoding.UTF8.GetBytes(prefix)) json.Accept(Array.FindIndex(bytes, t => t.Length == 1 && t[0] == b));
            json.Mask(logits); // warm up: the stack grows to the deepest walk
            Assert.Equal(0, LeastAllocation.Of(() => json.Mask(logits)));
        }
    }
}
