using Skald.Data.Negatives;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Tests;

namespace Skald.Data.Tests;

/// <summary>
/// <c>data mine-negatives --model bm25 --language auto</c>'s candidates (<see cref="Bm25CandidateScorer"/> in language
/// "auto"): each passage stemmed in its own language, one field per stemmer, as <c>fixtures/bm25/make_mixed_bm25.py</c>
/// scores them; the positives' scores from the same fields.
/// </summary>
public sealed class MixedLanguageMiningTests
{
    [SnowballFact]
    public void CandidatesAndPositivesAreScoredAsTheReferenceOfOneFieldPerLanguage()
    {
        var reference = MixedBm25Reference.Load();
        var (texts, queries, expected) = (reference.Documents, reference.Queries, reference.Scores);
        var languageOf = reference.LanguageByText();
        var scorer = new Bm25CandidateScorer(new Bm25Model(new Bm25Options { DocumentLanguage = text => languageOf[text] }), Bm25Fields.PerDocument);

        int[][] positives = [.. queries.Select((_, q) => new[] { q, texts.Length - 1 })];
        var (candidates, positiveScores) = scorer.Score(queries, texts, positives, texts.Length);
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(Enumerable.Range(0, texts.Length).Where(d => expected[q][d] > 0), candidates[q].Select(h => h.Index).Order());
            foreach (var h in candidates[q]) Assert.Equal(expected[q][h.Index], h.Score, 4);
            for (int p = 0; p < positives[q].Length; p++) Assert.Equal(expected[q][positives[q][p]], positiveScores[q][p], 4);
        }
    }
}
