using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="JsonSchemaGrammar.Compile"/> refuses what it cannot constrain with a <see cref="JsonSchemaException"/>
/// naming the keyword and its JSON pointer (escaped as RFC 6901 says), in its message too; annotations are ignored.
/// </summary>
public sealed class JsonSchemaCompilerTests
{
    private static JsonSchemaGrammar Compile(string schema) => JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement);

    [Theory]
    [InlineData("""{"type": "object", "properties": {"name": {"type": "string", "pattern": "^a"}}}""", "pattern", "/properties/name/pattern")]
    [InlineData("""{"type": "object", "properties": {"e": {"enum": ["abc"], "maxLength": 1}}}""", "maxLength", "/properties/e/maxLength")]
    [InlineData("""{"type": "object", "properties": {"c": {"const": {"a": 1}, "properties": {"a": {"type": "string"}}}}}""", "properties", "/properties/c/properties")]
    [InlineData("""{"type": "object", "properties": {"t": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}}}""", "items", "/properties/t/items")]
    [InlineData("""{"type": "object", "oneOf": [{"type": "object"}]}""", "oneOf", "/oneOf")]
    [InlineData("""{"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}}""", "allOf", "/properties/a/allOf")]
    [InlineData("""{"type": "object", "properties": {"a": {"not": {"type": "string"}}}}""", "not", "/properties/a/not")]
    [InlineData("""{"type": "object", "patternProperties": {"^x": {"type": "string"}}}""", "patternProperties", "/patternProperties")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 0.5}}}""", "minimum", "/properties/n/minimum")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": ["integer", "number"], "multipleOf": 0}}}""", "multipleOf", "/properties/n/multipleOf")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "multipleOf": -1.5}}}""", "multipleOf", "/properties/n/multipleOf")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "minimum": 5, "exclusiveMaximum": 5.5, "maximum": 4}}}""", "minimum", "/properties/n/minimum")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": true}}}""", "exclusiveMinimum", "/properties/n/exclusiveMinimum")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "number", "minimum": 1e16}}}""", "minimum", "/properties/n/minimum")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 2, "multipleOf": 3}}}""", "minimum", "/properties/n/minimum")]
    [InlineData("""{"type": "object", "properties": {"d": {"type": "string", "format": "date", "maxLength": 10}}}""", "maxLength", "/properties/d/maxLength")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "null"}}, "minProperties": 2}""", "minProperties", "/minProperties")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "null"}, "b": {"type": "null"}}, "required": ["a", "b"], "maxProperties": 1}""", "maxProperties", "/maxProperties")]
    [InlineData("""{"type": "object", "minProperties": 2, "maxProperties": 1, "additionalProperties": true}""", "minProperties", "/minProperties")]
    [InlineData("""{"type": "object", "maxProperties": -1}""", "maxProperties", "/maxProperties")]
    [InlineData("""{"type": "object", "properties": {"a": {"$ref": "#"}}, "minProperties": 1}""", "minProperties", "/minProperties")]
    [InlineData("""{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}}}""", "uniqueItems", "/properties/l/uniqueItems")]
    [InlineData("""{"type": "object", "additionalProperties": 1}""", "additionalProperties", "/additionalProperties")]
    [InlineData("""{"type": "object", "properties": {"o": {"type": "object", "additionalProperties": {"type": "string", "pattern": "x"}}}}""", "pattern", "/properties/o/additionalProperties/pattern")]
    [InlineData("""{"type": "object", "properties": {"o": {"type": "object", "properties": {"a\u0001": {"type": "string"}}, "additionalProperties": true}}}""", "properties", "/properties/o/properties")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"], "additionalProperties": true}""", "required", "/required")]
    [InlineData("""{"type": "object", "properties": {"x": {"$ref": "#/$defs/missing"}}}""", "$ref", "/properties/x/$ref")]
    [InlineData("""{"type": "object", "properties": {"x": {"$ref": "other.json#/a"}}}""", "$ref", "/properties/x/$ref")]
    [InlineData("""{"type": "object", "properties": {"x": {"$ref": "#/$defs/a", "type": "string"}}, "$defs": {"a": {"type": "string"}}}""", "type", "/properties/x/type")]
    [InlineData("""{"type": "object", "properties": {"x": {"$ref": "#/$defs/a", "items": {"type": "string"}}}, "$defs": {"a": {"type": "array", "items": {"type": "string"}}}}""", "items", "/properties/x/items")]
    [InlineData("""{"$defs": {"a": {"type": ["array", "null"], "items": {"$ref": "#/$defs/b"}}, "b": {"anyOf": [{"$ref": "#/$defs/b"}, {"type": "null"}]}}, "type": "object", "properties": {"x": {"$ref": "#/$defs/a"}}}""", "$ref", "/$defs/b/$ref")]
    [InlineData("""{"$defs": {"u": {"anyOf": [{"type": "array", "items": {"anyOf": [{"$ref": "#/$defs/u"}, {"type": "null"}]}}, {"type": "string"}]}}, "type": "object", "properties": {"x": {"$ref": "#/$defs/u"}}}""", "anyOf", "/$defs/u/anyOf/0/items/anyOf")]
    [InlineData("""{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "type": "object", "properties": {"x": {"$ref": "#/$defs/a"}}}""", "$ref", "/$defs/a/$ref")]
    [InlineData("""{"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}}, "$defs": {"T": {"anyOf": [{"type": "object", "properties": {"a": {"$ref": "#/$defs/T"}}}, {"type": "object", "properties": {"b": {"type": "string"}}}]}}}""", "anyOf", "/$defs/T/anyOf")]
    [InlineData("""{"type": "object", "properties": {"v": {"$ref": "#/$defs/U4"}}, "$defs": {"U0": {"anyOf": [{"type": "string"}, {"enum": ["a"]}]}, "U1": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/U0"}}, {"type": "array", "items": {"$ref": "#/$defs/U0"}, "maxItems": 3}]}, "U2": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/U1"}}, {"type": "array", "items": {"$ref": "#/$defs/U1"}, "maxItems": 3}]}, "U3": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/U2"}}, {"type": "array", "items": {"$ref": "#/$defs/U2"}, "maxItems": 3}]}, "U4": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/U3"}}, {"type": "array", "items": {"$ref": "#/$defs/U3"}, "maxItems": 3}]}}}""", "anyOf", "/$defs/U4/anyOf")]
    [InlineData("""{"type": "object", "properties": {"x": {"type": "date"}}}""", "type", "/properties/x/type")]
    [InlineData("""{"type": "object", "properties": {"x": {}}}""", "type", "/properties/x/type")]
    [InlineData("""{"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x", "y"]}""", "required", "/required")]
    [InlineData("""{"type": "array", "items": {"type": "string"}}""", "type", "/type")]
    [InlineData("""{"anyOf": [{"type": "object"}, {"type": "null"}]}""", "type", "/type")]
    [InlineData("""{"type": "object", "properties": {"s": {"type": "string", "minLength": 4, "maxLength": 3}}}""", "minLength", "/properties/s/minLength")]
    [InlineData("""{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}, "minItems": -1}}}""", "minItems", "/properties/l/minItems")]
    [InlineData("""{"type": "object", "properties": {"l": {"type": "array"}}}""", "items", "/properties/l/items")]
    [InlineData("""{"type": "object", "properties": {"a/b~": {"type": "string", "pattern": "x"}}}""", "pattern", "/properties/a~1b~0/pattern")]
    [InlineData("""{"type": "object", "properties": {"e": {"enum": []}}}""", "enum", "/properties/e/enum")]
    [InlineData("""{"type": "object", "properties": {"u": {"type": "string", "format": "uuid", "const": "not a uuid"}}}""", "const", "/properties/u/const")]
    [InlineData("""{"type": "object", "properties": {"d": {"format": "date", "enum": ["2023-02-29", "1900-02-29"]}}}""", "enum", "/properties/d/enum")]
    [InlineData("""{"type": "object", "properties": {"e": {"type": "integer", "enum": ["a", 1.5]}}}""", "enum", "/properties/e/enum")]
    [InlineData("""{"type": "object", "properties": {"e": {"enum": ["\ud800"]}}}""", "enum", "/properties/e/enum")]
    [InlineData("""{"type": "object", "properties": {"a": {"$ref": "#"}}, "required": ["a"]}""", "required", "/required")]
    [InlineData("""{"type": "object", "properties": {"l": {"$ref": "#/$defs/l"}}, "$defs": {"l": {"type": "array", "items": {"$ref": "#/$defs/l"}, "minItems": 1}}, "required": ["l"]}""", "minItems", "/$defs/l/minItems")]
    [InlineData("""{"type": "object", "properties": {"a": {"anyOf": [{"$ref": "#/$defs/n"}, {"type": "array", "items": {"$ref": "#"}, "minItems": 2}]}}, "required": ["a"], "$defs": {"n": {"type": "object", "properties": {"b": {"$ref": "#"}}, "required": ["b"]}}}""", "required", "/$defs/n/required")] // where the loop closes
    public void AnUnsupportedOrMalformedKeywordIsNamedWithItsPointer(string schema, string keyword, string pointer)
    {
        var e = Assert.Throws<JsonSchemaException>(() => Compile(schema));
        Assert.Equal(keyword, e.Keyword);
        Assert.Equal(pointer, e.Pointer);
        Assert.Contains($"\"{keyword}\" at {pointer}", e.Message);
    }

    [Fact]
    public void ASchemaTooDeepIsRefusedWhereItStands()
    {
        // a chain of 300 definitions, each an object holding the next by $ref as an array's items
        var defs = Enumerable.Range(0, 300).Select(i =>
            $"\"D{i}\": {{\"type\": \"object\", \"properties\": {{\"n\": {{\"type\": \"array\", \"items\": {{\"$ref\": \"#/$defs/D{i + 1}\"}}}}}}}}");
        string schema = $"{{\"type\": \"object\", \"properties\": {{\"d\": {{\"$ref\": \"#/$defs/D0\"}}}}, \"$defs\": {{{string.Join(", ", defs)}, " +
            "\"D300\": {\"type\": \"null\"}}}";
        var e = Assert.Throws<JsonSchemaException>(() => Compile(schema));
        Assert.Matches("^/\\$defs/D[0-9]+(/properties(/n(/items)?)?)?$", e.Pointer); // where the schema stands, not a $ref that is not there
        Assert.Contains($"the schema at {e.Pointer} lies more than 256 schemas deep", e.Message);
    }

    [Fact]
    public void ABooleanSchemaIsRefusedWhereItStands()
    {
        var e = Assert.Throws<JsonSchemaException>(() => Compile("""{"type": "object", "properties": {"l": {"type": "array", "items": true}}}"""));
        Assert.Equal("/properties/l/items", e.Pointer);
        Assert.Contains("/properties/l/items", e.Message);
    }

    [Fact]
    public void AKeyThatIsNotValidUnicodeIsRefusedWhereItStands()
    {
        var e = Assert.Throws<JsonSchemaException>(() => Compile("""{"type": "object", "properties": {"p": {"type": "object", "properties": {"\ud800": {"type": "string"}}}}}"""));
        Assert.Equal("/properties/p", e.Pointer);
        Assert.Contains("not valid Unicode", e.Message);
    }

    [Fact]
    public void AnnotationsAndUnusedDefsAreIgnored()
    {
        var grammar = Compile("""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "x", "title": "T", "description": "D", "type": "object",
             "$defs": {"unused": {"pattern": "never compiled"}},
             "properties": {"a": {"type": "string", "description": "an a", "default": "x", "examples": ["y"], "$comment": "c", "deprecated": false}},
             "required": ["a"], "additionalProperties": false}
            """);
        var state = grammar.Start();
        Assert.True(state.Advance("""{"a":"z"}"""u8));
        Assert.True(state.Complete);
    }
}
