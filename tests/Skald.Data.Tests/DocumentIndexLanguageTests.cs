using Skald.Data.Indexing;
using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Data.Tests;

/// <summary>
/// The records <see cref="DocumentIndex"/> reads for an index stemmed per document (languages asked for) each name a
/// language, "und" where the guesser finds none, so the library's <see cref="TextIndex"/>, which refuses a record without
/// one in such an index, takes them as <see cref="DocumentIndex.Build"/> does.
/// </summary>
public sealed class DocumentIndexLanguageTests
{
    private static readonly ChunkOptions Chunking = new() { ChunkTokens = 40, OverlapTokens = 0 };

    [Fact]
    public void EveryRecordReadWithLanguagesNamesOneAndTextIndexTakesThem()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i mars. Søknad om ferie sendes til lederen din innen fristen.");
        File.WriteAllText(Path.Combine(docs, "tall.txt"), "2024 2025 2026: 110, 220, 330.");
        File.WriteAllLines(Path.Combine(docs, "corpus.jsonl"), ["""{"_id": "t1", "title": "", "text": "4711 0815 1234"}"""]);

        var records = DocumentIndex.Read([Path.Combine(docs, "ferie.txt"), Path.Combine(docs, "tall.txt")], docs, Chunking,
            new DocumentIndexOptions { Ocr = Ocr.Off }, languages: true);

        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = EncoderEmbeddingModel.Load(TestPaths.FixtureModel("bert-cased-mean"));
        TextIndex.Build(folder, model, records, language: Bm25Fields.PerDocument); // refused a record without a language
        using (var index = TextIndex.Open(folder, model))
            Assert.Equal(records.Select(r => r.Language), index.Records.Select(r => r.Language));
        Assert.Equal("und", records.Single(r => r.Source == "tall.txt").Language); // the guesser finds none: stemmed by none, but named
        Assert.NotEqual("und", records.Single(r => r.Source == "ferie.txt").Language);
        Assert.Equal("und", DocumentIndex.ReadCorpus(Path.Combine(docs, "corpus.jsonl"), docs, languages: true).Single().Language);
        Assert.All(DocumentIndex.Read([docs], docs, Chunking, new DocumentIndexOptions { Ocr = Ocr.Off }), r => Assert.Null(r.Language)); // not asked: none
    }
}
