using Skald.Models.Modules;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A memory-mapped file of an open index cut shorter in place by another process (truncated, or rewritten by a tool
/// that does not replace the file): the next search fails with one <see cref="EvaluationException"/> naming the file,
/// instead of reading the lost pages, which faults the process (SIGBUS, an AccessViolationException nothing catches).
/// </summary>
public sealed class IndexFileCutTests
{
    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-cut").FullName, "idx");

    private static void Cut(string path, long length)
    {
        using var other = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite); // as another process would
        other.SetLength(length);
    }

    private static void AssertCut(Action search, string file)
    {
        var e = Assert.Throws<EvaluationException>(search);
        Assert.StartsWith(file + ": cut to ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ASearchOfADenseIndexWhoseRowsWereCutFailsNamingTheFile()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(200);
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        string rows = Path.Combine(folder, IndexWriter.EmbeddingsFile);
        long whole = new FileInfo(rows).Length;
        using var index = SearchIndex.Open(folder);
        Assert.Equal(10, index.Search("x", queries[0], SearchMode.Dense, 10).Count);

        using (var grown = new FileStream(rows, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) grown.Write(new byte[64]); // longer: the mapped pages are all there
        Assert.Equal(10, index.Search("x", queries[0], SearchMode.Dense, 10).Count);

        Cut(rows, whole / 2);
        AssertCut(() => index.Search("x", queries[0], SearchMode.Dense, 10), rows);
        AssertCut(() => index.Search("x", queries[0], SearchMode.Hybrid, 10), rows);
        AssertCut(() => index.Search("tekst", null, SearchMode.Bm25, 10), rows); // the index is damaged whatever the mode
        Cut(rows, 0);
        AssertCut(() => index.Search("x", queries[0], SearchMode.Dense, 10), rows);
        var reopened = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.Contains(rows, reopened.Message);
    }

    [Fact]
    public void ASearchOfAnHnswIndexWhoseMappedGraphWasCutFailsNamingTheFile()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(300);
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, hnsw: new Hnsw.HnswOptions { M = 4 });
        string graph = Path.Combine(folder, IndexWriter.HnswFile);
        using var index = SearchIndex.Open(folder);
        Assert.Equal(10, index.Search("x", queries[0], SearchMode.Dense, 10).Count);
        Cut(graph, new FileInfo(graph).Length / 2);
        AssertCut(() => index.Search("x", queries[0], SearchMode.Dense, 10), graph);
    }

    /// <summary>A model that runs <paramref name="embedding"/> (another process at work) before it embeds.</summary>
    private sealed class SlowModel(IEmbeddingModel inner, Action embedding) : IEmbeddingModel
    {
        public string Name => inner.Name;
        public IReadOnlyDictionary<string, string> Metadata => inner.Metadata;
        public int Dimension => inner.Dimension;
        public SimilarityFunction Similarity => inner.Similarity;
        public bool IsSparse => inner.IsSparse;
        public IReadOnlyList<string> SplitToFit(string text, TextRole role) => inner.SplitToFit(text, role);

        public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
        {
            embedding();
            return inner.Embed(texts, role);
        }
    }

    [Fact]
    public void AnIndexAddWhileTheRowsAreCutFailsNamingTheFileAndWritesNothing()
    {
        var (model, records, _) = IvfIndexTests.Corpus(200);
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records[..160], new Bm25Options(), "nb", 0, 0);
        string rows = Path.Combine(folder, IndexWriter.EmbeddingsFile);
        long whole = new FileInfo(rows).Length;
        string manifest = File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile));
        // the kept rows are copied out of the open index's mapping after the new records are embedded, which takes long
        var cutting = new SlowModel(model, () => Cut(rows, whole / 2));
        var e = Assert.Throws<EvaluationException>(() => IndexBuilder.Add(folder, cutting, records[160..]));
        Assert.StartsWith(rows + ": cut to ", e.Message);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile))); // not rewritten
        Assert.Equal(whole / 2, new FileInfo(rows).Length);
    }

    [Fact]
    public void AnIndexAddWhileASparseIndexsRowsAreCutFailsNamingTheFile()
    {
        var (model, records) = SparseCorpus();
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records[..100], new Bm25Options(), "nb", 0, 0);
        string file = Path.Combine(folder, IndexWriter.SparseFile);
        var cutting = new SlowModel(model, () => Cut(file, new FileInfo(file).Length / 3));
        var e = Assert.Throws<EvaluationException>(() => IndexBuilder.Add(folder, cutting, records[100..]));
        Assert.StartsWith(file + ": cut to ", e.Message);
    }

    [Theory]
    [InlineData(IndexWriter.PostingsFile)]
    [InlineData(IndexWriter.SparseFile)]
    public void ASearchOfASparseIndexWhoseMappedFileWasCutFailsNamingTheFile(string name)
    {
        var (model, records) = SparseCorpus();
        var query = new float[40];
        query[3] = query[17] = 1;
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        using var index = SearchIndex.Open(folder);
        Assert.NotEmpty(index.Search("x", query, SearchMode.Dense, 5));
        string file = Path.Combine(folder, name);
        Cut(file, new FileInfo(file).Length / 3);
        AssertCut(() => index.Search("x", query, SearchMode.Dense, 5), file);
    }

    /// <summary>120 records of a sparse encoder's 40-entry vocabulary, 5 entries each.</summary>
    private static (SparseRetrievalTests.SparseTable Model, List<IndexRecord> Records) SparseCorpus()
    {
        var random = new Random(3);
        var vectors = new Dictionary<string, float[]>();
        var records = new List<IndexRecord>();
        for (int i = 0; i < 120; i++)
        {
            var v = new float[40];
            for (int k = 0; k < 5; k++) v[random.Next(40)] = 0.25f + k;
            string text = $"tekst {i}";
            vectors[text] = v;
            records.Add(new IndexRecord($"r{i}", $"doc{i}", $"doc{i}.txt", 0, text.Length, "", text));
        }
        return (new SparseRetrievalTests.SparseTable(vectors), records);
    }
}
