using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald search --source / --where</c> through the real CLI: a .jsonl document's own columns are kept as its rows'
/// fields (in records.jsonl and in every hit), and only rows passing the filter come back, in every mode; range
/// conditions (<c>year&gt;=2024</c>, <c>tenant!=oslo</c>) keep the rows whose values compare.
/// </summary>
public sealed class IndexFilterCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    private sealed record Row(string text, string tenant, int year, bool open);

    private static readonly Row[] Rows =
    [
        new("Sykkelen kan parkeres bak bygget, ved inngang B.", "oslo", 2024, true),
        new("Sykler kan låses fast i stativet ved hovedinngangen.", "bergen", 2024, false),
        new("Kantinen serverer varm lunsj hver dag fra klokka elleve.", "oslo", 2023, true),
        new("Ferie søkes i personalportalen innen første mars.", "bergen", 2023, true),
    ];

    private static (string Docs, string Index) Build()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllLines(Path.Combine(docs, "notes.jsonl"), Rows.Select(r => JsonSerializer.Serialize(r)));
        File.WriteAllText(Path.Combine(docs, "sykkel.txt"), "Sykkelen kan stå i kjelleren over natta.\n");
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "--language", "nb", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (docs, index);
    }

    private static JsonElement[] Search(string index, string mode, params string[] filter)
    {
        var r = InProcessSkald.Capture(["search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", mode, "--top-k", "10", "--format", "json", .. filter]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return [.. JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray()];
    }

    [Theory]
    [InlineData("dense")]
    [InlineData("bm25")]
    [InlineData("hybrid")]
    public void OnlyRowsPassingTheFilterComeBack(string mode)
    {
        var (_, index) = Build();
        var all = Search(index, mode);
        Assert.Contains(all, h => h.GetProperty("source").GetString()!.EndsWith("sykkel.txt", StringComparison.Ordinal) || h.GetProperty("fields").GetProperty("tenant").GetString() != "oslo");
        var oslo = Search(index, mode, "--where", "tenant=oslo");
        Assert.NotEmpty(oslo);
        Assert.All(oslo, h => Assert.Equal("oslo", h.GetProperty("fields").GetProperty("tenant").GetString()));
        // the same field twice: either value; another field: both hold; numbers and booleans as written
        var either = Search(index, mode, "--where", "tenant=oslo", "--where", "tenant=bergen", "--where", "year=2024", "--where", "open=true");
        Assert.All(either, h => Assert.Equal(("2024", "true"), (h.GetProperty("fields").GetProperty("year").GetString(), h.GetProperty("fields").GetProperty("open").GetString())));
        var text = Search(index, mode, "--source", "*.txt");
        Assert.All(text, h => Assert.EndsWith("sykkel.txt", h.GetProperty("source").GetString()));
        Assert.All(text, h => Assert.False(h.TryGetProperty("fields", out _)));
        Assert.Empty(Search(index, mode, "--source", "*.txt", "--where", "tenant=oslo"));
    }

    [Theory]
    [InlineData("dense")]
    [InlineData("bm25")]
    public void RangeConditionsKeepTheRowsWhoseFieldsCompare(string mode)
    {
        var (_, index) = Build();
        // the .jsonl rows each condition keeps, by their values (documents notes.jsonl:LINE); sykkel.txt has no fields
        string[] Expected(Func<Row, bool> keep) => [.. Rows.Select((r, i) => (r, i)).Where(x => keep(x.r)).Select(x => $"notes.jsonl:{x.i + 1}")];
        string[] Documents(params string[] filter) =>
            [.. Search(index, mode, filter).Select(h => h.GetProperty("document").GetString()!).Distinct().Order(StringComparer.Ordinal)];
        var cases = new (string[] Filter, Func<Row, bool> Keep)[]
        {
            (["--where", "year>=2024"], r => r.year >= 2024),
            (["--where", "year<2024", "--where", "tenant!=oslo"], r => r.year < 2024 && r.tenant != "oslo"),
            (["--where", "year>2023.5", "--where", "year<=2024"], r => r.year > 2023.5 && r.year <= 2024),
            (["--where", "tenant>c"], r => string.CompareOrdinal(r.tenant, "c") > 0),
            (["--where", "tenant=bergen", "--where", "year!=2024"], r => r.tenant == "bergen" && r.year != 2024),
            (["--where", "year>2030"], r => false),
            (["--where", "year >= 2024"], r => r.year >= 2024), // spaces around the operator are not part of the field or value
            (["--where", "year< 2024", "--where", "tenant = oslo"], r => r.year < 2024 && r.tenant == "oslo"),
        };
        foreach (var (filter, keep) in cases)
        {
            if (mode == "bm25") // BM25 returns only rows sharing a word with the query: every hit passes
                Assert.All(Documents(filter), d => Assert.Contains(d, Expected(keep)));
            else Assert.Equal(Expected(keep), Documents(filter)); // dense: every passing row
        }
    }

    [Fact]
    public void AConditionWithoutAValueIsAUsageError()
    {
        var (_, index) = Build();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", index, "--query", "sykkel", "--where", "tenant"), 2, "--where tenant", "FIELD=VALUE");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", index, "--query", "sykkel", "--source", ""), 2, "--source");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", index, "--query", "sykkel", "--where", "year>"), 2, "--where year>", "needs a value");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", index, "--query", "sykkel", "--where", ">=2020"), 2, "--where >=2020", "FIELD>VALUE");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", index, "--query", "sykkel", "--where", " >= 2020"), 2, "--where  >= 2020", "FIELD>VALUE");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", index, "--query", "sykkel", "--where", "year>NaN"), 2, "--where year>NaN", "NaN");
    }
}
