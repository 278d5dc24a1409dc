namespace Skald.Models.Tests.Generation;

/// <summary>
/// String <c>format</c>s in <see cref="Skald.Models.Generation.JsonSchemaAutomaton"/> (<see cref="Skald.Models.Generation.JsonFormatReader"/>):
/// sets of dates (leap years, month lengths, month 00 and 13), times (hours, minutes and seconds at and past their
/// limits, fractions, offsets), date-times, uuids and ipv4 addresses are each taken exactly when
/// <see cref="Skald.Tests.SchemaFormats"/> (regular expressions and the calendar) finds them of the format.
/// </summary>
public sealed class JsonSchemaFormatTests
{
    private static string Schema(string format) =>
        $$$"""{"type": "object", "properties": {"v": {"type": "string", "format": "{{{format}}}"}}, "required": ["v"]}""";

    private static IEnumerable<string> Documents(IEnumerable<string> values) => values.Select(v => $"{{\"v\":\"{v}\"}}");

    private static readonly string[] Years = ["0000", "1900", "2000", "2023", "2024", "9999"];

    private static IEnumerable<string> Dates() =>
        from y in Years from m in Enumerable.Range(0, 14) from d in Enumerable.Range(0, 33) select $"{y}-{m:00}-{d:00}";

    private static IEnumerable<string> Times()
    {
        string[] offsets = ["Z", "z", "+01:00", "-23:59", "+24:00", "+01:60", "+1:00", "", "Q"];
        string[] fractions = ["", ".5", ".123456789", ".1234567890", "."];
        foreach (int h in new[] { 0, 9, 19, 23, 24, 29, 30 })
        {
            foreach (var (m, s) in new[] { (0, 0), (59, 59), (60, 0), (0, 60), (5, 9) })
            {
                foreach (string f in fractions)
                {
                    foreach (string o in offsets) yield return $"{h:00}:{m:00}:{s:00}{f}{o}";
                }
            }
        }
        yield return "1:00:00Z";
        yield return "12:00Z";
    }

    [Fact]
    public void DatesAreTakenExactlyWhenTheCalendarHasThem() => JsonSchemaExhaustive.Agree(Schema("date"), Documents(Dates().Append("2024-1-01").Append("2024-01-01T")));

    [Fact]
    public void TimesAreTakenExactlyWhenValid() => JsonSchemaExhaustive.Agree(Schema("time"), Documents(Times()));

    [Fact]
    public void DateTimesJoinADateAndATime()
    {
        var dates = new[] { "2024-02-29", "2023-02-29", "2023-12-31", "2023-04-31" };
        var times = Times().Where((_, i) => i % 7 == 0).ToArray();
        var joined = from d in dates from sep in new[] { "T", "t", " ", "" } from t in times select d + sep + t;
        JsonSchemaExhaustive.Agree(Schema("date-time"), Documents(joined));
    }

    [Fact]
    public void UuidsAreHexGroupsOfEightFourFourFourTwelve() =>
        JsonSchemaExhaustive.Agree(Schema("uuid"), Documents(
        [
            "123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000", "00000000-0000-0000-0000-000000000000",
            "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000", "123e4567e89b-12d3-a456-426614174000",
            "123e4567-e89b-12d3-a456_426614174000", "g23e4567-e89b-12d3-a456-426614174000", "{123e4567-e89b-12d3-a456-426614174000}", "",
        ]));

    [Fact]
    public void Ipv4AddressesAreFourNumbersUpTo255WithoutLeadingZeros()
    {
        string[] parts = ["0", "00", "01", "1", "9", "10", "99", "100", "199", "200", "249", "250", "255", "256", "300", "999", "1000", ""];
        var addresses = from a in parts from b in new[] { "0", "255", "01" } select $"{a}.{b}.1.{a}";
        JsonSchemaExhaustive.Agree(Schema("ipv4"), Documents(addresses.Concat(["1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4."])));
    }

    [Fact]
    public void AnotherFormatIsAnAnnotation() =>
        JsonSchemaAutomatonTests.AssertTakes(Schema("email"), """{"v":"not an address"}""");

    [Fact]
    public void AnEnumBesideAFormatKeepsOnlyTheStringsOfTheFormat()
    {
        // format holds any value that is not a string; of the strings only the dates are written
        const string schema = """{"type": "object", "properties": {"v": {"format": "date", "enum": ["2024-02-29", "2023-02-29", "x", 1, null]}}, "required": ["v"]}""";
        JsonSchemaExhaustive.Agree(schema, Documents(["2024-02-29", "2023-02-29", "x", "2024-02-28"]).Concat(["""{"v":1}""", """{"v":null}""", """{"v":2}"""]));
    }
}
