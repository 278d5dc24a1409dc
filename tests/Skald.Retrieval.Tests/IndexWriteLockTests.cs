using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="IndexWriteLock"/>: while one writer holds an index, another write (add, delete, reindex, build over it)
/// stops with one line before it reads anything, so neither's change is lost; once released, writes go on. Searches
/// are not held up.
/// </summary>
public sealed class IndexWriteLockTests
{
    [Fact]
    public void ASecondWriterStopsWhileTheFirstHoldsTheIndexAndGoesOnAfter()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(40);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records[..36], new Bm25Options(), "nb", 0, 0);
        using (IndexWriteLock.Take(folder))
        {
            string held = Assert.Throws<EvaluationException>(() => IndexBuilder.Delete(folder, ["doc0"], [])).Message;
            Assert.Contains("another skald is writing this index", held);
            Assert.Contains(folder, held);
            Assert.Throws<EvaluationException>(() => IndexBuilder.Add(folder, model, records[36..]));
            Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(folder, new DenseLayout()));
            Assert.Throws<EvaluationException>(() => IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0));
            using var index = SearchIndex.Open(folder); // reading needs no lock
            Assert.Equal(36, index.LiveCount);
            Assert.NotEmpty(index.Search("x", queries[0], SearchMode.Dense, 3));
        }
        Assert.Equal(4, IndexBuilder.Delete(folder, ["doc0"], []));
        Assert.Equal((4, 0), IndexBuilder.Add(folder, model, records[36..]));
        using (var index = SearchIndex.Open(folder)) Assert.Equal(36, index.LiveCount);
    }
}
