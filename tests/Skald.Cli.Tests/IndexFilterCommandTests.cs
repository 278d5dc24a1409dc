using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald search --source / --where</c> through the real CLI: a .jsonl document's own columns are kept as its rows'
/// fields (in records.jsonl and in every hit), and only rows passing the filter come back, in every mode.
/// </summary>
public sealed class IndexFilterCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    private static (string Docs, string Index) Build()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        var rows = new[]
        {
            new { text = "Sykkelen kan parkeres bak bygget, ved inngang B.", tenant = "oslo", year = 2024, open = true },
            new { text = "Sykler kan låses fast i stativet ved hovedinngangen.", tenant = "bergen", year = 2024, open = false },
            new { text = "Kantinen serverer varm lunsj hver dag fra klokka elleve.", tenant = "oslo", year = 2023, open = true },
            new { text = "Ferie søkes i personalportalen innen første mars.", tenant = "bergen", year = 2023, open = true },
        };
        File.WriteAllLines(Path.Combine(docs, "notes.jsonl"), rows.Select(r => JsonSerializer.Serialize(r)));
        File.WriteAllText(Path.Combine(docs, "sykkel.txt"), "Sykkelen kan stå i kjelleren over natta.\n");
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", Model, "--documents", docs, "--output", index, "--language", "nb", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (docs, index);
    }

    private static JsonElement[] Search(string index, string mode, params string[] filter)
    {
        var r = SkaldProcess.Run(["search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", mode, "--top-k", "10", "--format", "json", .. filter]);
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

    [Fact]
    public void AConditionWithoutAValueIsAUsageError()
    {
        var (_, index) = Build();
        SkaldProcess.AssertUserError(SkaldProcess.Run("search", "--index", index, "--query", "sykkel", "--where", "tenant"), 2, "--where tenant", "FIELD=VALUE");
        SkaldProcess.AssertUserError(SkaldProcess.Run("search", "--index", index, "--query", "sykkel", "--source", ""), 2, "--source");
    }
}
