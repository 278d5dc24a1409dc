using System.Text.Json;
using Skald.Models;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build</c> embeds a record's title (its section's heading, and the caption of a table it continues)
/// with its text, but sized chunks by the text alone: under a long heading every chunk of a section that fills the model
/// ran over what it reads by the heading's tokens, and dense search never saw its last words. Title and text together
/// now fit (<c>TitleBudgetTests</c> for the rule).
/// </summary>
public sealed class IndexTitleBudgetTests
{
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
        var records = File.ReadAllLines(Path.Combine(folder, "records.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (Title: e.GetProperty("title").GetString()!, Text: e.GetProperty("text").GetString()!)).ToList();
        Assert.True(records.Count > 2);
        Assert.All(records, rec => Assert.True(encoder.Tokenizer.Encode("passage: " + rec.Title + " " + rec.Text, true).Ids.Length <= encoder.MaxSeqLength,
            $"'{rec.Title}' + '{rec.Text}'"));
        // the price table's later chunks name its columns
        Assert.Contains(records, rec => rec.Text.StartsWith("Rett | Pris\n", StringComparison.Ordinal) && rec.Title.EndsWith("Prisene i kantinen er:", StringComparison.Ordinal));
    }
}
