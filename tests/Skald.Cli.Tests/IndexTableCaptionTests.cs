using System.Text.Json;
using Skald.Models;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build</c> over a table longer than a chunk: the records of its later rows said nothing of what table
/// they were from; now each carries the table's lead-in in its title, after the heading, which the models and BM25 read
/// with the text (the lead-in that fits no chunk beside the first row: <c>TableChunkTests</c>), and its text starts with the
/// table's header row (<c>TableHeaderChunkTests</c>). The title is embedded with the text, but chunks were sized by the
/// text alone: under a long heading every chunk of a section that filled the model ran over what it reads by the title's
/// tokens, and dense search never saw its last words; title and text together now fit (<c>TitleBudgetTests</c>).
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
        var records = TitlesAndTexts(folder);
        Assert.Equal([("Overtid", "Satsene er:\nNår | Tillegg\nHverdager etter klokken sytten | 50 prosent"),
            ("Overtid \u2013 Satsene er:", "Når | Tillegg\nLørdager hele dagen og kvelden | 100 prosent"),
            ("Overtid \u2013 Satsene er:", "Når | Tillegg\nSøndager og alle helligdager i året | 150 prosent")], records);
    }

    [Fact]
    public void EveryRecordsTitleAndTextFitWhatTheModelReads()
    {
        string docs = TestPaths.NewTempDir(), folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        File.WriteAllText(Path.Combine(docs, "handbok.md"), "# Rutiner for besøk, parkering og lunsj ved kontoret i Bergen\n\n"
            + "Denne håndboken beskriver rutinene for alle ansatte ved kontoret i Bergen, og den gjelder fra første januar. "
            + "Les den nøye før du begynner å jobbe hos oss, og spør lederen din om noe er uklart. Håndboken oppdateres hvert år av personalavdelingen. "
            + "Sykkelen kan parkeres i kjelleren under bygg A. Kantinen serverer varm lunsj hver dag klokken elleve. "
            + "Besøkende registrerer seg i resepsjonen og får et kort som leveres tilbake når de går.\n\n"
            + "Prisene i kantinen er:\n\n| Rett | Pris |\n|---|---|\n| Dagens varme rett med salat | 65 kroner |\n| Suppe med brød | 45 kroner |\n"
            + "| Påsmurt brødskive med pålegg | 30 kroner |\n| Kaffe eller te | 15 kroner |\n");
        string model = TestPaths.FixtureModel("bert-cased-mean"); // reads 64 tokens, "passage: " and [CLS]/[SEP] included
        var r = InProcessSkald.Capture("index", "build", "--model", model, "--documents", docs, "--output", folder, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var encoder = SentenceEncoder.Load(model);
        var records = TitlesAndTexts(folder);
        Assert.True(records.Count > 2);
        Assert.All(records, rec => Assert.True(encoder.Tokenizer.Encode("passage: " + rec.Title + " " + rec.Text, true).Ids.Length <= encoder.MaxSeqLength,
            $"'{rec.Title}' + '{rec.Text}'"));
        // the price table's later chunks name its columns
        Assert.Contains(records, rec => rec.Text.StartsWith("Rett | Pris\n", StringComparison.Ordinal) && rec.Title.EndsWith("Prisene i kantinen er:", StringComparison.Ordinal));
    }

    /// <summary>Each record's title and text in the index in <paramref name="folder"/>, in order.</summary>
    private static List<(string Title, string Text)> TitlesAndTexts(string folder) =>
        [.. File.ReadAllLines(Path.Combine(folder, "records.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!))];
}
