namespace Skald.Models.Tests.Generation;

/// <summary>
/// Bounds and <c>multipleOf</c> on numbers and integers in <see cref="Skald.Models.Generation.JsonSchemaAutomaton"/>:
/// every text of up to five characters of <c>-0125.9e</c> as a property's value is taken exactly when it validates (and,
/// has no exponent and, on an integer, no point: the one form the constraint writes), on bounds with fractions, exclusive
/// ones, an exponent in the bound, steps of a fraction and of a whole number, fractional steps on an integer and steps finer
/// than 10^-16 on a number (their least common multiple with the unit); and a digit no value in range begins
/// with is refused where it comes.
/// </summary>
public sealed class JsonSchemaNumberBoundsTests
{
    public static TheoryData<string> Bounds() =>
    [
        """{"type": "number", "minimum": -1.5, "exclusiveMaximum": 2.25}""",
        """{"type": "number", "exclusiveMinimum": 0.1, "maximum": 1e1}""",
        """{"type": "number", "minimum": 0.125, "maximum": 0.125}""",
        """{"type": "number", "multipleOf": 0.25}""",
        """{"type": "number", "multipleOf": 0.5, "minimum": -2, "maximum": 9.5}""",
        """{"type": "number", "exclusiveMinimum": -0.05, "exclusiveMaximum": 0.0501}""",
        """{"type": "number", "maximum": -12.5e-1}""",
        """{"type": "integer", "multipleOf": 3, "minimum": -10, "maximum": 95}""",
        """{"type": "integer", "multipleOf": 25}""",
        """{"type": "integer", "multipleOf": 1e1, "exclusiveMinimum": -0.5}""",
        """{"type": ["integer", "number"], "minimum": 1.5, "maximum": 20}""",
        // a step that is no whole number of units: the values written are the multiples of the least common multiple
        """{"type": "integer", "multipleOf": 1.5, "maximum": 10}""",
        """{"type": "number", "multipleOf": 1e-17, "maximum": 1}""",
        """{"type": "number", "multipleOf": 0.75e-16, "minimum": -0.5}""",
    ];

    [Theory]
    [MemberData(nameof(Bounds))]
    public void EveryShortNumberIsTakenExactlyWhenItValidates(string bounds)
    {
        string schema = $$"""{"type": "object", "properties": {"n": {{bounds}}}, "required": ["n"]}""";
        bool integer = bounds.StartsWith("{\"type\": \"integer\"", StringComparison.Ordinal); // written without a point
        JsonSchemaExhaustive.Agree(schema, JsonSchemaExhaustive.Strings("-0125.9e", 5).Select(n => $"{{\"n\":{n}}}"),
            d => !d.Contains('e', StringComparison.Ordinal) && !(integer && d.Contains('.', StringComparison.Ordinal)));
    }

    [Fact]
    public void ADigitNoValueInRangeBeginsWithIsRefusedWhereItComes()
    {
        const string schema = """
            {"type": "object", "properties": {"p": {"type": "number", "minimum": 0.5, "maximum": 0.75},
              "q": {"type": "number", "multipleOf": 0.01, "exclusiveMinimum": 0, "maximum": 1}}, "required": ["p", "q"]}
            """;
        JsonSchemaExtraKeysTests.Check(schema,
            ["""{"p":0.5,"q":0.01}""", """{"p":0.7499999999999999,"q":1.00}""", """{"p":0.75000,"q":0.99}"""],
            [("""{"p":1,"q":1}""", """{"p":"""), ("""{"p":0.4,"q":1}""", """{"p":0."""), ("""{"p":0.76,"q":1}""", """{"p":0.7"""),
             ("""{"p":0.5e0,"q":1}""", """{"p":0.5"""), ("""{"p":0.6,"q":0.001}""", """{"p":0.6,"q":0.0"""), // 0.00… is 0 at most
             ("""{"p":0.6,"q":0,"r":1}""", """{"p":0.6,"q":0"""), ("""{"p":0.6,"q":1.01}""", """{"p":0.6,"q":1.0"""),
             ("""{"p":0.6,"q":-1}""", """{"p":0.6,"q":""")]);
    }

    [Fact]
    public void SixteenDigitsAfterThePointAreComparedExactly()
    {
        // 0.1 + 2^-60 is not 0.1 in a double; here the bound is read as written
        const string schema = """{"type": "object", "properties": {"x": {"type": "number", "exclusiveMinimum": 0.1000000000000001, "maximum": 0.1000000000000003}}, "required": ["x"]}""";
        JsonSchemaExtraKeysTests.Check(schema,
            ["""{"x":0.1000000000000002}""", """{"x":0.1000000000000003}"""],
            [("""{"x":0.1000000000000001}""", """{"x":0.100000000000000"""), ("""{"x":0.1000000000000004}""", """{"x":0.100000000000000""")]);
    }

    [Theory]
    [InlineData("1", 230, "e-220")]   // 10^10 in 231 digits and a large negative exponent: not below one unit
    [InlineData("0.", 1800, "1e2000")] // 10^-1801 times 10^2000: an exponent past a thousand is not cut before the digits count
    public void ABoundIsReadByItsSizeNotByItsExponentAlone(string head, int zeros, string tail)
    {
        string maximum = head + new string('0', zeros) + tail;
        string schema = $$$"""{"type": "object", "properties": {"n": {"type": "number", "maximum": {{{maximum}}}}}, "required": ["n"]}""";
        JsonSchemaExhaustive.Agree(schema, ["""{"n":5}""", """{"n":-5.5}""", """{"n":9999999999999999}""", """{"n":"5"}"""]);
    }
}
