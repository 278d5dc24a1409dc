using System.Numerics.Tensors;
using System.Text.Json;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <c>index reindex</c> (<see cref="IndexBuilder.Reindex"/>): a layout laid out from an index's stored rows is the
/// index that building with that layout makes, file for file; deleted rows are dropped; a sparse index is refused.
/// </summary>
public sealed class ReindexTests
{
    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-reindex").FullName, "idx");

    private static IndexManifest Build(string folder, TableModel model, List<IndexRecord> records, DenseLayout layout) =>
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, null, layout.Precision, layout.Ivf, layout.Hnsw,
            pq: layout.Pq);

    public static TheoryData<string> Layouts => ["exact", "int8", "ubinary", "ivf", "ivf+pq", "pq", "hnsw", "hnsw+pq"];

    private static DenseLayout Layout(string name) => name switch
    {
        "exact" => new DenseLayout(),
        "int8" => new DenseLayout { Precision = EmbeddingPrecision.Int8 },
        "ubinary" => new DenseLayout { Precision = EmbeddingPrecision.Ubinary },
        "ivf" => new DenseLayout { Ivf = new IvfOptions { Lists = 12, Probes = 3 } },
        "ivf+pq" => new DenseLayout { Ivf = new IvfOptions { Lists = 12 }, Pq = new ProductQuantizerOptions { Subspaces = 8 } },
        "pq" => new DenseLayout { Pq = new ProductQuantizerOptions { Subspaces = 4 } },
        "hnsw" => new DenseLayout { Hnsw = new HnswOptions { M = 8, Threads = 1 } },
        _ => new DenseLayout { Hnsw = new HnswOptions { M = 8, Threads = 1 }, Pq = new ProductQuantizerOptions { Subspaces = 4 } },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ReindexingAnExactIndexMakesTheIndexThatBuildingWithTheLayoutMakes(string name)
    {
        var (model, records, _) = IvfIndexTests.Corpus(600, seed: 9);
        string built = Folder(), reindexed = Folder();
        Build(built, model, records, Layout(name));
        Build(reindexed, model, records, Layout("hnsw+pq")); // another layout first (one that keeps the row order): reindexing replaces all of it
        IndexBuilder.Reindex(reindexed, Layout("exact"));
        Assert.Equal(600, IndexBuilder.Reindex(reindexed, Layout(name)).Rows);
        var files = Directory.GetFiles(built).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(files, Directory.GetFiles(reindexed).Select(f => Path.GetFileName(f)).Order().ToArray());
        foreach (string file in files.Where(f => f != IndexWriter.ManifestFile))
            Assert.True(File.ReadAllBytes(Path.Combine(built, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(reindexed, file))), $"{name}: {file} differs");
        var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(built, IndexWriter.ManifestFile))).RootElement;
        var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(reindexed, IndexWriter.ManifestFile))).RootElement;
        foreach (var p in a.EnumerateObject().Where(p => p.Name is not ("updated" or "model"))) // the test's model path is its folder
            Assert.Equal(p.Value.GetRawText(), b.GetProperty(p.Name).GetRawText());
    }

    [Fact]
    public void DeletedRowsAreDroppedAndTheListsTrainedOnTheLiveRows()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(700, seed: 10);
        string folder = Folder();
        Build(folder, model, records, Layout("ivf"));
        Assert.Equal(8, IndexBuilder.Delete(folder, ["doc3", "doc40"], []));
        var manifest = IndexBuilder.Reindex(folder, new DenseLayout { Ivf = new IvfOptions { Lists = 10, Probes = 10 } });
        Assert.Equal((692, 10), (manifest.Rows, manifest.IvfLists));
        using var index = SearchIndex.Open(folder);
        Assert.Empty(index.Deleted);
        Assert.DoesNotContain(index.Records, r => r.Document is "doc3" or "doc40");
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, stored.Length).Select(index.Lists!.ListOf), index.Lists.Assign(stored));
        var vectors = records.ToDictionary(r => r.Id, r => ExactSearch.Normalize(model.Embed([r.Text], Models.TextRole.Document))[0]);
        Assert.All(index.Records.Select((r, i) => (r, i)), x => Assert.True(vectors[x.r.Id].AsSpan().SequenceEqual(stored[x.i])));
        foreach (var q in queries)
        {
            var nq = ExactSearch.Normalize([q])[0];
            var expected = index.Records.Select(r => r.Id).OrderByDescending(id => TensorPrimitives.Dot(nq, vectors[id])).Take(5);
            Assert.Equal(expected, index.Search("x", q, SearchMode.Dense, 5).Select(h => h.Record.Id)); // every list probed
        }
    }

    [Fact]
    public void ATruncatedReindexIsTheIndexOfTheModelCutToThatWidth()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(500, seed: 13);
        string full = Folder(), cut = Folder();
        Build(full, model, records, Layout("exact"));
        // The model cut to 8 values: what `index build --truncate-dim 8` embeds (before the index normalises).
        var narrow = new TableModel(records.Select(r => r.Text).Concat(Enumerable.Range(0, queries.Length).Select(i => $"spørsmål {i}"))
            .ToDictionary(t => t, t => model.Embed([t], Models.TextRole.Document)[0][..8]));
        IndexBuilder.Build(cut, narrow, cut, records, new Bm25Options(), "nb", 0, 0, truncateDim: 8);
        var manifest = IndexBuilder.Reindex(full, new DenseLayout { Pq = new ProductQuantizerOptions { Subspaces = 4 } }, truncateDim: 8);
        Assert.Equal((8, 8, 4), (manifest.Dimension, manifest.TruncateDim, manifest.PqSubspaces));
        using var reindexed = SearchIndex.Open(full);
        using var built = SearchIndex.Open(cut);
        for (int r = 0; r < records.Count; r++)
        {
            var a = reindexed.Vector(r).ToArray();
            var b = built.Vector(r).ToArray();
            for (int j = 0; j < 8; j++) Assert.Equal(b[j], a[j], 1e-6f);
        }
        foreach (var q in queries) // the model's full query, cut by the index
            Assert.Equal(built.Search("x", q[..8], SearchMode.Dense, 5).Select(h => h.Record.Id),
                reindexed.Search("x", q, SearchMode.Dense, 5, null, 500).Select(h => h.Record.Id));
        Assert.Contains("below the index's 8", Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(full, new DenseLayout(), truncateDim: 8)).Message);
    }

    [Fact]
    public void ImpossibleLayoutsAndSparseIndexesAreRefusedWithOneLine()
    {
        var (model, records, _) = IvfIndexTests.Corpus(100, seed: 11);
        string folder = Folder();
        Build(folder, model, records, Layout("exact"));
        var manifest = File.ReadAllBytes(Path.Combine(folder, IndexWriter.ManifestFile));
        Assert.Contains("101 IVF lists", Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(folder, new DenseLayout { Ivf = new IvfOptions { Lists = 101 } })).Message);
        Assert.Contains("divisor", Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(folder, new DenseLayout { Pq = new ProductQuantizerOptions { Subspaces = 3 } })).Message);
        Assert.Equal(manifest, File.ReadAllBytes(Path.Combine(folder, IndexWriter.ManifestFile))); // refused before anything was written (its "updated" time too)
        var sparse = new SparseRetrievalTests.SparseTable(records.ToDictionary(r => r.Text, r => new[] { 1f, 0f, 2f }));
        string sparseFolder = Folder();
        IndexBuilder.Build(sparseFolder, sparse, sparseFolder, records, new Bm25Options(), "nb", 0, 0);
        Assert.Contains("sparse", Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(sparseFolder, new DenseLayout())).Message);
    }
}
