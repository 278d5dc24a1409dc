namespace Skald.Models.Tests.Generation;

/// <summary>
/// Unions whose alternatives start with the same character, read side by side by
/// <see cref="Skald.Models.Generation.JsonSchemaAutomaton"/>: pydantic's union of two models (with and without a
/// discriminating const), a string and a string enum, two arrays, an integer and a number literal. Every prefix of a
/// document valid against some alternative is taken, and an invalid one is refused at the byte where the last
/// alternative that could take it dies (given by hand as the prefix still taken).
/// </summary>
public sealed class JsonSchemaUnionTests
{
    private static void Check(string schema, string[] valid, (string Document, string Taken)[] invalid) =>
        JsonSchemaExtraKeysTests.Check(schema, valid, invalid);

    [Fact]
    public void TwoModelsWithADiscriminatorAreToldApartWhereTheyDiffer()
    {
        const string schema = """
            {"type": "object", "properties": {"pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}}, "required": ["pet"],
             "$defs": {"Cat": {"type": "object", "properties": {"kind": {"const": "cat"}, "meows": {"type": "boolean"}}, "required": ["kind", "meows"]},
              "Dog": {"type": "object", "properties": {"kind": {"const": "dog"}, "barks": {"type": "integer"}}, "required": ["kind", "barks"]}}}
            """;
        Check(schema,
            ["""{"pet":{"kind":"cat","meows":true}}""", """{"pet":{"kind":"dog","barks":3}}""", """{"pet": {"kind": "dog", "barks": -1}}"""],
            [("""{"pet":{"kind":"cat","barks":3}}""", "{\"pet\":{\"kind\":\"cat\",\""), ("""{"pet":{"kind":"cow"}}""", """{"pet":{"kind":"c"""),
             ("""{"pet":{"kind":"dog","meows":true}}""", "{\"pet\":{\"kind\":\"dog\",\""), ("""{"pet":{"kind":"dog","barks":true}}""", """{"pet":{"kind":"dog","barks":"""),
             ("""{"pet":{}}""", """{"pet":{""")]);
    }

    [Fact]
    public void TwoModelsThatShareAPrefixStayAliveUntilOneDies()
    {
        const string schema = """
            {"type": "object", "properties": {"pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}, {"type": "null"}]}}, "required": ["pet"],
             "$defs": {"Cat": {"type": "object", "properties": {"name": {"type": "string"}, "meows": {"type": "boolean"}}, "required": ["name"]},
              "Dog": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}, "barks": {"type": "integer"}}, "required": ["name"]}}}
            """;
        Check(schema,
            ["""{"pet":{"name":"x"}}""", """{"pet":{"name":"x","barks":1}}""", """{"pet":{"name":"long","meows":false}}""", """{"pet":null}"""],
            [("""{"pet":{"name":"x","meows":true,"barks":1}}""", """{"pet":{"name":"x","meows":true"""),
             ("""{"pet":{"name":"long","barks":1}}""", "{\"pet\":{\"name\":\"long\",\""), ("""{"pet":{"barks":1}}""", "{\"pet\":{\"")]);
    }

    [Fact]
    public void AStringAndAStringEnumAndTwoArraysAndANumberBesideItsLiteral()
    {
        const string schema = """
            {"type": "object", "properties": {"s": {"anyOf": [{"type": "string", "maxLength": 2}, {"enum": ["long value", "x"]}]},
              "a": {"anyOf": [{"type": "array", "items": {"type": "integer"}, "maxItems": 2}, {"type": "array", "items": {"type": "string"}}]},
              "n": {"anyOf": [{"type": "integer"}, {"const": 1.5}]}}, "required": ["s", "a", "n"]}
            """;
        Check(schema,
            ["""{"s":"ab","a":[1,2],"n":1}""", """{"s":"long value","a":["x","y","z"],"n":15}""", """{"s":"x","a":[],"n":1.5}""", """{"s":"","a":[ ],"n":-3}"""],
            [("""{"s":"abc","a":[],"n":1}""", """{"s":"ab"""), ("""{"s":"long valu","a":[],"n":1}""", """{"s":"long valu"""),
             ("""{"s":"x","a":[1,"x"],"n":1}""", """{"s":"x","a":[1,"""), ("""{"s":"x","a":[1,2,3],"n":1}""", """{"s":"x","a":[1,2"""),
             ("""{"s":"x","a":[],"n":1.6}""", """{"s":"x","a":[],"n":1."""), ("""{"s":"x","a":[],"n":1.55}""", """{"s":"x","a":[],"n":1.5""")]);
    }

    [Fact]
    public void AlternativesThatEndAlikeMergeSoAListOfThemStaysWithinTheBound()
    {
        // every item is valid against both models: without merging, the configurations would double with each item
        const string schema = """
            {"type": "object", "properties": {"l": {"type": "array", "items": {"anyOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]}}}, "required": ["l"],
             "$defs": {"A": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
              "B": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "string"}}, "required": ["x"]}}}
            """;
        string items = string.Join(",", Enumerable.Range(0, 40).Select(i => $"{{\"x\":{i}}}"));
        Check(schema, [$"{{\"l\":[{items}]}}", $"{{\"l\":[{items},{{\"x\":1,\"y\":\"b\"}}]}}"], []);
        var state = JsonSchemaAutomatonTests.Start(schema);
        int most = 0;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes($"{{\"l\":[{items}]}}"))
        {
            Assert.True(state.TryAdvance(b));
            most = Math.Max(most, state.Alive);
        }
        Assert.Equal(2, most); // A and B inside an item, one after it
        Assert.True(state.Complete);
    }
}
