using Skald.Tests;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Xunit.Abstractions;

namespace Skald.Retrieval.Tests;

/// <summary>
/// An index stemmed per document (language "auto", what <c>skald index build --language auto</c> writes) built and added
/// to from code: <see cref="TextIndex.Record"/> carries each text's language, which picks its BM25 stemmer, and a record
/// without one is refused rather than indexed unstemmed (where <c>skald index add</c> would have guessed its language).
/// </summary>
public sealed class TextIndexLanguageTests
{
    private static readonly string ModelFolder = TestPaths.FixtureModel("bert-cased-mean");

    private static string Folder() => Path.Combine(TestPaths.NewTempDir(), "idx");

    [SnowballFact]
    public void RecordsGivenTheirLanguagesScoreAsTheReferenceOfOneFieldPerLanguage()
    {
        // fixtures/bm25/make_mixed_bm25.py: per-language fields stemmed by libstemmer, a word's df over every document
        var reference = MixedBm25Reference.Load();
        IndexRecord[] records = [.. reference.Documents.Select((t, i) => TextIndex.Record($"r{i}", t, language: reference.Languages[i] ?? "und"))];
        string folder = Folder();
        using var model = EncoderEmbeddingModel.Load(ModelFolder);
        IndexRecord[] first = records[..(records.Length / 2)], rest = records[(records.Length / 2)..];
        Assert.Equal(Bm25Fields.PerDocumentStemming, TextIndex.Build(folder, model, first, language: Bm25Fields.PerDocument).Stemming);
        TextIndex.Add(folder, model, rest); // the added rows join their languages' fields too
        using var index = TextIndex.Open(folder, model);
        Assert.Equal(reference.Languages.Select(l => l ?? "und"), index.Records.Select(r => r.Language));
        for (int q = 0; q < reference.Queries.Length; q++)
        {
            var got = TextIndex.Search(index, model, reference.Queries[q], SearchMode.Bm25, records.Length).ToDictionary(h => h.Row, h => (double)h.Score);
            Assert.Equal(Enumerable.Range(0, records.Length).Where(d => reference.Scores[q][d] > 0), got.Keys.Order());
            foreach (var (row, score) in got) Assert.Equal(reference.Scores[q][row], score, 4);
        }
    }

    [Fact]
    public void ARecordWithoutALanguageIsRefusedByAnIndexStemmedPerDocumentNamingItAndNothingIsWritten()
    {
        string folder = Folder();
        using var model = EncoderEmbeddingModel.Load(ModelFolder);
        IndexRecord[] rows = [TextIndex.Record("ferie", "Ferien aftales med din leder.", language: "da"), TextIndex.Record("lonn", "Lønnen udbetales den sidste hverdag.")];
        var build = Assert.Throws<ArgumentException>(() => TextIndex.Build(folder, model, rows, language: "auto"));
        Assert.Equal("records", build.ParamName);
        Assert.StartsWith($"{folder}: record 1 (\"lonn\") has no language", build.Message);
        Assert.False(Directory.Exists(folder));

        TextIndex.Build(folder, model, rows[..1], language: "auto");
        string manifest = File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile));
        var add = Assert.Throws<ArgumentException>(() => TextIndex.Add(folder, model, [TextIndex.Record("kantine", "Kantinen har åbent fra 11.30.")]));
        Assert.Equal("records", add.ParamName);
        Assert.StartsWith($"{folder}: record 0 (\"kantine\") has no language", add.Message);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile)));

        // an index of one language stems every row in it: a record needs none there
        string one = Folder();
        TextIndex.Build(one, model, rows, language: "da");
        Assert.Equal((1, 0), TextIndex.Add(one, model, [TextIndex.Record("kantine", "Kantinen har åbent fra 11.30.")]));
    }
}
