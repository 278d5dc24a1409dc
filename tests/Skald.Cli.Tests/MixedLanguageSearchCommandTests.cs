using System.Globalization;
using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build --language auto</c> over a folder of Norwegian, Danish and Swedish documents: each record keeps
/// its document's language and BM25 stems it so; <c>skald search</c>'s hybrid table shows the fused score in [0, 1]
/// under a header that names it, its JSON the raw score, the scaled one and the fusion.
/// </summary>
public sealed class MixedLanguageSearchCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    private static string Build(out string docs)
    {
        docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "parkering.md"),
            "# Parkering\n\nBilene står ute i vinter. Jeg vet ikke hvor mange det er, men det er også noen i garasjen. Hvis du skal parkere, må du være tidlig ute.\n");
        File.WriteAllText(Path.Combine(docs, "regninger.html"),
            "<html><body><h1>Regninger</h1><p>Fakturaerne sendes i morgen. Jeg ved ikke hvad der sker, hvis nogen ikke betaler. Det er meget vigtigt, og mig bekendt bliver alle regninger betalt.</p></body></html>");
        File.WriteAllText(Path.Combine(docs, "garage.txt"),
            "Bilarna står i garaget och det är inte många kvar. Jag vet inte vad som händer om någon kommer för sent till mötet.\n");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder, "--language", "auto");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("BM25 stemming: snowball per document", r.Stderr);
        return folder;
    }

    [Fact]
    public void EachDocumentIsStemmedInItsOwnLanguage()
    {
        string folder = Build(out _);
        var languages = File.ReadAllLines(Path.Combine(folder, "records.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .GroupBy(e => e.GetProperty("document").GetString()!) // a document's chunks all carry its language
            .ToDictionary(g => g.Key, g => g.Select(e => e.GetProperty("language").GetString()).Distinct().Single());
        Assert.Equal("nb", languages["parkering.md"]);
        Assert.Equal("da", languages["regninger.html"]);
        Assert.Equal("sv", languages["garage.txt"]);
        Assert.Equal("auto", JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement.GetProperty("language").GetString());
        // "bilen": Swedish "bilarna" is "bil" by the Swedish stemmer, Norwegian "bilene" by the Norwegian one
        Assert.Equal(["garage.txt", "parkering.md"], Documents(Search(folder, "bilen", "bm25")));
        Assert.Equal(["regninger.html"], Documents(Search(folder, "fakturaer", "bm25"))); // Danish "fakturaerne" by the Danish stemmer
    }

    [Fact]
    public void HybridTablesShowTheFusedScoreInZeroToOneAndJsonKeepsTheRawOne()
    {
        string folder = Build(out _);
        var table = InProcessSkald.Capture("search", "--index", folder, "--query", "Hvor står bilene?", "--top-k", "3");
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("(hybrid: convex alpha=0.3 zscore over top 100)", table.Stdout);
        Assert.Contains("| fused (0-1) |", table.Stdout);
        var shown = table.Stdout.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && char.IsDigit(l[2]))
            .Select(l => double.Parse(l.Split('|')[2], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, shown.Length);
        Assert.Equal(1.0, shown[0]);
        Assert.All(shown, s => Assert.InRange(s, 0, 1));
        Assert.Equal(shown.OrderDescending(), shown);

        var json = Search(folder, "Hvor står bilene?", "hybrid", "--fusion", "rrf");
        Assert.Equal("rrf k=60 over top 100", json.GetProperty("fusion").GetString());
        foreach (var hit in json.GetProperty("results").EnumerateArray())
            Assert.Equal(hit.GetProperty("score").GetDouble() * 61 / 2, hit.GetProperty("scaled_score").GetDouble(), 5);
        var rrfTable = InProcessSkald.Capture("search", "--index", folder, "--query", "Hvor står bilene?", "--fusion", "rrf");
        Assert.Contains("| rrf (0-1) |", rrfTable.Stdout);
        Assert.Contains("| bm25 |", InProcessSkald.Capture("search", "--index", folder, "--query", "bilene", "--mode", "bm25").Stdout);
    }

    [Theory]
    [InlineData("--mode bm25 --fusion rrf", "--fusion applies to --mode hybrid; this search is --mode bm25")]
    [InlineData("--mode dense --alpha 0.5", "--alpha applies to --mode hybrid; this search is --mode dense")]
    [InlineData("--fusion rrf --alpha 0.5", "--alpha weighs the dense side of --fusion convex; --fusion rrf has no weight")]
    public void FusionSettingsOfASearchThatDoesNotUseThemAreRefused(string options, string message)
    {
        // refused before the index is opened: no index needed
        var r = InProcessSkald.Capture(["search", "--index", TestPaths.NewTempDir(), "--query", "bilene", .. options.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    private static JsonElement Search(string folder, string query, string mode, params string[] more)
    {
        var r = InProcessSkald.Capture(["search", "--index", folder, "--query", query, "--mode", mode, "--format", "json", .. more]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    private static string[] Documents(JsonElement search) =>
        [.. search.GetProperty("results").EnumerateArray().Select(h => h.GetProperty("document").GetString()!).Distinct().Order(StringComparer.Ordinal)];
}
