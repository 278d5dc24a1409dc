using Skald.Data.Generation;
using Skald.Data.Ingest;

namespace Skald.Data.Tests;

public sealed class GenerationTests
{
    [Fact]
    public void FilterDropsEmptyShortLongDuplicateAndCopiedQueries()
    {
        var f = new PairFilter(new FilterOptions { MinQueryWords = 3, MaxQueryWords = 6, MinPassageWords = 4 });
        const string passage = "Kaffemaskinen rengjøres hver kveld klokken atten av seg selv.";
        Assert.True(f.Accept("Når rengjøres kaffemaskinen egentlig?", passage));
        Assert.False(f.Accept("  ", passage));
        Assert.False(f.Accept("For kort", passage));
        Assert.False(f.Accept("Dette spørsmålet er altfor langt til å bli med", passage));
        Assert.False(f.Accept("når RENGJØRES kaffemaskinen egentlig", passage));
        Assert.False(f.Accept("hver kveld klokken atten", passage));
        Assert.False(f.Accept("Hvem fyller på bønner?", "For kort."));
        Assert.Equal(new Dictionary<string, int> { ["empty"] = 1, ["too short"] = 1, ["too long"] = 1, ["duplicate"] = 1, ["copies the passage"] = 1, ["passage too short"] = 1 },
            f.Dropped.ToDictionary());
    }

    [Fact]
    public void IctTakesASentenceOutOfItsChunkAndPairsHeadingsWithTheirSection()
    {
        var doc = DocumentIngest.Build("a.md", [
            new DocumentBlock(BlockKind.Heading, "Avkalking av maskinen"),
            new DocumentBlock(BlockKind.Paragraph, "Hardt vann gjør at kalk samler seg i rørene. Avkalking gjøres hver tredje måned med et middel. Hele prosessen tar rundt førti minutter i alt."),
            new DocumentBlock(BlockKind.Heading, "Kort"),
            new DocumentBlock(BlockKind.Paragraph, "Bare én setning her som er lang nok."),
        ])!;
        var chunks = Chunker.Split(doc, 0, new ChunkOptions());
        var set = IctGenerator.Generate(chunks, new IctOptions { Filter = new FilterOptions { MinPassageWords = 4 } });
        Assert.Equal(2, set.Corpus.Count);
        var ict = Assert.Single(set.Queries, q => q.Kind == "ict");
        var heading = Assert.Single(set.Queries, q => q.Kind == "heading");
        Assert.Equal("Avkalking av maskinen", heading.Text);
        Assert.Equal(chunks[0].Id, ict.DocumentId);
        string passage = set.Corpus[0].Text;
        Assert.DoesNotContain(ict.Text, passage);
        Assert.Equal(string.Join(" ", chunks[0].SentenceTexts.Where(s => s != ict.Text)), passage);
        Assert.Equal(chunks[1].Text, set.Corpus[1].Text); // one sentence: no query, kept whole as a passage
    }

    [Fact]
    public void IctNeverTakesASentenceThatTheOverlapRepeatsInTheNextChunk()
    {
        // With overlap the last sentence of a chunk starts the next one too. Taken out of the first as its query, it
        // stayed word for word in the second: a passage the qrels do not name that holds the query (BM25 ranks it first;
        // a miner offers it as a hard negative).
        string[] sentences =
        [
            "Kantinen åpner klokken halv åtte hver morgen.", "Frokosten serveres fram til klokken ni.",
            "Lunsjen koster førti kroner for ansatte.", "Det finnes alltid en vegetarisk rett.",
            "Allergener er merket på hver eneste rett.", "Kjøkkenet stenger klokken to om ettermiddagen.",
            "Kaffe og te er gratis hele dagen.", "Bestilling av mat til møter gjøres dagen før.",
        ];
        var doc = DocumentIngest.Build("kantine.md", [new DocumentBlock(BlockKind.Paragraph, string.Join(" ", sentences))])!;
        var chunks = Chunker.Split(doc, 0, new ChunkOptions { ChunkTokens = 20, OverlapTokens = 8 });
        Assert.True(chunks.Count >= 3, $"{chunks.Count} chunks");
        Assert.Contains(chunks.Zip(chunks.Skip(1)), p => p.First.SentenceTexts[^1] == p.Second.SentenceTexts[0]); // they overlap
        for (int seed = 0; seed < 20; seed++) // the sentence taken is a random choice: every seed
        {
            var set = IctGenerator.Generate(chunks, new IctOptions { HeadingPairs = false, Seed = seed, Filter = new FilterOptions { MinPassageWords = 1 } });
            Assert.NotEmpty(set.Queries);
            foreach (var q in set.Queries)
            {
                var holding = set.Corpus.Where(d => d.Text.Contains(q.Text, StringComparison.Ordinal)).Select(d => d.Id).ToList();
                Assert.True(holding.Count == 0, $"seed {seed}: query \"{q.Text}\" (positive {q.DocumentId}) is still in {string.Join(", ", holding)}");
            }
        }
    }

    [Fact]
    public void RoundTripKeepsQueriesWhosePassageBm25RanksInTheTopK()
    {
        var corpus = new[]
        {
            new Skald.Retrieval.Models.CorpusDocument("a", "", "Kaffemaskinen rengjøres hver kveld klokken atten."),
            new Skald.Retrieval.Models.CorpusDocument("b", "", "Sykkelparkeringen ligger i kjelleren ved heisen."),
        };
        var set = new GeneratedSet(corpus,
        [
            new GeneratedQuery("q0", "Når rengjøres kaffemaskinen?", "a", "llm"),
            new GeneratedQuery("q1", "Hvor er sykkelparkeringen?", "a", "llm"), // made from the wrong passage
        ], new Dictionary<string, int>());
        var kept = RoundTripFilter.Apply(set, new Skald.Data.Negatives.Bm25CandidateScorer(new Skald.Retrieval.Bm25.Bm25Model()), 1);
        Assert.Equal(["q0"], kept.Queries.Select(q => q.Id));
        Assert.Equal(1, kept.Filtered["round trip"]);
    }
}
