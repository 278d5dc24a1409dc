using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build</c> over a table longer than a chunk: the records of its later rows said nothing of what table
/// they were from; now each carries the table's lead-in in its title, after the heading, which the models and BM25 read
/// with the text (the lead-in that fits no chunk beside the first row: <c>TableChunkTests</c>), and its text starts with the
/// table's header row (<c>TableHeaderChunkTests</c>).
/// </summary>
public sealed class IndexTableCaptionTests
{
    [Fact]
    public void EveryRecordOfATablesRowsCarriesItsLeadInInItsTitle()
    {
        string docs = TestPaths.NewTempDir(), folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        File.WriteAllText(Path.Combine(docs, "lonn.md"), "# Overtid\n\nSatsene er:\n\n| Når | Tillegg |\n|---|---|\n"
            + "| Hverdager etter klokken sytten | 50 prosent |\n| Lørdager hele dagen og kvelden | 100 prosent |\n"
            + "| Søndager og alle helligdager i året | 150 prosent |\n");
        // 48 tokens of the fixture's tokenizer, the title's included: the lead-in, the header row and the first row, then one
        // row a chunk under the header repeated (TableHeaderChunkTests)
        var r = InProcessSkald.Capture("index", "build", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--documents", docs,
            "--output", folder, "--chunk-tokens", "48", "--overlap-tokens", "0", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var records = File.ReadAllLines(Path.Combine(folder, "records.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!)).ToList();
        Assert.Equal([("Overtid", "Satsene er:\nNår | Tillegg\nHverdager etter klokken sytten | 50 prosent"),
            ("Overtid \u2013 Satsene er:", "Når | Tillegg\nLørdager hele dagen og kvelden | 100 prosent"),
            ("Overtid \u2013 Satsene er:", "Når | Tillegg\nSøndager og alle helligdager i året | 150 prosent")], records);
    }
}
