using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

public sealed class Bm25Tests
{
    [Fact]
    public void AnalyzerKeepsScandinavianLetters()
    {
        var a = new Analyzer();
        Assert.Equal(["blåbærsyltetøy", "æøå", "smörgås", "bord", "3"], a.Analyze("Blåbærsyltetøy, ÆØÅ! Smörgås-bord 3"));
        Assert.Equal(["1,000", "kr", "3.5", "mio"], a.Analyze("1,000 kr, 3.5 mio."));
        // Decomposed å (a + combining ring) is composed first.
        Assert.Equal(["år"], a.Analyze("A\u030Ar"));
    }

    [Fact]
    public void ScoresMatchAHandComputedExample()
    {
        var docs = new[] { "the cat sat", "the dog", "cat cat dog" }.Select(d => (IReadOnlyList<string>)new Analyzer().Analyze(d)).ToArray();
        var index = new Bm25Index(docs, new Bm25Parameters(1.2, 0.75, Bm25Idf.Lucene));
        // N = 3, avgdl = 8/3, df(cat) = 2 → idf = ln(1 + 1.5/2.5) = ln 1.6
        Assert.Equal(Math.Log(1.6), index.Idf("cat"), 12);
        var s = index.ScoreAll(["cat"]);
        // d0: tf 1, |d| 3 → K = 1.2·(0.25 + 0.75·3/(8/3)) = 1.3125; ln1.6 · 2.2/2.3125
        Assert.Equal(0.4471385, s[0], 5);
        Assert.Equal(0f, s[1]);
        // d2: tf 2 → ln1.6 · 4.4/3.3125
        Assert.Equal(0.6243097, s[2], 5);
        var both = index.ScoreAll(["cat", "dog"]);
        // d1: "dog" df 2, tf 1, |d| 2 → K = 1.2·(0.25 + 0.75·2/(8/3)) = 0.975; ln1.6 · 2.2/1.975
        Assert.Equal(Math.Log(1.6) * 2.2 / 1.975, both[1], 5);
        // ATIRE idf ln(N/df) = ln 1.5, defaults k1 0.9, b 0.4: d0 K = 0.9·(0.6 + 0.4·3/(8/3)) = 0.945; ln1.5 · 1.9/1.945
        var atire = new Bm25Index(docs);
        Assert.Equal(Math.Log(1.5), atire.Idf("cat"), 12);
        Assert.Equal(0.3960842, atire.ScoreAll(["cat"])[0], 5);
        Assert.Equal(0.0, atire.Idf("unknown"));
        var hits = index.Search(["cat"], 10, [0, 1, 2]);
        Assert.Equal([2, 0], hits.Select(h => h.Index)); // d1 has no query term: not returned
    }

    [SnowballFact]
    public void SnowballStemsNorwegianDanishSwedishWhenInstalled()
    {
        using var nb = Snowball.TryCreate("norwegian")!;
        using var sv = Snowball.TryCreate("swedish")!;
        using var da = Snowball.TryCreate("danish")!;
        Assert.Equal("hest", nb.Stem("hestene"));
        Assert.Equal("häst", sv.Stem("hästarna"));
        Assert.Equal("hus", da.Stem("husene"));
        Assert.Null(Snowball.TryCreate("klingon"));
        var model = new Bm25Model();
        model.AnalyzerFor("nb", out var stemming);
        Assert.Equal("snowball norwegian", stemming);
    }

    [Fact]
    public void Bm25ModelRanksWithTieBreakByIdDescending()
    {
        CorpusDocument[] corpus = [new("a", "", "katt hund"), new("b", "", "katt hund"), new("c", "Katt", "fisk")];
        var hits = new Bm25Model(new Bm25Options { Stem = false }).Search(corpus, ["hund"], 10, null);
        Assert.Equal([1, 0], hits[0].Select(h => h.Index)); // equal scores: "b" before "a"
    }
}
