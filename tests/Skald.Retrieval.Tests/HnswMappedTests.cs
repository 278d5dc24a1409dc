using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A graph opened memory-mapped (<see cref="HnswGraph.Open"/>, what an index's searches use): the same levels, links,
/// bytes and hits as the graph read whole (<see cref="HnswGraph.Read"/>), read-only, and damaged files named alike.
/// </summary>
public sealed class HnswMappedTests
{
    [Fact]
    public void AMappedGraphHasTheSameLinksAndFindsTheSameRowsAsOneReadWhole()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 41, n: 3001, dim: 16, clusters: 30, nq: 20); // an odd count: the links lie unaligned after the levels
        var built = HnswGraph.Build(rows.Length, r => rows[r], new HnswOptions { M = 5, EfConstruction = 40, Threads = 1 });
        Assert.True(built.TopLevel >= 2);
        string path = Path.Combine(Directory.CreateTempSubdirectory("skald-hnsw-mapped").FullName, "hnsw.bin");
        File.WriteAllBytes(path, HnswTests.Bytes(built));
        var read = HnswGraph.Read(path, rows.Length);
        using var mapped = HnswGraph.Open(path, rows.Length);
        Assert.True(mapped.Mapped);
        Assert.False(read.Mapped);
        Assert.Equal((read.Count, read.M, read.EfConstruction, read.Seed, read.EntryPoint, read.TopLevel),
            (mapped.Count, mapped.M, mapped.EfConstruction, mapped.Seed, mapped.EntryPoint, mapped.TopLevel));
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(read.Level(i), mapped.Level(i));
            for (int layer = 0; layer <= read.Level(i); layer++) Assert.Equal(read.Links(i, layer).ToArray(), mapped.Links(i, layer).ToArray());
        }
        Assert.Equal(File.ReadAllBytes(path), HnswTests.Bytes(mapped));
        var excluded = new HashSet<int>(Enumerable.Range(0, 300).Select(i => i * 7));
        foreach (int ef in new[] { 5, 40, rows.Length })
        {
            Assert.Equal(HnswSearch.TopK(queries, read, r => rows[r], 10, ef), HnswSearch.TopK(queries, mapped, r => rows[r], 10, ef));
            Assert.Equal(HnswSearch.TopK(queries, read, r => rows[r], 10, ef, excluded: excluded), HnswSearch.TopK(queries, mapped, r => rows[r], 10, ef, excluded: excluded));
        }
        Assert.Throws<InvalidOperationException>(() => mapped.Insert(rows.Length + 1, r => rows[r % rows.Length]));
        Assert.Throws<InvalidOperationException>(() => mapped.Replace([0], r => rows[r]));
    }

    [Fact]
    public void AWarmWalkOfTheMappedGraphAllocatesNothing()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 5, n: 2001, dim: 16, clusters: 20, nq: 4);
        var built = HnswGraph.Build(rows.Length, r => rows[r], new HnswOptions { M = 6, EfConstruction = 40, Threads = 1 });
        Assert.True(built.TopLevel >= 2); // the walk reads upper layers too
        string path = Path.Combine(Directory.CreateTempSubdirectory("skald-hnsw-mapped-alloc").FullName, "hnsw.bin");
        File.WriteAllBytes(path, HnswTests.Bytes(built));
        using var mapped = HnswGraph.Open(path, rows.Length);
        FloatRow row = r => rows[r];
        var walker = mapped.RentWalker();
        int Walk(float[] q)
        {
            var scorer = new FloatScorer(q, row);
            int node = mapped.EntryPoint;
            float similarity = scorer.Score(node);
            for (int layer = mapped.TopLevel; layer > 0; layer--) walker.Greedy(mapped, ref scorer, layer, false, ref node, ref similarity);
            walker.SearchLayer(mapped, ref scorer, node, similarity, 0, 64, false);
            return walker.Results.Count;
        }
        foreach (var q in queries) Walk(q); // warm: the walker's marks and queues grown
        long before = GC.GetAllocatedBytesForCurrentThread();
        int found = 0;
        foreach (var q in queries) found += Walk(q);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(64 * queries.Length, found);
    }

    [Fact]
    public void ADamagedFileIsNamedAsWhenReadWhole()
    {
        var (rows, _) = IvfTests.Clustered(seed: 2, n: 300, dim: 8, clusters: 5, nq: 1);
        var bytes = HnswTests.Bytes(HnswGraph.Build(rows.Length, r => rows[r], new HnswOptions { M = 8, EfConstruction = 64, Threads = 1 }));
        string dir = Directory.CreateTempSubdirectory("skald-hnsw-mapped-bad").FullName, path = Path.Combine(dir, "hnsw.bin");
        void Fails(byte[] content, int count, string message)
        {
            File.WriteAllBytes(path, content);
            var e = Assert.Throws<EvaluationException>(() => HnswGraph.Open(path, count).Dispose());
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains(message, e.Message);
            Assert.Contains(message, Assert.Throws<EvaluationException>(() => HnswGraph.Read(path, count)).Message);
        }
        Fails(bytes[..^4], 300, "too short");
        Fails([.. bytes, 0, 0, 0, 0], 300, "4 bytes after the graph");
        Fails(bytes, 301, "a graph of 300 nodes, the index holds 301 rows");
        Fails([.. "NOTHNSW!"u8, .. bytes[8..]], 300, "not a Skald HNSW file");
        Fails(bytes[..20], 300, "not a Skald HNSW file");
        var bad = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(bad.AsSpan(32 + 300 + 4), 300); // node 0's first link
        Fails(bad, 300, "node 0 links to 300 on layer 0");
        Assert.Contains("missing", Assert.Throws<EvaluationException>(() => HnswGraph.Open(Path.Combine(dir, "none.bin"), 1)).Message);
    }

    [Fact]
    public void AnIndexSearchesItsGraphMapped()
    {
        var (model, records, _) = IvfIndexTests.Corpus(100);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-hnsw-mapped-index").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, hnsw: new HnswOptions { M = 4 });
        using var index = SearchIndex.Open(folder);
        Assert.True(index.Graph!.Mapped);
    }
}
