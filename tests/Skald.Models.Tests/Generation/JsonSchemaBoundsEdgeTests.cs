using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// The edges of integer bounds in <see cref="JsonSchemaAutomaton"/>: negative ranges, ranges crossing zero, -0, leading
/// zeros, fractional and 16-digit bounds. Each candidate text is taken whole exactly when it is a JSON integer of at
/// most 16 digits whose value meets the bounds as written (compared as decimals here, not through the compiler's
/// rounding); and bounds that leave no integer are refused when compiled.
/// </summary>
public sealed partial class JsonSchemaBoundsEdgeTests
{
    [GeneratedRegex("^-?(0|[1-9][0-9]{0,15})$")]
    private static partial Regex JsonInteger();

    private static readonly string[] Edges =
    [
        "-0", "00", "01", "-01", "-00", "0", "-", "1.0", "1e2",
        "9999999999999999", "-9999999999999999", "9999999999999990", "-9999999999999990", "9999999999999989", "-9999999999999995",
        "-9999999999999996", "10000000000000000", "-10000000000000000", "1000000000000000", "-1000000000000000",
    ];

    [Theory]
    [InlineData("\"minimum\": -1000, \"maximum\": -990")]
    [InlineData("\"minimum\": -7, \"maximum\": 12")]
    [InlineData("\"exclusiveMinimum\": -1, \"exclusiveMaximum\": 1")]
    [InlineData("\"minimum\": 0, \"maximum\": 0")]
    [InlineData("\"minimum\": -0.5, \"maximum\": 0.5")]
    [InlineData("\"exclusiveMinimum\": -10.5, \"exclusiveMaximum\": -2.5")]
    [InlineData("\"exclusiveMinimum\": 5.5, \"exclusiveMaximum\": 8.2")]
    [InlineData("\"maximum\": -1")]
    [InlineData("\"minimum\": 1")]
    [InlineData("\"minimum\": 9999999999999990")]
    [InlineData("\"maximum\": -9999999999999995")]
    [InlineData("\"minimum\": -9999999999999999, \"maximum\": 9999999999999999")]
    [InlineData("\"exclusiveMinimum\": -10000000000000000, \"exclusiveMaximum\": 10000000000000000")]
    [InlineData("\"minimum\": 100, \"maximum\": 1000")]
    public void ExactlyTheIntegersWithinTheBoundsAreTaken(string bounds)
    {
        string schema = "{\"type\": \"object\", \"properties\": {\"v\": {\"type\": \"integer\", " + bounds + "}}, \"required\": [\"v\"]}";
        using var parsed = JsonDocument.Parse(schema);
        var v = parsed.RootElement.GetProperty("properties").GetProperty("v");
        var grammar = JsonSchemaGrammar.Compile(parsed.RootElement);
        var candidates = Enumerable.Range(-1100, 2201).Select(i => i.ToString(CultureInfo.InvariantCulture)).Concat(Edges);
        foreach (string candidate in candidates)
        {
            bool expected = JsonInteger().IsMatch(candidate) && Meets(v, decimal.Parse(candidate, CultureInfo.InvariantCulture));
            var state = grammar.Start();
            bool taken = state.Advance(Encoding.UTF8.GetBytes($$"""{"v":{{candidate}}}""")) && state.Complete;
            Assert.True(expected == taken, $"{candidate} under {bounds}: {(taken ? "taken" : "refused")}");
        }
    }

    private static bool Meets(JsonElement s, decimal value) =>
        (!s.TryGetProperty("minimum", out var a) || value >= a.GetDecimal()) && (!s.TryGetProperty("maximum", out var b) || value <= b.GetDecimal())
        && (!s.TryGetProperty("exclusiveMinimum", out var c) || value > c.GetDecimal()) && (!s.TryGetProperty("exclusiveMaximum", out var d) || value < d.GetDecimal());

    [Theory]
    [InlineData("\"exclusiveMinimum\": 5, \"exclusiveMaximum\": 5")]
    [InlineData("\"exclusiveMinimum\": 5, \"exclusiveMaximum\": 6")]
    [InlineData("\"minimum\": 3, \"maximum\": 2")]
    [InlineData("\"minimum\": 1.2, \"maximum\": 1.8")]
    [InlineData("\"minimum\": -1, \"exclusiveMaximum\": -1")]
    [InlineData("\"minimum\": 10000000000000000")]
    public void BoundsThatLeaveNoIntegerAreRefusedNamingTheirPointer(string bounds)
    {
        string schema = "{\"type\": \"object\", \"properties\": {\"v\": {\"type\": \"integer\", " + bounds + "}}}";
        var e = Assert.Throws<JsonSchemaException>(() => JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement));
        Assert.StartsWith("/properties/v/", e.Pointer, StringComparison.Ordinal);
        Assert.Contains("leaves no integer", e.Message, StringComparison.Ordinal);
    }
}
