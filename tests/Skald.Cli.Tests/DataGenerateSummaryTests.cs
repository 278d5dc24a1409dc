namespace Skald.Cli.Tests;

/// <summary>
/// <c>data generate</c>'s summary says, once, how many chunks gave no query and why, and what each filter reason's
/// limit was (the F journey: with short chunks most chunks held one sentence and made no pair without a word, and
/// "2 passage too short" named no floor).
/// </summary>
public sealed class DataGenerateSummaryTests
{
    private static SkaldProcess.Result Generate(string text, int chunkTokens, params string[] more)
    {
        string dir = TestPaths.NewTempDir(), doc = TestPaths.WriteFile(dir, "doc.txt", text);
        return InProcessSkald.Capture([ "data", "generate", "--documents", doc, "--output", Path.Combine(dir, "out"),
            "--chunk-tokens", chunkTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), "--overlap-tokens", "0", .. more ]);
    }

    private const string OneSentence = "of one sentence (a query is a sentence taken out of its chunk, the rest its passage: larger chunks hold more sentences)";

    [Fact]
    public void ChunksOfOneSentenceAreCountedWithWhyOnce()
    {
        // chunks of at most 14 words: the eleven-word sentence alone (one sentence, no query), then the four-word and the
        // nine-word one together, the four-word one the query (at most eight words a query here) and nine words left
        var r = Generate("Fjorden ligger stille i morgensolen og alle båtene ligger ved kaien. Fyret står på neset. " +
                         "Det ble bygget av staten for hundre år siden.\n", 14, "--max-query-words", "8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = (r.Stdout + r.Stderr).ReplaceLineEndings("\n").Split('\n');
        var line = Assert.Single(lines, l => l.Contains("gave no query", StringComparison.Ordinal));
        Assert.Equal($"1 of 2 chunks gave no query (kept in the corpus as passages): 1 {OneSentence}", line);
        Assert.Contains("1 training query", r.Stdout);
    }

    [Fact]
    public void WhenNoQuerySurvivesTheOneLineSaysWhy()
    {
        // three sentences of ten words, chunks of at most twelve: one sentence a chunk, nothing left as a passage
        var r = Generate("Fjorden ligger stille i morgensolen og båtene ligger ved kaien. " +
                         "Fiskerne gjør klar garnene sine før de drar ut på havet. " +
                         "Måkene skriker over bryggen mens solen stiger over de høye fjellene.\n", 12);
        SkaldProcess.AssertUserError(r, 1, "no query survived generation and filtering; " +
            $"3 of 3 chunks gave no query (kept in the corpus as passages): 3 {OneSentence}; nothing written (add documents, make chunks larger, or lower the filters)");
    }

    [Fact]
    public void APassageLeftTooShortNamesTheFloor()
    {
        // one chunk: the eleven-word sentence is the query, and three words are left where the passage needs eight
        var r = Generate("Fjorden ligger stille i morgensolen og alle båtene ligger ved kaien. Alt er rolig.\n", 40);
        SkaldProcess.AssertUserError(r, 1, "; filtered: 1 passage too short (fewer than 8 words left beside the query, the heading not counted); " +
            "1 of 1 chunk gave no query (kept in the corpus as passages): 1 whose every candidate query was filtered; nothing written");
    }
}
