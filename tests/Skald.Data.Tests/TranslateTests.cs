using System.Text.Json;
using Skald.Data.Translate;

namespace Skald.Data.Tests;

public sealed class TranslateTests
{
    [ApertiumFact]
    public void BokmalToNynorskKeepsOrderAndRows()
    {
        var t = ApertiumTranslator.Create("nb", "nn");
        var texts = Enumerable.Range(0, 7).Select(i => i % 2 == 0 ? "Hva heter du?" : "Jeg vet ikke hva\njeg skal gjøre.").ToList();
        var result = t.Translate(texts, batchSize: 3);
        Assert.Equal(7, result.Count);
        Assert.Equal("Kva heiter du?", result[0]);
        Assert.StartsWith("Eg veit ikkje kva eg skal", result[1]);
    }

    [ApertiumFact]
    public void TranslatesChosenColumnsOfADatasetAndWritesParallelPairs()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, ["{\"anchor\":\"Hva heter du?\",\"positive\":\"Jeg heter Kari.\"}", "{\"anchor\":\"Hvor bor du?\",\"positive\":\"\"}"]);
        var t = ApertiumTranslator.Create("nb", "nn");
        string rowsOut = Path.Combine(dir, "rows.jsonl"), pairsOut = Path.Combine(dir, "pairs.jsonl");
        Assert.Equal(2, DatasetTranslator.Translate(input, rowsOut, ["anchor"], x => t.Translate(x), parallel: false));
        var first = JsonDocument.Parse(File.ReadAllLines(rowsOut)[0]).RootElement;
        Assert.Equal("Kva heiter du?", first.GetProperty("anchor").GetString());
        Assert.Equal("Jeg heter Kari.", first.GetProperty("positive").GetString());
        int n = DatasetTranslator.Translate(input, pairsOut, ["anchor", "positive"], x => t.Translate(x), parallel: true);
        Assert.Equal(3, n);
        Assert.Contains("{\"anchor\":\"Hva heter du?\",\"positive\":\"Kva heiter du?\"}", File.ReadAllLines(pairsOut));
    }

    [Fact]
    public void ListsOfDocumentsAreTranslatedOneByOneAndStayLists()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "lists.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, ["{\"query\":\"hva koster kaffen?\",\"docs\":[\"ti kroner.\",\"kantinen.\"],\"labels\":[1, 0]}"]);
        var seen = new List<string>();
        List<string> Upper(IReadOnlyList<string> texts)
        {
            seen.AddRange(texts);
            return [.. texts.Select(t => t.ToUpperInvariant())];
        }
        Assert.Equal(1, DatasetTranslator.Translate(input, output, ["query", "docs"], Upper, parallel: false));
        Assert.Equal(["hva koster kaffen?", "ti kroner.", "kantinen."], seen);
        Assert.Equal("{\"query\":\"HVA KOSTER KAFFEN?\",\"docs\":[\"TI KRONER.\",\"KANTINEN.\"],\"labels\":[1, 0]}", File.ReadAllText(output).Trim());
        var back = Skald.Training.Data.DatasetReader.Read(output); // still listwise rows for training
        Assert.Equal(["HVA KOSTER KAFFEN?", "TI KRONER.", "KANTINEN."], back.Rows[0]);
        Assert.Equal([1f, 0f], back.Labels!);
    }

    [Fact]
    public void ParallelPairsLeaveOutTextsTheTranslationKeepsAndSayHowMany()
    {
        // "Ferie" is the same word in Bokmål and Nynorsk: no pair, and the count of texts left out is reported
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "s.jsonl"), output = Path.Combine(dir, "p.jsonl");
        File.WriteAllLines(input, ["{\"text\":\"Ferie\"}", "{\"text\":\"Hva er klokka?\"}", "{\"text\":\"Ferie\"}"]);
        List<string> ToNynorsk(IReadOnlyList<string> texts) => [.. texts.Select(t => t.Replace("Hva", "Kva"))];
        Assert.Equal(1, DatasetTranslator.Translate(input, output, ["text"], ToNynorsk, parallel: true, out int unchanged));
        Assert.Equal(2, unchanged);
        Assert.Equal("{\"anchor\":\"Hva er klokka?\",\"positive\":\"Kva er klokka?\"}", File.ReadAllText(output).Trim());
        Assert.Equal(3, DatasetTranslator.Translate(input, output, ["text"], ToNynorsk, parallel: false, out unchanged));
        Assert.Equal(0, unchanged);
    }

    [Fact]
    public void IdColumnsAreNotTranslatedUnlessNamed()
    {
        // Without --columns a BEIR queries file's _id went to the translator too: "sykdom" came back "sjukdom" and no
        // longer matched qrels/test.tsv.
        string dir = TestPaths.NewTempDir(), queries = Path.Combine(dir, "queries.jsonl"), rows = Path.Combine(dir, "rows.jsonl");
        File.WriteAllText(queries, "{\"_id\":\"sykdom\",\"text\":\"Ved sykdom skal du gi beskjed.\"}\n");
        File.WriteAllText(rows, "{\"id\":\"a\",\"query-id\":\"b\",\"Doc_ID\":\"c\",\"title\":\"Ferie\",\"valid\":\"ja\"}\n");
        Assert.Equal(["text"], DatasetTranslator.TextColumns(queries));
        Assert.Equal(["title", "valid"], DatasetTranslator.TextColumns(rows));
        string output = Path.Combine(dir, "out.jsonl");
        DatasetTranslator.Translate(queries, output, DatasetTranslator.TextColumns(queries), t => [.. t.Select(x => x.ToUpperInvariant())], parallel: false);
        Assert.Equal("{\"_id\":\"sykdom\",\"text\":\"VED SYKDOM SKAL DU GI BESKJED.\"}", File.ReadAllText(output).Trim());
    }

    [Fact]
    public void IdListsAreNotTranslatedUnlessNamed()
    {
        // _id and *_id were left out, but not a list of ids: a KD row's document_ids of text ids (no null among them,
        // so read as a list of texts) went to the translator without --columns, "sykdom" came back "sjukdom" and named
        // no document any more; likewise ids, *-ids.
        string dir = TestPaths.NewTempDir(), rows = Path.Combine(dir, "kd.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(rows, "{\"query_id\":\"q1\",\"query\":\"Hva er sykdom?\",\"document_ids\":[\"sykdom\",\"ferie\"],"
            + "\"IDS\":[\"a\"],\"passage-ids\":[\"b\"],\"scores\":[0.9,0.1]}\n");
        Assert.Equal(["query"], DatasetTranslator.TextColumns(rows));
        DatasetTranslator.Translate(rows, output, DatasetTranslator.TextColumns(rows), t => [.. t.Select(x => x.ToUpperInvariant())], parallel: false);
        Assert.Equal("{\"query_id\":\"q1\",\"query\":\"HVA ER SYKDOM?\",\"document_ids\":[\"sykdom\",\"ferie\"],"
            + "\"IDS\":[\"a\"],\"passage-ids\":[\"b\"],\"scores\":[0.9,0.1]}", File.ReadAllText(output).Trim());
    }

    [Fact]
    public void AnIdListWithNullsIsNeitherTranslatedNorWrittenBackAsAString()
    {
        // A KD row's document_ids with a null among them (read since 2026-12-07 as its JSON text, an id column of lists
        // with nulls) was a text column to the translator: without --columns its JSON went to the translator, and even
        // unchanged it was written back as a string, "[\"d3\",null]", which no reader takes for a list of ids again.
        string dir = TestPaths.NewTempDir(), rows = Path.Combine(dir, "kd.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(rows, "{\"query\":\"Hva er klokka?\",\"document_ids\":[\"d3\",null],\"scores\":[0.9,0.1]}\n");
        Assert.Equal(["query"], DatasetTranslator.TextColumns(rows));
        DatasetTranslator.Translate(rows, output, ["query"], t => [.. t.Select(x => x.ToUpperInvariant())], parallel: false);
        Assert.Equal("{\"query\":\"HVA ER KLOKKA?\",\"document_ids\":[\"d3\",null],\"scores\":[0.9,0.1]}", File.ReadAllText(output).Trim());
        var e = Assert.Throws<DataException>(() => DatasetTranslator.Translate(rows, output, ["document_ids"], t => [.. t], parallel: false));
        Assert.Equal($"{rows}: column 'document_ids' has type list of ids with nulls, not string (only text columns are translated)", e.Message);
    }

    [Fact]
    public void AnUnknownPairIsOneClearMessage()
    {
        var e = Assert.Throws<DataException>(() => ApertiumTranslator.Create("nb", "de"));
        Assert.Equal("unknown language pair nb → de (Apertium pairs here: nb, nn, da and sv to one another)", e.Message);
    }

    [ApertiumFact(From = "sv", To = "da", Absent = true)]
    public void AMissingPairNamesThePackageToInstall()
    {
        var e = Assert.Throws<DataException>(() => ApertiumTranslator.Create("sv", "da"));
        Assert.Contains("apt-get install", e.Message);
        Assert.Contains("apertium-swe-dan", e.Message);
    }
}
