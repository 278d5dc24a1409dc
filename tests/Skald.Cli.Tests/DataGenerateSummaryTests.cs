namespace Skald.Cli.Tests;

/// <summary>
/// <c>data generate</c>'s summary says, once, how many chunks gave no query and why, and what each filter reason's
/// limit was (the F journey: with short chunks most chunks held one sentence and made no pair without a word, and
/// "2 passage too short" named no floor).
/// </summary>
public sealed class DataGenerateSummaryTests
{
    private static SkaldProcess.Result Generate(string text, int chunkTokens)
    {
        string dir = TestPaths.NewTempDir(), doc = TestPaths.WriteFile(dir, "doc.txt", text);
        var r = InProcessSkald.Capture("data", "generate", "--documents", doc, "--output", Path.Combine(dir, "out"),
            "--chunk-tokens", chunkTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), "--overlap-tokens", "0");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r;
    }

    private static string[] Lines(SkaldProcess.Result r) => (r.Stdout + r.Stderr).ReplaceLineEndings("\n").Split('\n');

    [Fact]
    public void ChunksOfOneSentenceAreCountedWithWhyOnce()
    {
        // three sentences of ten words, chunks of at most twelve: one sentence a chunk, nothing left as a passage
        var r = Generate("Fjorden ligger stille i morgensolen og båtene ligger ved kaien. " +
                         "Fiskerne gjør klar garnene sine før de drar ut på havet. " +
                         "Måkene skriker over bryggen mens solen stiger over de høye fjellene.\n", 12);
        var line = Assert.Single(Lines(r), l => l.Contains("gave no query", StringComparison.Ordinal));
        Assert.Equal("3 of 3 chunks gave no query (kept in the corpus as passages): 3 of one sentence (a query is a sentence taken out " +
                     "of its chunk, the rest its passage: larger chunks hold more sentences)", line);
    }

    [Fact]
    public void APassageLeftTooShortNamesTheFloor()
    {
        // one chunk: the eleven-word sentence is the query, and three words are left where the passage needs eight
        var r = Generate("Fjorden ligger stille i morgensolen og alle båtene ligger ved kaien. Alt er rolig.\n", 40);
        var lines = Lines(r);
        Assert.Contains("filtered: 1 passage too short (fewer than 8 words left beside the query, the heading not counted)", lines);
        Assert.Contains("1 of 1 chunk gave no query (kept in the corpus as passages): 1 whose every candidate query was filtered (above)", lines);
    }
}
