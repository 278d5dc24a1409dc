using System.Text;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Objects with <c>additionalProperties</c> (a schema, <c>true</c> or <c>{}</c>) in <see cref="Skald.Models.Generation.JsonSchemaAutomaton"/>:
/// after the listed properties (in order) any number of other keys with values under that schema; every prefix of a
/// valid document is taken and only the whole one is complete; an invalid one is refused at the byte where it goes
/// wrong (given by hand as the prefix that is still taken): a key written twice at its closing quote, a listed key
/// out of its place, a value of the wrong type, and the spellings of a key a free key does not take (\u, \/).
/// </summary>
public sealed class JsonSchemaExtraKeysTests
{
    // The first byte of `document` the automaton refuses is the one right after `taken`.
    internal static void AssertRefusedAfter(string schema, string document, string taken)
    {
        Assert.StartsWith(taken, document, StringComparison.Ordinal);
        var state = JsonSchemaAutomatonTests.Start(schema);
        var bytes = Encoding.UTF8.GetBytes(document);
        int at = 0;
        while (at < bytes.Length && state.Advance(bytes.AsSpan(at, 1))) at++;
        Assert.True(at == Encoding.UTF8.GetByteCount(taken), $"{document}: refused after {at} bytes, expected after \"{taken}\"");
    }

    internal static void Check(string schema, string[] valid, (string Document, string Taken)[] invalid)
    {
        foreach (string d in valid) JsonSchemaAutomatonTests.AssertTakes(schema, d);
        foreach (var (d, taken) in invalid) AssertRefusedAfter(schema, d, taken);
    }

    [Fact]
    public void ADictionaryTakesAnyKeysOnceWithValuesOfItsSchema()
    {
        // pydantic's dict[str, int]
        const string schema = """{"type": "object", "additionalProperties": {"type": "integer"}}""";
        Check(schema,
            ["{}", """{"a":1}""", """{"b":1,"a":2}""", """{"a":1,"ab":2,"b":3}""", """{"":0}""", """{ "x" : 1 , "y" : -2 }""",
             """{"a\"b":1,"a\\b":2,"a\nb":3,"a\\nb":4}""", """{"é":1,"e":2,"😀":3}"""],
            [("""{"a":1,"a":2}""", """{"a":1,"a"""), ("""{"ab":1,"b":2,"ab":3}""", """{"ab":1,"b":2,"ab"""), ("""{"":1,"":2}""", "{\"\":1,\""),
             ("""{"é":1,"é":2}""", """{"é":1,"é"""), ("""{"\"":1,"\"":2}""", "{\"\\\"\":1,\"\\\""),
             ("""{"a":"x"}""", """{"a":"""), ("""{"a":1.5}""", """{"a":1"""), ("""{"a\u0062":1}""", """{"a\"""), ("""{"a\/":1}""", """{"a\"""),
             ("""{a:1}""", "{"), ("""{"a":1,}""", """{"a":1,""")]);
    }

    [Fact]
    public void OtherKeysComeAfterTheListedOnesAndNeverRepeatOne()
    {
        const string schema = """
            {"type": "object", "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}, "required": ["name"],
             "additionalProperties": {"type": "boolean"}}
            """;
        Check(schema,
            ["""{"name":"x"}""", """{"name":"x","n":1}""", """{"name":"x","nam":true}""", """{"name":"x","n":1,"names":false,"na":true}""",
             """{"name":"x","n ":true,"N":false}"""],
            [("""{"nick":true,"name":"x"}""", """{"n"""), ("""{"name":"x","name":true}""", """{"name":"x","name"""),
             ("""{"name":"x","n":1,"n":2}""", """{"name":"x","n":1,"n"""), ("""{"name":"x","a":true,"n":1}""", """{"name":"x","a":true,"n"""),
             ("""{"name":"x","a":true,"a":false}""", """{"name":"x","a":true,"a"""), ("""{"name":"x","extra":1}""", """{"name":"x","extra":"""),
             ("""{"name":"x","n":"s"}""", """{"name":"x","n":""")]);
    }

    [Fact]
    public void TrueTakesAnyJsonValueAndEachObjectKeepsItsOwnKeys()
    {
        const string schema = """{"type": "object", "properties": {"meta": {"type": "object", "additionalProperties": true}}, "required": ["meta"]}""";
        Check(schema,
            ["""{"meta":{}}""", """{"meta":{"a":[1,"x",{"b":null}],"c":{"d":{"d":true}},"e":-1.5e3,"f":false}}""",
             """{"meta":{"d":{"d":1},"e":{"d":2,"e":{}}}}""", """{"meta":{"d":[{"d":1,"e":2},{"d":3}]}}"""],
            [("""{"meta":{"a":1,"a":2}}""", """{"meta":{"a":1,"a"""), ("""{"meta":{"c":{"d":1,"d":2}}}""", """{"meta":{"c":{"d":1,"d"""),
             ("""{"meta":{"a":1},"x":1}""", """{"meta":{"a":1}"""), ("""{"meta":{"a":[1,]}}""", """{"meta":{"a":[1,"""),
             ("""{"meta":{"a":nul}}""", """{"meta":{"a":nul""")]);
        // {} is true too, and so is a schema of a keyword that only annotates
        JsonSchemaAutomatonTests.AssertTakes("""{"type": "object", "additionalProperties": {}}""", """{"k":[{"k":{}}],"l":"v"}""");
    }

    [Fact]
    public void AListedKeyIsKnownInTheOneSpellingFreeKeysHave()
    {
        // System.Text.Json writes 😀 as \uD83D\uDE00; a free key can only spell it as UTF-8, so the listed key must be spelt so too
        const string schema = """{"type": "object", "properties": {"😀": {"type": "integer"}, "a\"b": {"type": "null"}}, "additionalProperties": {"type": "string"}}""";
        Check(schema,
            ["""{"😀":1}""", """{"😀":1,"a\"b":null,"x":"y"}""", """{"a\"b":null,"a\"":"q"}"""],
            [("""{"😀":"y"}""", """{"😀":"""), ("""{"😀":1,"😀":"y"}""", """{"😀":1,"😀"""), ("""{"a\"b":"s"}""", """{"a\"b":"""),
             ("""{"x":"y","a\"b":null}""", """{"x":"y","a\"b""")]);
    }
}
