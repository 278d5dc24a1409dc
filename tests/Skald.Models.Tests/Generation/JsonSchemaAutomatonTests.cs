using System.Text;
using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="JsonSchemaAutomaton"/> from <see cref="JsonSchemaGrammar.Compile"/> on a hand-written corpus per feature:
/// every valid document is taken byte by byte, ends complete, and none of its proper prefixes is complete; every
/// invalid one is refused at some byte or left incomplete. Valid means valid against the schema and written the way
/// the constraint writes it: keys in the schema's order, enum and const values as compact JSON (a document that
/// validates but is written otherwise, such as keys out of order, is in the invalid lists, marked as such).
/// </summary>
public sealed class JsonSchemaAutomatonTests
{
    internal static JsonSchemaAutomaton Start(string schema) => JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement).Start();

    // Every byte taken, complete at the end only.
    internal static void AssertTakes(string schema, string document)
    {
        var state = Start(schema);
        var bytes = Encoding.UTF8.GetBytes(document);
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.False(state.Complete, $"{document}: complete after {i} bytes");
            Assert.True(state.Advance(bytes.AsSpan(i, 1)), $"{document}: byte {i} ('{(char)bytes[i]}') refused");
        }
        Assert.True(state.Complete, $"{document}: not complete at its end");
    }

    private static void AssertRefuses(string schema, string document)
    {
        var state = Start(schema);
        bool all = state.Advance(Encoding.UTF8.GetBytes(document));
        Assert.False(all && state.Complete, $"{document} was taken");
    }

    private static void Check(string schema, string[] valid, string[] invalid)
    {
        foreach (string d in valid) AssertTakes(schema, d);
        foreach (string d in invalid) AssertRefuses(schema, d);
    }

    [Fact]
    public void PropertiesComeInOrderWithTheRequiredOnesAndNoOthers()
    {
        const string schema = """
            {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "nick": {"type": "string"}},
             "required": ["name", "age"], "additionalProperties": false}
            """;
        Check(schema,
            ["""{"name":"Ola","age":30}""", """{"name":"Ola","age":30,"nick":"O"}""", """{ "name" : "Ola" , "age" : -5 }""",
             """{"name":"","age":0}""", "{\n  \"name\": \"Kari\",\n  \"age\": 41\n}"],
            ["""{"age":30,"name":"Ola"}""" /* valid, but out of the schema's order */, """{"name":"Ola","nick":"O","age":30}""" /* ditto */,
             """{"name":"Ola"}""", """{"name":"Ola","age":30,"x":1}""", """{"name":"Ola","age":3.5}""", """{"name":"Ola","age":"30"}""",
             """{"name":"Ola","age":30} """, """{"name":"Ola","age":30,}""", """{"name":"Ola","age":01}""", """{"nam":"Ola","age":1}""",
             """{"name":"Ola","age":1e3}""", """{"name":"Ola","age":30}}""", "[]", "\"x\"", ""]);
    }

    [Fact]
    public void OptionalPropertiesMayBeSkippedAroundARequiredOne()
    {
        const string schema = """
            {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}, "c": {"type": "number"}}, "required": ["b"]}
            """;
        Check(schema,
            ["""{"b":1}""", """{"a":1,"b":2}""", """{"b":1,"c":2}""", """{"a":1.5,"b":-2e-3,"c":3E+2}"""],
            ["{}", """{"a":1}""", """{"a":1,"c":2}""", """{"c":1,"b":2}""", """{"b":1,"a":2}""", """{"b":1,"b":2}""", """{"b":1.}""", """{"b":.5}""", """{"b":--1}"""]);
        Check("""{"type": "object", "properties": {"x": {"type": "boolean"}}}""",
            ["{}", """{"x":true}""", """{"x":false}""", "{ }"],
            ["""{"x":1}""", """{"x":tru}""", """{"x":null}""", """{"x":truee}"""]);
        Check("""{"type": "object"}""", ["{}"], ["""{"a":1}"""]);
    }

    [Fact]
    public void ArraysKeepTheirItemsAndBounds()
    {
        const string schema = """
            {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3}}, "required": ["tags"]}
            """;
        Check(schema,
            ["""{"tags":["a"]}""", """{"tags":["a","b","c"]}""", """{"tags":[ "a" , "b" ]}"""],
            ["""{"tags":[]}""", """{"tags":["a","b","c","d"]}""", """{"tags":[1]}""", """{"tags":["a",]}""", """{"tags":"a"}""", """{"tags":["a"]]}"""]);
        Check("""{"type": "object", "properties": {"m": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}}, "required": ["m"]}""",
            ["""{"m":[]}""", """{"m":[[],[1,2],[-3]]}"""],
            ["""{"m":[1]}""", """{"m":[[1.5]]}""", """{"m":[[1],]}"""]);
    }

    [Fact]
    public void EnumAndConstAreMatchedAsCompactJson()
    {
        const string schema = """
            {"type": "object", "properties": {"color": {"enum": ["red", "green", 1, 12, null, {"a": [1, true]}]}, "v": {"const": "x"}}, "required": ["color", "v"]}
            """;
        Check(schema,
            ["""{"color":"red","v":"x"}""", """{"color":1,"v":"x"}""", """{"color":12,"v":"x"}""", """{"color":null,"v":"x"}""",
             """{"color":"green","v":"x"}""", """{"color":{"a":[1,true]},"v":"x"}""", """{"color": 12 ,"v": "x"}"""],
            ["""{"color":"blue","v":"x"}""", """{"color":"re","v":"x"}""", """{"color":2,"v":"x"}""", """{"color":123,"v":"x"}""",
             """{"color":"red","v":"y"}""", """{"color":"red ","v":"x"}""", """{"color":"\u0072ed","v":"x"}""" /* valid, but escaped */,
             """{"color":{"a": [1,true]},"v":"x"}""" /* valid, but not compact */, """{"color":"red"}"""]);
        Check("""{"type": "object", "properties": {"e": {"type": "string", "enum": ["a", 1, "blå"]}}, "required": ["e"]}""",
            ["""{"e":"a"}""", """{"e":"blå"}"""],
            ["""{"e":1}""", """{"e":"b"}"""]);
        Check("""{"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2.5, 3.0]}}, "required": ["n"]}""",
            ["""{"n":1}""", """{"n":3.0}"""],
            ["""{"n":2.5}""", """{"n":3}""" /* valid (3 = 3.0), but not as the schema writes it */]);
    }

    [Fact]
    public void StringsKeepTheirLengthInCharacters()
    {
        const string schema = """{"type": "object", "properties": {"s": {"type": "string", "minLength": 2, "maxLength": 3}}, "required": ["s"]}""";
        Check(schema,
            ["""{"s":"ab"}""", """{"s":"abc"}""", """{"s":"æøå"}""", """{"s":"a\n"}""", """{"s":"\u00e6b"}""", """{"s":"a😀"}"""],
            ["""{"s":"a"}""", """{"s":"abcd"}""", """{"s":"æøåa"}""", """{"s":""}""", """{"s":"\ud83d\ude00"}""" /* surrogate escapes are refused */,
             """{"s":"a\x"}""", "{\"s\":\"a\tb\"}" /* a raw control character */]);
        Check("""{"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]}""",
            ["""{"s":""}""", """{"s":"\"\\\/\b\f\n\r\t\u00E6"}""", """{"s":"hei på deg"}"""],
            ["""{"s":"\uD800"}""", """{"s":"\u12"}""", """{"s":x}"""]);
        var bad = Start(schema); // invalid UTF-8 inside the string: a lone continuation byte, an overlong form
        Assert.True(bad.Advance("{\"s\":\""u8));
        var copy = bad;
        Assert.False(copy.Advance([0x80]));
        Assert.False(bad.Advance([0xC0, 0xAF]));
    }

    [Fact]
    public void AnyOfAndTypeListsChooseByTheFirstByte()
    {
        const string schema = """
            {"type": "object", "properties": {
              "v": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}, {"type": "object", "properties": {"k": {"type": "boolean"}}, "required": ["k"]}]},
              "w": {"type": ["number", "null"]}}, "required": ["v", "w"]}
            """;
        Check(schema,
            ["""{"v":"x","w":null}""", """{"v":-3,"w":1.5e3}""", """{"v":null,"w":0}""", """{"v":{"k":true},"w":-0.5}"""],
            ["""{"v":1.5,"w":1}""", """{"v":true,"w":1}""", """{"v":{},"w":1}""", """{"v":"x","w":"1"}""", """{"v":"x","w":nul}"""]);
        Check("""{"type": "object", "properties": {"n": {"type": ["integer", "number"]}, "b": {"anyOf": [{"const": "a"}, {"enum": ["b", 7]}]}}, "required": ["n", "b"]}""",
            ["""{"n":2.5,"b":"a"}""", """{"n":2,"b":7}""", """{"n":2,"b":"b"}"""],
            ["""{"n":2,"b":"c"}""", """{"n":2,"b":8}"""]);
    }

    [Fact]
    public void RefsReachDefsAndRecurseUpToTheNestingLimit()
    {
        const string tree = """
            {"type": "object", "$defs": {"node": {"type": "object", "properties": {"name": {"type": "string"},
              "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["name", "children"], "additionalProperties": false}},
             "properties": {"root": {"$ref": "#/$defs/node"}}, "required": ["root"]}
            """;
        Check(tree,
            ["""{"root":{"name":"a","children":[]}}""", """{"root":{"name":"a","children":[{"name":"b","children":[{"name":"c","children":[]}]},{"name":"d","children":[]}]}}"""],
            ["""{"root":{"name":"a"}}""", """{"root":{"name":"a","children":[{"name":"b"}]}}""", """{"root":{"name":"a","children":[1]}}"""]);
        Check("""{"definitions": {"p": {"type": "integer"}}, "type": "object", "properties": {"x": {"$ref": "#/definitions/p"}}, "required": ["x"]}""",
            ["""{"x":5}"""], ["""{"x":"5"}"""]);
        const string list = """{"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}, "required": ["next"]}""";
        Check(list, ["""{"next":null}""", """{"next":{"next":null}}"""], ["""{"next":{}}""", """{}"""]);
        // 64 nested objects is the limit (System.Text.Json's default depth), as in JSON mode
        static string Nested(int objects) => string.Concat(Enumerable.Repeat("{\"next\":", objects - 1)) + "{\"next\":null" + new string('}', objects);
        AssertTakes(list, Nested(64));
        AssertRefuses(list, Nested(65));
    }

    [Fact]
    public void AContainerOpensOnlyWhereWhatItRequiresStillFits()
    {
        // each object needs 3 levels (itself, "deep", "d"): the k-th nested "next" object sits under k - 1 others, so
        // it may open while k - 1 + 3 ≤ 64, up to the 62nd; then only null fits there
        const string schema = """
            {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
              "deep": {"type": "object", "properties": {"d": {"type": "object"}}, "required": ["d"]}}, "required": ["next", "deep"]}
            """;
        static string Open(int objects) => string.Concat(Enumerable.Repeat("{\"next\":", objects));
        const string close = "null,\"deep\":{\"d\":{}}}";
        AssertTakes(schema, Open(62) + close + string.Concat(Enumerable.Repeat(",\"deep\":{\"d\":{}}}", 61)));
        var state = Start(schema);
        Assert.True(state.Advance(System.Text.Encoding.UTF8.GetBytes(Open(62))));
        var copy = state;
        Assert.False(copy.Advance("{"u8), "the 63rd object could not hold its required ones");
        Assert.True(state.Advance("null"u8));
        // an alternative no finite document satisfies is never opened
        const string endless = """
            {"type": "object", "properties": {"x": {"anyOf": [{"$ref": "#/$defs/inf"}, {"type": "null"}]}}, "required": ["x"],
             "$defs": {"inf": {"type": "object", "properties": {"again": {"$ref": "#/$defs/inf"}}, "required": ["again"]}}}
            """;
        Check(endless, ["""{"x":null}"""], ["""{"x":{"again":{"again":null}}}"""]);
        var open = Start(endless);
        Assert.True(open.Advance("""{"x":"""u8));
        Assert.False(open.Advance("{"u8));
        // nor is an optional property whose every value nests too deep: its key is never written
        const string optional = """
            {"type": "object", "properties": {"x": {"$ref": "#/$defs/inf"}, "y": {"type": "null"}},
             "$defs": {"inf": {"type": "object", "properties": {"again": {"$ref": "#/$defs/inf"}}, "required": ["again"]}}}
            """;
        Check(optional, ["{}", """{"y":null}"""], ["""{"x":{}}""", """{"x""", """{"y":null,"""]);
        var key = Start(optional);
        Assert.True(key.Advance("{\""u8));
        Assert.False(key.Advance("x"u8));
        Check("""{"type": "object", "properties": {"x": {"$ref": "#/$defs/inf"}}, "$defs": {"inf": {"type": "object", "properties": {"a": {"$ref": "#/$defs/inf"}}, "required": ["a"]}}}""",
            ["{}"], ["{\""]);
    }

    [Fact]
    public void ASchemaWithoutATypeIsReadFromItsKeywords()
    {
        const string schema = """
            {"type": "object", "properties": {"o": {"properties": {"a": {"type": "null"}}, "required": ["a"]}, "l": {"items": {"type": "integer"}},
              "s": {"maxLength": 2}}, "required": ["o", "l", "s"]}
            """;
        Check(schema,
            ["""{"o":{"a":null},"l":[1,2],"s":"ab"}""", """{"o":{"a":null},"l":[],"s":""}"""],
            ["""{"o":1,"l":[1],"s":"a"}""", """{"o":{"a":null},"l":"x","s":"a"}""", """{"o":{"a":null},"l":[1],"s":"abc"}""", """{"o":{"a":null},"l":[1],"s":2}"""]);
    }

    [Fact]
    public void WhitespaceIsOneSpaceOrANewlineAndAnIndent()
    {
        const string schema = """{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "array", "items": {"type": "null"}}}, "required": ["a"]}""";
        Check(schema,
            ["{ \"a\" : 1 }", "{\n  \"a\": 1,\n  \"b\": [\n\t\tnull\n  ]\n}", "{\n" + new string(' ', 20) + "\"a\":1}", "{\"a\":1\n}"],
            ["{  \"a\":1}", " {\"a\":1}" /* nothing before the top-level object */, "\n{\"a\":1}", "{\"a\": \n1}", "{\n" + new string(' ', 21) + "\"a\":1}", "{\"a\":1\r\n}", "{\t\"a\":1}", "{\n\n\"a\":1}", "{\"a\":1} "]);
    }

    [Fact]
    public void NumbersHaveAtMostSixteenDigitsAPartAndThreeInTheExponent()
    {
        const string schema = """{"type": "object", "properties": {"n": {"type": "number"}, "i": {"type": "integer"}}, "required": ["n", "i"]}""";
        string sixteen = "1234567890123456";
        Check(schema,
            [$"{{\"n\":-{sixteen}.{sixteen}e-308,\"i\":{sixteen}}}", "{\"n\":0,\"i\":-0}", "{\"n\":0.5E+12,\"i\":7}"],
            [$"{{\"n\":{sixteen}7,\"i\":1}}", $"{{\"n\":1.{sixteen}7,\"i\":1}}", "{\"n\":1e1234,\"i\":1}", $"{{\"n\":1,\"i\":{sixteen}7}}",
             "{\"n\":00,\"i\":1}", "{\"n\":1,\"i\":1.0}", "{\"n\":1,\"i\":1e2}", "{\"n\":-,\"i\":1}", "{\"n\":1e,\"i\":1}"]);
    }
}
