namespace Skald.Models.Tests.Generation;

/// <summary>
/// Integers with <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c> and <c>exclusiveMaximum</c> in
/// <see cref="Skald.Models.Generation.JsonSchemaAutomaton"/>: every integer in range is taken (each prefix too), and one
/// out of range is refused at the first digit no integer in range begins with, or where it would end out of range
/// (given by hand as the prefix still taken).
/// </summary>
public sealed class JsonSchemaBoundsTests
{
    private static void Check(string schema, string[] valid, (string Document, string Taken)[] invalid) =>
        JsonSchemaExtraKeysTests.Check(schema, valid, invalid);

    [Fact]
    public void AnIntegerBetweenBoundsTakesExactlyTheIntegersInRange()
    {
        const string schema = """{"type": "object", "properties": {"age": {"type": "integer", "minimum": 18, "maximum": 120}}, "required": ["age"]}""";
        Check(schema,
            ["""{"age":18}""", """{"age":19}""", """{"age":99}""", """{"age":100}""", """{"age":120}""", """{"age": 42 }"""],
            [("""{"age":17}""", """{"age":1"""), ("""{"age":121}""", """{"age":12"""), ("""{"age":5}""", """{"age":5"""), ("""{"age":0}""", """{"age":"""),
             ("""{"age":-1}""", """{"age":"""), ("""{"age":1000}""", """{"age":100"""), ("""{"age":18.0}""", """{"age":18"""), ("""{"age":130}""", """{"age":1""")]);
    }

    [Fact]
    public void ExclusiveBoundsAndNegativeIntegers()
    {
        const string schema = """
            {"type": "object", "properties": {"t": {"type": "integer", "exclusiveMinimum": -5, "exclusiveMaximum": 0}, "n": {"type": ["integer", "null"], "minimum": -3},
              "h": {"type": "integer", "exclusiveMaximum": -99.5}}, "required": ["t"]}
            """;
        Check(schema,
            ["""{"t":-4}""", """{"t":-1}""", """{"t":-2,"n":-3}""", """{"t":-2,"n":-0}""", """{"t":-2,"n":12345678901}""", """{"t":-2,"n":null}""",
             """{"t":-2,"h":-100}""", """{"t":-2,"h":-1000000}"""],
            [("""{"t":0}""", """{"t":"""), ("""{"t":-5}""", """{"t":-"""), ("""{"t":-0}""", """{"t":-"""), ("""{"t":3}""", """{"t":"""),
             ("""{"t":-1,"n":-4}""", """{"t":-1,"n":-"""), ("""{"t":-1,"n":-30}""", """{"t":-1,"n":-3"""),
             ("""{"t":-1,"h":-99}""", """{"t":-1,"h":-99"""), ("""{"t":-1,"h":5}""", """{"t":-1,"h":""")]);
    }
}
