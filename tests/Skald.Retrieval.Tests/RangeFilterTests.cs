using System.Globalization;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Range conditions on fields (<see cref="FieldComparison"/>: <c>--where year&gt;=2020</c>, <c>"where": {"year": {"gte":
/// 2020}}</c>): numbers compare as numbers, ISO dates as dates, other values as text by ordinal order, a missing field or
/// one of another kind never passes, and <c>!=</c> is the opposite of an exact match on a present field. Expected rows
/// come from the values the rows were made from, not from their text.
/// </summary>
public sealed class RangeFilterTests
{
    private static readonly string[] Tenants = ["oslo", "bergen", "trondheim", "ålesund", "Bodø"];

    // What a row's fields were made from: year (null: missing, NaN: "n/a"), date and tenant (null: missing).
    private sealed record Made(double? Year, DateTimeOffset Date, string? Tenant);

    private static Made MadeOf(int d) => new(
        d % 17 == 0 ? null : d % 13 == 0 ? double.NaN : 2015 + d % 12 + (d % 5 == 0 ? 0.5 : 0),
        new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(d * 3).AddHours(d % 3 == 0 ? 0 : 9.5),
        d % 11 == 0 ? null : Tenants[d % Tenants.Length]);

    // Dates written three ways: a plain day, a UTC time, the same instant at +02:00.
    private static string DateText(int d, DateTimeOffset t) => d % 3 == 0 ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
        : d % 3 == 1 ? t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)
        : t.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);

    private static (SearchIndex Index, Dictionary<string, Made> Made, float[][] Queries) Build(HnswOptions? hnsw = null)
    {
        var (model, records, queries) = IvfIndexTests.Corpus(600);
        var made = new Dictionary<string, Made>();
        var withFields = records.Select(r =>
        {
            int d = int.Parse(r.Document[3..], CultureInfo.InvariantCulture);
            var m = made[r.Id] = MadeOf(d);
            var fields = new Dictionary<string, string> { ["date"] = DateText(d, m.Date) };
            if (m.Year is double y) fields["year"] = double.IsNaN(y) ? "n/a" : y.ToString(CultureInfo.InvariantCulture);
            if (m.Tenant is not null) fields["tenant"] = m.Tenant;
            return r with { Fields = fields };
        }).ToList();
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-range").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, withFields, new Bm25Options(), "nb", 0, 0, hnsw: hnsw);
        return (SearchIndex.Open(folder), made, queries);
    }

    private static IndexFilter Where(params FieldComparison[] comparisons) => new(comparisons: comparisons);

    private static FieldComparison C(string field, ComparisonOperator op, string value) => new(field, op, value);

    public static TheoryData<string> Cases() => ["year-range", "year-decimal", "year-ne", "date-after", "date-offset", "tenant-text", "tenant-ne", "with-exact"];

    private static (IndexFilter Filter, Func<Made, bool> Expected) Case(string name)
    {
        static bool Year(Made m, Func<double, bool> test) => m.Year is double y && !double.IsNaN(y) && test(y);
        var june = new DateTimeOffset(2023, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var septemberNoonPlus2 = new DateTimeOffset(2023, 9, 15, 12, 0, 0, TimeSpan.FromHours(2));
        return name switch
        {
            "year-range" => (Where(C("year", ComparisonOperator.GreaterOrEqual, "2020"), C("year", ComparisonOperator.Less, "2024")), m => Year(m, y => y >= 2020 && y < 2024)),
            "year-decimal" => (Where(C("year", ComparisonOperator.Greater, "2019.5")), m => Year(m, y => y > 2019.5)),
            "year-ne" => (Where(C("year", ComparisonOperator.NotEqual, "2020")), m => m.Year is not null && m.Year != 2020), // "n/a" is not "2020"
            "date-after" => (Where(C("date", ComparisonOperator.Greater, "2023-06-01")), m => m.Date > june),
            "date-offset" => (Where(C("date", ComparisonOperator.LessOrEqual, "2023-09-15T12:00:00+02:00"), C("date", ComparisonOperator.GreaterOrEqual, "2023-03-01")),
                m => m.Date <= septemberNoonPlus2 && m.Date >= new DateTimeOffset(2023, 3, 1, 0, 0, 0, TimeSpan.Zero)),
            "tenant-text" => (Where(C("tenant", ComparisonOperator.Greater, "oslo")), m => m.Tenant is "trondheim" or "ålesund"), // 'B' < 'b' < 'o' < 't' < 'å'
            "tenant-ne" => (Where(C("tenant", ComparisonOperator.NotEqual, "oslo")), m => m.Tenant is not null and not "oslo"),
            _ => (new IndexFilter(fields: [new("tenant", ["bergen", "Bodø"])], comparisons: [C("year", ComparisonOperator.LessOrEqual, "2019")]),
                m => m.Tenant is "bergen" or "Bodø" && Year(m, y => y <= 2019)),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DenseBm25AndHybridReturnExactlyThePassingRows(string name)
    {
        var (index, made, queries) = Build();
        using (index)
        {
            var (filter, expected) = Case(name);
            var passing = index.Records.Where(r => expected(made[r.Id])).Select(r => r.Id).ToHashSet();
            Assert.InRange(passing.Count, 20, index.Records.Count - 20); // the case leaves rows out and lets rows in
            var dense = index.Search("x", queries[0], SearchMode.Dense, index.Records.Count, filter: filter);
            Assert.Equal(passing.Order(), dense.Select(h => h.Record.Id).Order());
            // the best 10 passing rows by their stored vectors, ties to the earlier row
            float norm = MathF.Sqrt(queries[1].Sum(x => x * x));
            var best = Enumerable.Range(0, index.Records.Count).Where(r => passing.Contains(index.Records[r].Id))
                .Select(r => (Row: r, Score: index.Vector(r).ToArray().Zip(queries[1], (a, b) => (double)a * b / norm).Sum()))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(10).Select(x => index.Records[x.Row].Id);
            Assert.Equal(best, index.Search("x", queries[1], SearchMode.Dense, 10, filter: filter).Select(h => h.Record.Id));
            var bm25 = index.Search("tekst emne 3", null, SearchMode.Bm25, index.Records.Count, filter: filter);
            Assert.NotEmpty(bm25);
            Assert.All(bm25, h => Assert.Contains(h.Record.Id, passing));
            Assert.All(index.Search("tekst emne 3", queries[2], SearchMode.Hybrid, 25, filter: filter), h => Assert.Contains(h.Record.Id, passing));
        }
    }

    [Fact]
    public void AGraphIndexAsksForMoreAndStillReturnsOnlyPassingRows()
    {
        var (index, made, queries) = Build(new HnswOptions { M = 8, EfConstruction = 60, EfSearch = 200 });
        using (index)
        {
            var (filter, expected) = Case("year-ne"); // most rows pass: the graph's own search, asked for more
            foreach (var q in queries.Take(4))
            {
                var hits = index.Search("x", q, SearchMode.Dense, 10, filter: filter);
                Assert.Equal(10, hits.Count);
                Assert.All(hits, h => Assert.True(expected(made[h.Record.Id]), h.Record.Id));
            }
        }
    }

    [Fact]
    public void TheValueGivenDecidesHowRowsCompare()
    {
        static bool Holds(string row, ComparisonOperator op, string value) => new FieldComparison("f", op, value).Holds(row);
        Assert.True(Holds("10", ComparisonOperator.Greater, "9")); // as numbers (as text "10" < "9")
        Assert.True(Holds("1e3", ComparisonOperator.Greater, "999.5"));
        Assert.True(Holds("-2", ComparisonOperator.Less, "-1.5"));
        Assert.False(Holds("n/a", ComparisonOperator.Greater, "9")); // not a number: never passes a number
        Assert.False(Holds("n/a", ComparisonOperator.Less, "9"));
        Assert.False(Holds("NaN", ComparisonOperator.Less, "9"));
        Assert.False(Holds("1,5", ComparisonOperator.Less, "9")); // invariant culture: a comma is no decimal point
        Assert.True(Holds("2024-03-01T00:30:00+01:00", ComparisonOperator.Less, "2024-03-01")); // 23:30 UTC the day before
        Assert.True(Holds("2024-03-01", ComparisonOperator.LessOrEqual, "2024-03-01T00:00:00Z"));
        Assert.False(Holds("2024", ComparisonOperator.Less, "2024-03-01")); // a year alone is no date
        Assert.True(Holds("b", ComparisonOperator.Greater, "B")); // text by ordinal order, the case as written
        Assert.True(Holds("å", ComparisonOperator.Greater, "z"));
        Assert.True(Holds("2024.0", ComparisonOperator.NotEqual, "2024")); // != is the text, as = is
        Assert.False(Holds("2024", ComparisonOperator.NotEqual, "2024"));
        Assert.False(new FieldComparison("f", ComparisonOperator.NotEqual, "x").Holds(null)); // missing: never passes
        Assert.Equal(("number", "date", "text"), (C("f", ComparisonOperator.Less, "1.5").Kind, C("f", ComparisonOperator.Less, "2024-01-31").Kind, C("f", ComparisonOperator.Less, "abc").Kind));
        Assert.Equal("year>=2020", C("year", ComparisonOperator.GreaterOrEqual, "2020").ToString());
        Assert.Throws<ArgumentException>(() => C("", ComparisonOperator.Less, "1"));
        Assert.Throws<ArgumentException>(() => C("f", ComparisonOperator.Less, ""));
        Assert.Throws<ArgumentException>(() => C("f", ComparisonOperator.Less, new string('1', IndexFilter.MaxLength + 1)));
        Assert.True(new IndexFilter(comparisons: [C("f", ComparisonOperator.Less, "2")]).Matches(new IndexRecord("a", "d", "s", 0, 1, "", "t", new Dictionary<string, string> { ["f"] = "1" })));
        Assert.False(new IndexFilter(comparisons: [C("f", ComparisonOperator.Less, "2")]).Matches(new IndexRecord("a", "d", "s", 0, 1, "", "t")));
    }

    [Fact]
    public void InfinityAndNumbersBeyondDoublesRangeCompareAsNumbersAndNaNIsRefused()
    {
        static bool Holds(string row, ComparisonOperator op, string value) => new FieldComparison("f", op, value).Holds(row);
        Assert.True(Holds("1e400", ComparisonOperator.Greater, "1e300")); // beyond double's range, but still above 1e300
        Assert.False(Holds("1e400", ComparisonOperator.Less, "1e300"));
        Assert.True(Holds("-5", ComparisonOperator.Greater, "-Infinity"));
        Assert.False(Holds("n/a", ComparisonOperator.Greater, "-Infinity")); // a number given: text never passes (as text, 'n' > '-')
        Assert.True(Holds("5", ComparisonOperator.Less, "Infinity"));
        Assert.False(Holds("NaN", ComparisonOperator.Less, "Infinity")); // a row's NaN is no number
        Assert.Equal("number", C("f", ComparisonOperator.Less, "-Infinity").Kind);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => C("f", ComparisonOperator.Greater, "NaN")).Message);
        Assert.True(Holds("5", ComparisonOperator.NotEqual, "NaN")); // != compares text
    }

    [Fact]
    public void AnIndexReadsItsRowValuesOnceAndTheyCompareAsTheirTextDoes()
    {
        string[] texts = ["5", "-2.5", "1e400", "n/a", "2024-03-01", "2024-03-01T00:30:00+01:00", "2024-02-29", "soon", "NaN", "Infinity", "b", "2024", "0"];
        var records = texts.Select((t, i) => new IndexRecord($"r{i}", $"d{i}", "s", 0, 1, "", "t", new Dictionary<string, string> { ["f"] = t }))
            .Append(new IndexRecord("none", "none", "s", 0, 1, "", "t")).ToList(); // no fields at all
        var values = new FieldValues(records);
        Assert.Same(values.Numbers("f"), values.Numbers("f")); // read once, kept for the next search
        Assert.Same(values.Instants("f"), values.Instants("f"));
        Assert.Equal([5, -2.5, double.PositiveInfinity, double.NaN], values.Numbers("f")[..4]);
        foreach (var op in Enum.GetValues<ComparisonOperator>())
        {
            foreach (string value in new[] { "0", "-Infinity", "1e300", "2024-03-01", "2024-03-01T00:00:00+02:00", "b" })
            {
                var filter = new IndexFilter(comparisons: [C("f", op, value)]);
                for (int r = 0; r < records.Count; r++)
                    Assert.True(filter.MatchesFields(records[r].Fields) == filter.MatchesFields(records[r].Fields, r, values), $"row {r} {op} {value}");
            }
        }
    }
}
