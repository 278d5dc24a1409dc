namespace Skald.Models.Tests.Generation;

/// <summary>
/// <c>minProperties</c> and <c>maxProperties</c> in <see cref="Skald.Models.Generation.JsonSchemaAutomaton"/>: for every
/// bound pair over objects with required, optional and (or not) additional properties, every document of listed keys
/// in the schema's order followed by up to three other keys is taken exactly when it validates; and a key that would
/// leave the bounds out of reach is refused where it begins (bounds no object meets: JsonSchemaCompilerTests).
/// </summary>
public sealed class JsonSchemaPropertyCountTests
{
    // Every subset of a, b, c, d in order (values of their types, a wrong one for c), then 0 to 3 other keys.
    private static IEnumerable<string> Documents()
    {
        string[] listed = ["\"a\":1", "\"b\":true", "\"c\":null", "\"d\":\"s\""];
        string[] extra = ["\"x\":null", "\"y\":null", "\"z\":null"];
        for (int mask = 0; mask < 16; mask++)
        {
            var keys = Enumerable.Range(0, 4).Where(i => (mask >> i & 1) == 1).Select(i => listed[i]).ToList();
            for (int k = 0; k <= 3; k++) yield return "{" + string.Join(",", keys.Concat(extra.Take(k))) + "}";
        }
        yield return """{"a":1,"c":1}""";
        yield return """{"a":1,"x":null,"x":null}""";
    }

    public static TheoryData<string> Extras() => ["false", """{"type": "null"}"""];

    [Theory]
    [MemberData(nameof(Extras))]
    public void EveryBoundPairTakesExactlyTheObjectsWithinIt(string extra)
    {
        for (int min = 0; min <= 6; min++)
        {
            for (int max = Math.Max(min, 1); max <= 6; max++)
            {
                string schema = $$$"""
                    {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}, "c": {"type": "null"}, "d": {"type": "string"}},
                     "required": ["a"], "additionalProperties": {{{extra}}}, "minProperties": {{{min}}}, "maxProperties": {{{max}}}}
                    """;
                if (extra == "false" && min > 4) continue; // refused (see below)
                JsonSchemaExhaustive.Agree(schema, Documents());
            }
        }
    }

    [Fact]
    public void AnOptionalKeyIsRefusedWhereItWouldLeaveTooFewOrTooManyToCome()
    {
        // four keys at least, no other: after "a", skipping "b" leaves c and d, three in all
        const string fewest = """
            {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}, "d": {"type": "integer"}},
             "minProperties": 4}
            """;
        JsonSchemaExtraKeysTests.Check(fewest, ["""{"a":1,"b":2,"c":3,"d":4}"""],
            [("""{"a":1,"c":3,"d":4}""", "{\"a\":1,\""), ("""{"b":1,"c":3,"d":4}""", "{\""), ("""{"a":1,"b":2,"c":3}""", """{"a":1,"b":2,"c":3""")]);
        // at most two, "d" required: after one optional key only d may come
        const string most = """
            {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "d": {"type": "integer"}}, "required": ["d"],
             "maxProperties": 2, "additionalProperties": {"type": "integer"}}
            """;
        JsonSchemaExtraKeysTests.Check(most, ["""{"d":1}""", """{"a":1,"d":2}""", """{"b":1,"d":2}""", """{"d":1,"e":2}"""],
            [("""{"a":1,"b":2,"d":3}""", "{\"a\":1,\""), ("""{"d":1,"e":2,"f":3}""", """{"d":1,"e":2""")]);
    }

    [Fact]
    public void MinPropertiesForcesOptionalKeysIntoTheNestingItNeeds()
    {
        // each object needs a key; where the only one is the object again there is no finite document (refused, see
        // JsonSchemaCompilerTests), but with null beside it a chain of objects ends where null is written
        const string schema = """{"type": "object", "properties": {"a": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}, "minProperties": 1}""";
        JsonSchemaExtraKeysTests.Check(schema, ["""{"a":null}""", """{"a":{"a":{"a":null}}}"""], [("{}", "{"), ("""{"a":{}}""", """{"a":{""")]);
    }
}
