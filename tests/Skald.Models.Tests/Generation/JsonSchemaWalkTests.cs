using System.Text;
using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tests;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Random walks over the bytes <see cref="JsonSchemaAutomaton"/> allows, on adversarial schemas and on the schemas
/// pydantic and Microsoft.Extensions.AI write: every state reached allows some byte or is complete (no dead end, which
/// would leave generation without a token), and every complete text validates against the schema
/// (<see cref="SchemaValidator"/>, written independently from the specification).
/// </summary>
public sealed class JsonSchemaWalkTests
{
    /// <summary>pydantic 2's model_json_schema() of a model with a str enum, an Optional model, Optional[int], a datetime, a list and a Literal.</summary>
    public const string Pydantic = """
        {"$defs": {"Address": {"properties": {"street": {"title": "Street", "type": "string"}, "zip": {"anyOf": [{"type": "string"}, {"type": "null"}],
           "default": null, "title": "Zip"}}, "required": ["street"], "title": "Address", "type": "object"},
          "Color": {"enum": ["red", "green"], "title": "Color", "type": "string"}},
         "properties": {"name": {"description": "Full name", "title": "Name", "type": "string"},
          "age": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Age"},
          "born": {"format": "date-time", "title": "Born", "type": "string"},
          "color": {"$ref": "#/$defs/Color", "default": "red"},
          "address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": null},
          "tags": {"default": [], "items": {"type": "string"}, "title": "Tags", "type": "array"},
          "kind": {"const": "person", "default": "person", "title": "Kind", "type": "string"}},
         "required": ["name", "age", "born"], "title": "Person", "type": "object"}
        """;

    /// <summary>What ChatResponseFormat.ForJsonSchema&lt;T&gt;() writes for a C# record with nullable, enum, list and DateTime properties.</summary>
    public const string ExtensionsAi = """
        {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"name":{"type":"string"},"age":{"type":["integer","null"]},
         "mood":{"type":"string","enum":["Happy","Sad"]},"tags":{"type":"array","items":{"type":"string"}},"note":{"type":["string","null"]},
         "when":{"type":"string","format":"date-time"},"score":{"type":"number"}},"required":["name","age","mood","tags","note","when","score"]}
        """;

    /// <summary>
    /// What ChatResponseFormat.ForJsonSchema&lt;T&gt;() writes for a record that holds itself: record Node(string V, Node? Next,
    /// List&lt;Node&gt;? Kids), a $ref back to a type list with "object" and a $ref beside an empty "items".
    /// </summary>
    public const string ExtensionsAiRecursive = """
        {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"v":{"type":"string"},"next":{"type":["object","null"],
         "properties":{"v":{"type":"string"},"next":{"$ref":"#/properties/next"},"kids":{"type":["array","null"],"items":{"$ref":"#"}}},
         "required":["v","next","kids"]},"kids":{"$ref":"#/properties/next/properties/kids","items":{}}},"required":["v","next","kids"]}
        """;

    public static TheoryData<string> Schemas() =>
    [
        Pydantic,
        ExtensionsAi,
        ExtensionsAiRecursive,
        // nested anyOf of literals that share prefixes, beside an array of a string literal or an object
        """
        {"type": "object", "properties": {"a": {"anyOf": [{"anyOf": [{"const": 1}, {"const": 12}, {"enum": [1.5, -0]}]}, {"enum": [true, null, "x", "xy"]},
          {"type": "array", "items": {"anyOf": [{"const": "a"}, {"type": "object", "properties": {"q": {"type": "integer"}}}]}, "maxItems": 3}]}},
         "required": ["a"]}
        """,
        // enums of objects and arrays, a const object with escapes and non-ASCII
        """
        {"type": "object", "properties": {"e": {"enum": [{"a": [1, 2]}, {"a": [1]}, [], [{}], "é\"\n😀"]}, "c": {"const": {"k": "vé\n", "l": [null, false]}}},
         "required": ["c"]}
        """,
        // integers and numbers, integer literals written as numbers
        """{"type": "object", "properties": {"i": {"type": "integer"}, "n": {"type": ["number", "integer", "null"]}, "l": {"type": "integer", "enum": [1.0, 2e1, -0]}}, "required": ["i", "n", "l"]}""",
        // string bounds with escapes and multi-byte characters
        """
        {"type": "object", "properties": {"s": {"type": "string", "minLength": 2, "maxLength": 3}, "z": {"type": "string", "maxLength": 0},
          "m": {"type": "string", "minLength": 5}, "o": {"type": "string", "maxLength": 1}}, "required": ["s", "z", "m", "o"]}
        """,
        // every key optional, and an empty object
        """{"type": "object", "properties": {"a": {"type": "null"}, "b": {"type": "object", "properties": {}}, "c": {"type": "boolean"}}}""",
        // a recursive tree, a required chain through an optional link, $defs inside a nested schema
        """{"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#"}}}, "required": ["kids"]}""",
        """
        {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
          "deep": {"type": "object", "properties": {"d": {"type": "object"}}, "required": ["d"]}}, "required": ["next", "deep"]}
        """,
        """
        {"type": "object", "properties": {"a": {"$defs": {"X": {"type": "array", "items": {"$ref": "#/properties/a/$defs/X"}, "minItems": 0, "maxItems": 2}},
          "$ref": "#/properties/a/$defs/X"}}, "required": ["a"]}
        """,
        // an anyOf that an object among its alternatives refers back to (a tree of optional nodes)
        """
        {"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}}, "required": ["t"],
         "$defs": {"T": {"anyOf": [{"type": "object", "properties": {"l": {"$ref": "#/$defs/T"}, "r": {"$ref": "#/$defs/T"}}, "required": ["l", "r"]},
           {"type": "null"}, {"type": "array", "items": {"$ref": "#/$defs/T"}, "maxItems": 2}]}}}
        """,
        // dictionaries (pydantic's dict[str, int] and dict[str, Model]), listed properties with others after them, any JSON value
        """
        {"type": "object", "properties": {"counts": {"type": "object", "additionalProperties": {"type": "integer"}},
          "models": {"type": "object", "additionalProperties": {"$ref": "#/$defs/M"}}, "any": {"type": "object", "additionalProperties": true}},
         "required": ["counts", "models", "any"],
         "$defs": {"M": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}}, "required": ["a"], "additionalProperties": {"type": "null"}}}}
        """,
        """{"type": "object", "properties": {"a": {"type": "null"}, "ab": {"type": "integer"}, "é\n": {"type": "boolean"}}, "required": ["ab"], "additionalProperties": {}}""",
        // unions whose alternatives start alike: pydantic's union of models (one discriminated by a const), a string beside
        // a string enum, two arrays, an integer beside a number literal, and such unions inside each other
        """
        {"type": "object", "properties": {"pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}, {"type": "null"}]},
          "s": {"anyOf": [{"type": "string", "maxLength": 2}, {"enum": ["long value", "x", "xy"]}]},
          "a": {"anyOf": [{"type": "array", "items": {"type": "integer"}, "maxItems": 2}, {"type": "array", "items": {"type": "string"}}]},
          "n": {"anyOf": [{"type": "integer"}, {"const": 1.5}, {"enum": [10, 100]}]}}, "required": ["pet", "s", "a", "n"],
         "$defs": {"Cat": {"type": "object", "properties": {"name": {"type": "string"}, "meows": {"type": "boolean"}}, "required": ["name"]},
          "Dog": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}, "barks": {"type": "integer"}}, "required": ["name"]}}}
        """,
        """
        {"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}}, "required": ["t"],
         "$defs": {"T": {"type": "object", "properties": {"v": {"anyOf": [{"type": "object", "properties": {"k": {"const": "a"}, "a": {"type": "integer"}}, "required": ["k"]},
           {"type": "object", "properties": {"k": {"const": "b"}, "kids": {"type": "array", "items":{"$ref": "#/$defs/U"}}}, "required": ["k"]},
           {"type": "object", "additionalProperties": {"type": "boolean"}}]}}, "required": ["v"]},
          "U": {"anyOf": [{"type": "string"}, {"enum": ["a", "b"]}, {"type": "object", "properties": {"z": {"type": "null"}}},
           {"type": "object", "additionalProperties": {"type": "integer"}}]}}}
        """,
        // integers between bounds, exclusive ones, negative ones, beside each other in a union
        """
        {"type": "object", "properties": {"a": {"type": "integer", "minimum": 18, "maximum": 120}, "b": {"type": "integer", "exclusiveMinimum": -5, "exclusiveMaximum": 0},
          "c": {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 1000}, {"type": "integer", "maximum": -7}, {"type": "integer", "minimum": 50, "maximum": 60}]}},
          "d": {"type": "integer", "minimum": -9999999999999999, "exclusiveMaximum": -9999999999999990}}, "required": ["a", "b", "c", "d"]}
        """,
        // property counts: optional keys forced by minProperties, others after them cut by maxProperties, nested
        """
        {"type": "object", "properties": {"a": {"type": "null"}, "b": {"type": "boolean"}, "c": {"type": "object", "properties": {"x": {"type": "null"}, "y": {"type": "null"}},
          "minProperties": 1, "additionalProperties": {"type": "integer"}, "maxProperties": 3}, "d": {"type": "integer"}},
         "required": ["b"], "minProperties": 3, "maxProperties": 4, "additionalProperties": {"type": "null"}}
        """,
        // bounds and steps on numbers, integers and a union of both; string formats
        """
        {"type": "object", "properties": {"p": {"type": "number", "minimum": -1.5, "exclusiveMaximum": 2.25}, "q": {"type": "number", "multipleOf": 0.05, "exclusiveMinimum": 0, "maximum": 1e2},
          "r": {"type": "integer", "multipleOf": 7, "minimum": -50, "maximum": 50}, "s": {"type": ["integer", "number", "null"], "exclusiveMinimum": 0.5, "maximum": 3},
          "t": {"type": "array", "items": {"type": "number", "minimum": 0.1234567890123456, "maximum": 0.1234567890123457}, "maxItems": 2}},
         "required": ["p", "q", "r", "s", "t"]}
        """,
        """
        {"type": "object", "properties": {"d": {"type": "string", "format": "date"}, "t": {"type": "string", "format": "time"}, "dt": {"type": "string", "format": "date-time"},
          "u": {"type": ["string", "null"], "format": "uuid"}, "ip": {"type": "string", "format": "ipv4"}, "e": {"type": "string", "format": "email"},
          "any": {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 3}]}}, "required": ["d", "t", "dt", "u", "ip", "e", "any"]}
        """,
        // minProperties met only by optional keys that lead back (a recursive dictionary near the nesting limit), and
        // unions of objects with different property counts read side by side
        """
        {"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}, "u": {"anyOf": [
           {"type": "object", "properties": {"k": {"type": "integer"}}, "additionalProperties": {"type": "integer"}, "minProperties": 2},
           {"type": "object", "properties": {"k": {"type": "integer"}}, "additionalProperties": {"type": "string"}, "maxProperties": 1},
           {"type": "object", "maxProperties": 0}]}}, "required": ["t", "u"],
         "$defs": {"T": {"type": "object", "properties": {"a": {"$ref": "#/$defs/T"}, "b": {"type": "null"}, "c": {"$ref": "#/$defs/T"}},
           "minProperties": 2, "maxProperties": 3, "additionalProperties": {"anyOf": [{"$ref": "#/$defs/T"}, {"type": "integer", "minimum": -3, "maximum": 3, "multipleOf": 3}]}}}}
        """,
        // bounds at zero from both sides, a step of 0.1, huge bounds and steps, an enum beside a format
        """
        {"type": "object", "properties": {"z": {"type": "number", "exclusiveMinimum": -1e-16, "exclusiveMaximum": 1e-16}, "m": {"type": "number", "multipleOf": 0.1, "minimum": -0.3, "maximum": 0.3},
          "h": {"type": "integer", "minimum": -1e300, "maximum": 1e300, "multipleOf": 1e15}, "x": {"type": "number", "maximum": -0.0, "exclusiveMinimum": -1E-2},
          "d": {"format": "date-time", "enum": ["2024-01-01T00:00:00Z", "x", 3]}}, "required": ["z", "m", "h", "x", "d"]}
        """,
        // bounded arrays of a type list
        """
        {"type": "object", "properties": {"l": {"type": "array", "items": {"type": ["string", "null", "integer", "array"], "items": {"type": "boolean"}, "maxLength": 2},
          "minItems": 2, "maxItems": 3}}, "required": ["l"]}
        """,
    ];

    [Theory]
    [MemberData(nameof(Schemas))]
    public void EveryStateReachedAllowsAByteOrIsCompleteAndEveryCompleteTextValidates(string schema)
    {
        var grammar = JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement);
        var random = new Random(7);
        var allowed = new List<byte>();
        int completed = 0, deepest = 0, alive = 0;
        for (int walk = 0; walk < 200; walk++)
        {
            var state = grammar.Start();
            var text = new List<byte>();
            int depth = 0;
            bool inString = false, escaped = false;
            // every fourth walk leans on opening bytes, to reach the nesting limit; later walks lean more and more on
            // closing bytes, so that many end
            double opening = walk % 4 == 0 ? 0.7 : 0.05, closing = walk / 200.0;
            while (!state.Complete && text.Count < 4000)
            {
                allowed.Clear();
                for (int b = 0; b < 256; b++)
                {
                    var copy = state;
                    if (copy.TryAdvance((byte)b)) allowed.Add((byte)b);
                    state.Rewind();
                }
                Assert.True(allowed.Count > 0, $"dead end after \"{Encoding.UTF8.GetString([.. text])}\"");
                var openers = allowed.Where(b => b is (byte)'{' or (byte)'[' or (byte)'"' or (byte)':').ToList();
                var closers = allowed.Where(b => b is (byte)'}' or (byte)']' or (byte)'"' or (byte)',' or (byte)'n').ToList();
                double r = random.NextDouble();
                byte next = r < opening && openers.Count > 0 ? openers[random.Next(openers.Count)]
                    : r < opening + closing && closers.Count > 0 ? closers[random.Next(closers.Count)]
                    : allowed[random.Next(allowed.Count)];
                Assert.True(state.TryAdvance(next));
                alive = Math.Max(alive, state.Alive);
                text.Add(next);
                Track(next, ref depth, ref inString, ref escaped);
                deepest = Math.Max(deepest, depth);
            }
            if (!state.Complete) continue;
            completed++;
            string json = Encoding.UTF8.GetString([.. text]);
            Assert.Null(SchemaValidator.Problem(schema, json));
        }
        Assert.True(completed >= 20, $"only {completed} of 200 walks completed");
        if (schema.Contains("\"Cat\"", StringComparison.Ordinal)) // unions that start alike: the walks read alternatives side by side
            Assert.True(alive > 1, "the walks never read two alternatives side by side");
        if (schema.Contains("\"items\": {\"$ref\"", StringComparison.Ordinal)) // arrays that recurse: the walks reach the limit
            Assert.True(deepest >= JsonAutomaton.MaxDepth - 3, $"the walks of a recursive schema reached only depth {deepest}");
    }

    // Follows the containers open (outside strings) over byte b.
    private static void Track(byte b, ref int depth, ref bool inString, ref bool escaped)
    {
        if (inString)
        {
            if (escaped) escaped = false;
            else if (b == '\\') escaped = true;
            else if (b == '"') inString = false;
        }
        else if (b == '"') inString = true;
        else if (b is (byte)'{' or (byte)'[') depth++;
        else if (b is (byte)'}' or (byte)']') depth--;
    }
}
