using Skald.Data.Generation;
using Skald.Data.Indexing;
using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Tests;

namespace Skald.Data.Tests;

/// <summary>
/// Inverse-cloze queries with heading queries on (<see cref="IctOptions.HeadingPairs"/>, the default) over chunks that
/// carry both a heading and a table caption (<see cref="Chunk.Context"/>: rows of a table whose lead-in an earlier chunk
/// holds): each passage's title is the index's title of the same chunk (<see cref="Chunk.Title"/>, "heading – caption"),
/// but for a passage whose unique heading became its query, which keeps the caption alone; a heading shared by the
/// table's chunks is no query; no query is held verbatim by its passage as the index embeds it (title and text).
/// (Session 55 tested the caption's title with heading queries off only.)
/// </summary>
public sealed class IctCaptionHeadingTests
{
    /// <summary>The travel rates' document (a table over several chunks under its caption) and a section of one chunk under a heading of its own.</summary>
    private static string Documents()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(dir);
        CaptionedTableDocument.Write(dir);
        File.WriteAllText(Path.Combine(dir, "kontakt.md"), "# Kontakt med lønningskontoret\n\n"
            + "Lønningskontoret nås på telefon eller e-post hver virkedag. Saker om reiseregninger behandles i den rekkefølgen de kommer inn.\n");
        return dir;
    }

    [Fact]
    public void PassagesUnderACaptionKeepTheIndexTitleAndOnlyAUniqueHeadingIsAQuery()
    {
        string docs = Documents();
        var chunking = new ChunkOptions { ChunkTokens = 40, OverlapTokens = 0 };
        // the chunks as the index reads them (the title counted in the chunk's budget), and the index's records of them
        var chunks = DocumentIngest.Ingest([docs], chunking with { TitleInBudget = true }, ocr: Ocr.Off).Chunks;
        var records = DocumentIndex.Read([docs], docs, chunking, new DocumentIndexOptions { Ocr = Ocr.Off });
        Assert.Equal(records.Select(r => r.Title), chunks.Select(c => c.Title));
        Assert.Contains(chunks, c => c.Heading == CaptionedTableDocument.Heading && c.Context == CaptionedTableDocument.Caption); // the case under test occurs

        var set = IctGenerator.Generate(chunks, new IctOptions { HeadingPairs = true });

        var headingQueries = set.Queries.Where(q => q.Kind == "heading").ToDictionary(q => q.DocumentId, q => q.Text, StringComparer.Ordinal);
        Assert.Equal("Kontakt med lønningskontoret", Assert.Single(headingQueries).Value); // the table's heading, on several chunks, is none
        Assert.Equal(chunks.Count, set.Corpus.Count);
        for (int i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i];
            var passage = set.Corpus[i];
            Assert.Equal(chunk.Id, passage.Id);
            Assert.Equal(headingQueries.ContainsKey(chunk.Id) ? chunk.Context : records[i].Title, passage.Title);
        }
        var captioned = set.Corpus.Where((p, i) => chunks[i].Context.Length > 0).ToList();
        Assert.NotEmpty(captioned);
        Assert.All(captioned, p => Assert.Equal(CaptionedTableDocument.Heading + " \u2013 " + CaptionedTableDocument.Caption, p.Title));
        var byId = set.Corpus.ToDictionary(p => p.Id, StringComparer.Ordinal);
        Assert.All(set.Queries, q => Assert.DoesNotContain(q.Text, byId[q.DocumentId].FullText, StringComparison.Ordinal));
    }
}
