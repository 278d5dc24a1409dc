using Skald.Tests;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// BM25 over a mixed Norwegian / Danish / Swedish index (<see cref="Bm25Fields"/>, <c>--language auto</c>): each
/// document stemmed in its own language into that language's field, a query searched in every field; a query word's
/// document frequency counted over every field, N and avgdl the whole index's; an index of one field written and read
/// as format 1, byte for byte.
/// </summary>
public sealed class MixedLanguageBm25Tests
{
    private static readonly IndexRecord[] Mixed =
    [
        new("da#c0", "da", "da.txt", 0, 27, "", "Fakturaerne sendes i morgen", Language: "da"),
        new("sv#c0", "sv", "sv.txt", 0, 23, "", "Bilarna står i garaget", Language: "sv"),
        new("nb#c0", "nb", "nb.txt", 0, 16, "", "Bilene står ute", Language: "nb"),
        new("x#c0", "x", "x.txt", 0, 12, "", "bilarna 2024", Language: null), // no language: the unstemmed field
    ];

    private static TableModel Model(IEnumerable<IndexRecord> records) =>
        new(records.Select((r, i) => (r.FullText, new float[] { 1, i })).ToDictionary(p => p.FullText, p => p.Item2));

    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-mixed-bm25").FullName, "idx");

    private static string[] Bm25Ids(SearchIndex index, string query) =>
        [.. index.Search(query, null, SearchMode.Bm25, 10).Select(h => h.Record.Id).Order(StringComparer.Ordinal)];

    [SnowballFact]
    public void EachDocumentIsStemmedInItsOwnLanguageAndQueriesSearchEveryLanguage()
    {
        string folder = Folder();
        var manifest = IndexBuilder.Build(folder, Model(Mixed), folder, Mixed, new Bm25Options(), Bm25Fields.PerDocument, 0, 0);
        Assert.Equal("snowball per document", manifest.Stemming);
        using (var index = SearchIndex.Open(folder))
        {
            // "bilen": Norwegian, Danish and Swedish stem it to "bil"; Swedish "bilarna" is "bil" only by the Swedish
            // stemmer, Norwegian "bilene" only by the Norwegian or Danish one; the unlabelled row keeps "bilarna" whole.
            Assert.Equal(["nb#c0", "sv#c0"], Bm25Ids(index, "bilen"));
            // Danish "fakturaerne" is "faktura" by the Danish stemmer (the Norwegian one leaves "fakturaern")
            Assert.Equal(["da#c0"], Bm25Ids(index, "fakturaer"));
            Assert.Equal(["sv#c0", "x#c0"], Bm25Ids(index, "bilarna"));
        }
        // one Norwegian stemmer for all (what an index of one language does) misses the Danish and Swedish forms
        string nb = Folder();
        IndexBuilder.Build(nb, Model(Mixed), nb, Mixed, new Bm25Options(), "nb", 0, 0);
        using (var index = SearchIndex.Open(nb))
        {
            Assert.Equal(["nb#c0"], Bm25Ids(index, "bilen"));
            Assert.Empty(Bm25Ids(index, "fakturaer"));
        }
        // the languages travel with the records: an added Swedish document joins the Swedish field, the others stay
        var added = new IndexRecord("sv2#c0", "sv2", "sv2.txt", 0, 18, "", "Fakturorna betalas", Language: "sv");
        IndexBuilder.Add(folder, Model([.. Mixed, added]), [added]);
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(["sv2#c0"], Bm25Ids(index, "fakturor"));
            Assert.Equal(["nb#c0", "sv#c0"], Bm25Ids(index, "bilen"));
            Assert.Equal("sv", index.Records.Single(r => r.Id == "sv#c0").Language);
        }
    }

    [SnowballFact]
    public void ScoresMatchTheReferenceOfOneFieldPerLanguage()
    {
        // fixtures/bm25/make_mixed_bm25.py: per-language fields, stems by libstemmer, a word's df over all documents (each by its own stem), N and avgdl of all
        var reference = MixedBm25Reference.Load();
        var (texts, languages) = (reference.Documents, reference.Languages);
        IndexRecord[] records = [.. texts.Select((t, i) => new IndexRecord($"r{i}", $"r{i}", $"r{i}.txt", 0, t.Length, "", t, Language: languages[i]))];
        string folder = Folder();
        IndexBuilder.Build(folder, Model(records), folder, records, new Bm25Options(), Bm25Fields.PerDocument, 0, 0);
        using var index = SearchIndex.Open(folder);
        var (queries, expected) = (reference.Queries, reference.Scores);
        for (int q = 0; q < queries.Length; q++)
        {
            var got = index.Search(queries[q], null, SearchMode.Bm25, records.Length).ToDictionary(h => h.Row, h => (double)h.Score);
            Assert.Equal(Enumerable.Range(0, records.Length).Where(d => expected[q][d] > 0), got.Keys.Order());
            foreach (var (row, score) in got) Assert.Equal(expected[q][row], score, 4);
        }
    }

    [Fact]
    public void AQueryWordsDocumentFrequencyCountsTheDocumentsItMatchesInEveryField()
    {
        var analyzer = new Analyzer();
        var docs = new[] { "the cat sat", "the dog", "cat cat dog" }.Select(d => (IReadOnlyList<string>)analyzer.Analyze(d)).ToArray();
        var index = new Bm25Index(docs, [0, 0, 1], ["a", "b"], new Bm25Parameters(1.2, 0.75, Bm25Idf.Lucene));
        var hits = index.Search([["cat"], ["cat"]], 10, [0, 1, 2]);
        // "cat" is in d0 (field a) and d2 (field b): df 2 of N 3 → idf ln(1 + 1.5/2.5) = ln 1.6 for both (each field's
        // own df 1 would give ln(8/3)); avgdl 8/3 of the whole index; d0 tf 1, |d| 3: K = 1.2·(0.25 + 0.75·3/(8/3)) =
        // 1.3125; d2 tf 2, |d| 3: the same K
        var expected = new Dictionary<int, double> { [0] = Math.Log(1.6) * 2.2 / 2.3125, [2] = Math.Log(1.6) * 4.4 / 3.3125 };
        Assert.Equal(2, hits.Length);
        foreach (var h in hits) Assert.Equal(expected[h.Index], h.Score, 5);
        Assert.Equal(Math.Log(1.6), index.Idf(["cat", "cat"]), 12);
        // a word field b's analyzer makes into a term it lacks ("kat") finds field a's documents only, df 1 → ln(1 + 2.5/1.5)
        var onlyA = index.Search([["cat"], ["kat"]], 10, [0, 1, 2]);
        Assert.Equal(0, onlyA.Single().Index);
        Assert.Equal(Math.Log(8.0 / 3) * 2.2 / 2.3125, onlyA.Single().Score, 5);
        // a field of one document does not inflate its words' idf: "dog" is in d1 and d2, ln(3/2) in both fields (ATIRE)
        var atire = new Bm25Index(docs, [0, 0, 1], ["a", "b"], new Bm25Parameters(0.9, 0.4, Bm25Idf.Atire));
        Assert.Equal(Math.Log(3.0 / 2), atire.Idf(["dog", "dog"]), 12);
        Assert.Equal(Math.Log(3.0 / 1), atire.Idf(["dog", "hund"]), 12);
        // term i of every field's list is one query word: lists of different lengths are refused
        Assert.Throws<ArgumentException>(() => index.Search([["cat"], []], 10, [0, 1, 2]));

        using var saved = new MemoryStream();
        index.Write(saved);
        saved.Position = 0;
        var read = Bm25Index.Read(saved, "bm25.bin");
        Assert.Equal(["a", "b"], read.Fields);
        Assert.Equal(hits, read.Search([["cat"], ["cat"]], 10, [0, 1, 2]));
        Assert.Throws<InvalidOperationException>(() => read.Search(["cat"], 10, [0, 1, 2])); // one term list for two fields
    }

    [Fact]
    public void AnIndexOfOneFieldIsWrittenAsFormatOneByteForByte()
    {
        var docs = new IReadOnlyList<string>[] { ["hus", "bil"], ["bil"] };
        var index = new Bm25Index(docs, new Bm25Parameters(0.9, 0.4, Bm25Idf.Atire));
        using var written = new MemoryStream();
        index.Write(written);
        // format 1 as laid out before fields: magic, k1, b, idf, lengths, then each term (first seen first) with its postings
        using var expected = new MemoryStream();
        using (var w = new BinaryWriter(expected, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write("skald-bm25-1");
            w.Write(0.9); w.Write(0.4); w.Write((int)Bm25Idf.Atire);
            w.Write(2); w.Write(2); w.Write(1);
            w.Write(2);
            w.Write("hus"); w.Write(1); w.Write(0); w.Write(1);
            w.Write("bil"); w.Write(2); w.Write(0); w.Write(1); w.Write(1); w.Write(1);
        }
        Assert.Equal(expected.ToArray(), written.ToArray());
        expected.Position = 0;
        var read = Bm25Index.Read(expected, "bm25.bin");
        Assert.Equal([""], read.Fields);
        Assert.Equal(index.ScoreAll(["bil", "hus"]), read.ScoreAll(["bil", "hus"]));
    }
}
