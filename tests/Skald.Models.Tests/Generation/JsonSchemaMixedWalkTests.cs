using System.Text;
using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tests;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Schemas that mix dictionaries, unions whose alternatives start alike and bounded integers, inside each other, walked
/// at random with many seeds: no dead end, every complete text validates (<see cref="SchemaValidator"/>) and no more
/// than <see cref="JsonSchemaCompiler.MaxWidth"/> configurations are ever alive; and documents written by an
/// independent generator of valid documents (<see cref="ValidDocuments"/>, keys in the order the automaton promises)
/// are all taken whole.
/// </summary>
public sealed class JsonSchemaMixedWalkTests
{
    public static TheoryData<string> Schemas() =>
    [
        // a union of dictionaries beside a union of models, free keys that are prefixes of listed ones, keys with escapes
        """
        {"type": "object", "properties": {"d": {"anyOf": [{"type": "object", "additionalProperties": {"type": "integer", "minimum": -20, "maximum": 20}},
           {"type": "object", "properties": {"ab": {"type": "boolean"}, "a\"b": {"type": "null"}}, "additionalProperties": {"type": "string", "maxLength": 3}},
           {"type": "object", "properties": {"k": {"const": "x"}}, "required": ["k"], "additionalProperties": {"type": "array", "items": {"type": "integer"}, "maxItems": 2}}]},
          "l": {"type": "array", "maxItems": 3, "items": {"anyOf": [{"type": "array", "items": {"anyOf": [{"type": "integer", "exclusiveMinimum": -3, "exclusiveMaximum": 3},
             {"type": "integer", "minimum": 100, "maximum": 105}, {"enum": [7, 70]}]}, "maxItems": 3},
            {"type": "array", "items": {"type": "string"}, "maxItems": 2}, {"type": "null"}]}}},
         "required": ["d", "l"]}
        """,
        // bounds inside unions: negative ranges, a range crossing zero, 16-digit bounds, a string beside a string enum
        """
        {"type": "object", "properties": {"n": {"anyOf": [{"type": "integer", "minimum": -1000, "maximum": -990}, {"type": "integer", "minimum": -5, "maximum": 12},
           {"type": "integer", "minimum": 9999999999999990}, {"type": "integer", "maximum": -9999999999999998}]},
          "s": {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 2}, {"enum": ["ab", "abc", "b"]}]},
          "m": {"type": "object", "properties": {"a": {"type": "integer"}, "abc": {"type": "integer", "maximum": 0}},
           "required": ["a"], "additionalProperties": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 9}, {"type": "integer", "minimum": 50}, {"type": "null"}]}}},
         "required": ["n", "s", "m"]}
        """,
        // a recursive tree (the union on its way back starts differently) holding a dictionary of models that start alike
        """
        {"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}}, "required": ["t"],
         "$defs": {"T": {"anyOf": [{"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/T"}, "maxItems": 2},
             "d": {"type": "object", "additionalProperties": {"$ref": "#/$defs/U"}}}, "required": ["d"]},
           {"type": "null"}, {"type": "array", "items": {"$ref": "#/$defs/T"}, "maxItems": 2}]},
          "U": {"anyOf": [{"type": "object", "properties": {"k": {"const": "a"}, "v": {"type": "integer", "minimum": -1, "maximum": 1}}, "required": ["k"]},
           {"type": "object", "properties": {"k": {"enum": ["c", "a"]}}, "additionalProperties": {"type": "integer", "exclusiveMaximum": 0}},
           {"type": "string", "maxLength": 2}, {"enum": ["a", "b"]}]}}}
        """,
        // any JSON value beside listed keys with escapes and non-ASCII
        """
        {"type": "object", "properties": {"é\n": {"type": "integer", "minimum": 0, "maximum": 0}, "x\\y": {"type": ["string", "integer"], "minimum": -2, "maximum": 2}},
         "required": ["x\\y"], "additionalProperties": true}
        """,
    ];

    [Theory]
    [MemberData(nameof(Schemas))]
    public void RandomWalksWithManySeedsFindNoDeadEndNoInvalidTextAndStayWithinTheWidth(string schema)
    {
        var grammar = JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement);
        var allowed = new List<byte>();
        int completed = 0, alive = 0;
        for (int seed = 1; seed <= 12; seed++)
        {
            var random = new Random(seed);
            for (int walk = 0; walk < 60; walk++)
            {
                var state = grammar.Start();
                var text = new List<byte>();
                double closing = walk / 60.0;
                while (!state.Complete && text.Count < 3000)
                {
                    allowed.Clear();
                    for (int b = 0; b < 256; b++)
                    {
                        var copy = state;
                        if (copy.TryAdvance((byte)b)) allowed.Add((byte)b);
                        state.Rewind();
                    }
                    Assert.True(allowed.Count > 0, $"seed {seed}: dead end after \"{Encoding.UTF8.GetString([.. text])}\"");
                    var closers = allowed.Where(b => b is (byte)'}' or (byte)']' or (byte)'"' or (byte)',' or (byte)'n').ToList();
                    byte next = random.NextDouble() < closing && closers.Count > 0 ? closers[random.Next(closers.Count)] : allowed[random.Next(allowed.Count)];
                    Assert.True(state.TryAdvance(next));
                    alive = Math.Max(alive, state.Alive);
                    Assert.True(state.Alive <= JsonSchemaCompiler.MaxWidth, $"{state.Alive} configurations alive");
                    text.Add(next);
                }
                if (!state.Complete) continue;
                completed++;
                string json = Encoding.UTF8.GetString([.. text]);
                Assert.True(SchemaValidator.Problem(schema, json) is null, $"seed {seed}: {json}: {SchemaValidator.Problem(schema, json)}");
            }
        }
        Assert.True(completed >= 100, $"only {completed} of 720 walks completed");
        if (schema.Contains("anyOf", StringComparison.Ordinal)) Assert.True(alive > 1, "the walks never read two alternatives side by side");
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void EveryValidDocumentInTheKeyOrderPromisedIsTaken(string schema)
    {
        using var parsed = JsonDocument.Parse(schema);
        var grammar = JsonSchemaGrammar.Compile(parsed.RootElement);
        for (int seed = 1; seed <= 400; seed++)
        {
            string document = new ValidDocuments(parsed.RootElement, new Random(seed)).Document();
            Assert.True(SchemaValidator.Problem(schema, document) is null, $"the generator wrote {document}: {SchemaValidator.Problem(schema, document)}");
            var state = grammar.Start();
            var bytes = Encoding.UTF8.GetBytes(document);
            for (int i = 0; i < bytes.Length; i++)
            {
                Assert.True(state.TryAdvance(bytes[i]), $"seed {seed}: {document} refused after \"{Encoding.UTF8.GetString(bytes, 0, i)}\"");
                state.Rewind();
            }
            Assert.True(state.Complete, $"seed {seed}: {document} is not complete");
        }
    }
}
