using Skald.Tests;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <c>skald evaluate --model bm25 --language auto</c>'s model (<see cref="Bm25Model"/> in language "auto"): each
/// document stemmed in the language <see cref="Bm25Options.DocumentLanguage"/> gives it, one field per stemmer, each
/// query analysed once per field, scored as the reference of one field per language
/// (<c>fixtures/bm25/make_mixed_bm25.py</c>), the index <c>--language auto</c> builds.
/// </summary>
public sealed class MixedLanguageBm25ModelTests
{
    [SnowballFact]
    public void ScoresMatchTheReferenceOfOneFieldPerLanguage()
    {
        var (corpus, queries, expected, model) = Reference();

        var hits = model.Search(corpus, queries, corpus.Length, Bm25Fields.PerDocument);
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(Enumerable.Range(0, corpus.Length).Where(d => expected[q][d] > 0), hits[q].Select(h => h.Index).Order());
            foreach (var h in hits[q]) Assert.Equal(expected[q][h.Index], h.Score, 4);
        }
        Assert.Equal("snowball per document", model.Metadata["stemming"]);
        var all = Enumerable.Range(0, corpus.Length).ToArray();
        var scored = model.ScoreCandidates(corpus, queries, [.. queries.Select(_ => all)], Bm25Fields.PerDocument);
        for (int q = 0; q < queries.Length; q++)
            for (int d = 0; d < corpus.Length; d++) Assert.Equal(expected[q][d], scored[q][d], 4);

        // one language for the task ("nb", one Norwegian stemmer for all) indexes the corpus anew, and "auto" again after it
        var norwegian = model.Search(corpus, ["bilarna"], corpus.Length, "nb")[0];
        Assert.Equal("snowball norwegian", model.Metadata["stemming"]);
        // Swedish "bilarna" and "bilen" are both "bil" only by the Swedish stemmer (Norwegian: "bilarn", "bil")
        Assert.True(Math.Abs(expected[3][1] - norwegian.Single(h => h.Index == 1).Score) > 0.1, "the Norwegian stemmer scored the Swedish row as its own field does");
        var again = model.Search(corpus, queries, corpus.Length, Bm25Fields.PerDocument);
        for (int q = 0; q < queries.Length; q++)
            foreach (var h in again[q]) Assert.Equal(expected[q][h.Index], h.Score, 4);
    }

    [SnowballFact]
    public void ATaskListingLanguagesOfSeveralStemmersIsStemmedPerDocument()
    {
        // a suite's mixed task ("nb,nn,da,sv", the quickstart's), as skald benchmark gives BM25 its language
        var (corpus, queries, expected, model) = Reference();
        var hits = model.Search(corpus, queries, corpus.Length, "nb,nn,da,sv");
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(Enumerable.Range(0, corpus.Length).Where(d => expected[q][d] > 0), hits[q].Select(h => h.Index).Order());
            foreach (var h in hits[q]) Assert.Equal(expected[q][h.Index], h.Score, 4);
        }
        Assert.Equal("snowball per document", model.Metadata["stemming"]);
        Assert.Equal(Bm25Fields.PerDocument, Bm25Model.StemmingLanguage("nb, sv", detects: true));
        Assert.Equal("nb", Bm25Model.StemmingLanguage("nb,nn,no", detects: true)); // one stemmer's codes: that stemmer
        Assert.Equal("sv", Bm25Model.StemmingLanguage("sv", detects: true));
        Assert.Equal("da-sv", Bm25Model.StemmingLanguage("da-sv", detects: true)); // a pair (bitext) is not a list
        Assert.Equal("nb,sv", Bm25Model.StemmingLanguage("nb,sv", detects: false)); // no detector: as before, unstemmed
        model.Search(corpus, ["bilen"], 1, "nb,nn");
        Assert.Equal("snowball norwegian", model.Metadata["stemming"]);
    }

    [Fact]
    public void AutoWithoutADetectorIsRefusedInOneLine()
    {
        var e = Assert.Throws<EvaluationException>(() => new Bm25Model().Search([new("d", "", "tekst")], ["tekst"], 1, Bm25Fields.PerDocument));
        Assert.Contains("auto", e.Message);
    }

    // The reference's corpus, queries and scores and a model stemming each document in its reference language.
    private static (CorpusDocument[] Corpus, string[] Queries, double[][] Expected, Bm25Model Model) Reference()
    {
        var reference = MixedBm25Reference.Load();
        CorpusDocument[] corpus = [.. reference.Documents.Select((t, i) => new CorpusDocument($"d{i}", "", t))];
        var languageOf = reference.LanguageByText();
        return (corpus, reference.Queries, reference.Scores, new Bm25Model(new Bm25Options { DocumentLanguage = text => languageOf[text] }));
    }
}
