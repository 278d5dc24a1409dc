using System.Text.Json;
using Skald.Models.BgeM3;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A BGE-M3 index built, added to, deleted from and searched through <see cref="TextIndex"/> with the bge-m3-tiny
/// fixture: every hit's score is <see cref="BgeM3Retriever"/>'s for that document over the same live documents (within
/// 1e-6, the same ranking) and make_bge_m3.py's PyTorch score (expected_scores.json, within 1e-5), for each output alone
/// and the weighted combination; only the chosen outputs are stored; weights naming an output the index lacks, another
/// model and a manifest of the wrong version are refused in one line naming them.
/// </summary>
public sealed class BgeM3IndexTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    public static TheoryData<string, float, float, float> Modes => new()
    {
        { "dense", 1f, 0f, 0f }, { "sparse", 0f, 1f, 0f }, { "colbert", 0f, 0f, 1f }, { "combined", 0.4f, 0.2f, 0.4f }, { "sparse+dense", 1f, 1f, 0f },
    };

    private static float[][] PyTorchScores(string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "expected_scores.json")));
        return [.. doc.RootElement.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];
    }

    private static IndexRecord Row(int d) => TextIndex.Record($"d{d}", Texts[d]);

    private static int Doc(IndexHit hit) => int.Parse(hit.Record.Id[1..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Every live row's hit for queries 0..7 (texts as queries, as the reference has them): the retriever's score of the
    /// same document over <paramref name="live"/> within 1e-6, the hits in its score order, and PyTorch's score within 1e-5
    /// (<paramref name="pytorch"/>: null when a document's text was replaced).
    /// </summary>
    private static void AssertHitsAreTheRetrievers(SearchIndex index, BgeM3EmbeddingModel model, BgeM3Weights weights, int[] live,
        Func<int, string> text, float[][]? pytorch)
    {
        var corpus = live.Select(d => new CorpusDocument($"d{d}", "", text(d))).ToArray();
        int[] queries = [0, 3, 5, 7];
        var expected = new BgeM3Retriever(model.Encoder, weights, new Skald.Models.EncodeOptions { BatchSize = 7 })
            .Search(corpus, [.. queries.Select(q => Texts[q])], live.Length, null);
        for (int i = 0; i < queries.Length; i++)
        {
            var reference = expected[i].ToDictionary(h => corpus[h.Index].Id, h => h.Score);
            var hits = TextIndex.Search(index, model, Texts[queries[i]], weights, SearchMode.Dense, topK: live.Length + 5);
            Assert.Equal(live.Length, hits.Count);
            for (int h = 0; h < hits.Count; h++)
            {
                Assert.True(Math.Abs(reference[hits[h].Record.Id] - hits[h].Score) <= 1e-6, $"query {queries[i]}, {hits[h].Record.Id}: {hits[h].Score} vs {reference[hits[h].Record.Id]}");
                Assert.True(Math.Abs(expected[i][h].Score - hits[h].Score) <= 1e-6, $"query {queries[i]}: hit {h} out of the retriever's order");
                if (pytorch is not null)
                    Assert.True(Math.Abs(pytorch[queries[i]][Doc(hits[h])] - hits[h].Score) <= 1e-5, $"query {queries[i]}, {hits[h].Record.Id}: {hits[h].Score} vs PyTorch {pytorch[queries[i]][Doc(hits[h])]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void AnIndexOfAllThreeOutputsRanksAsTheRetrieverAndPyTorch(string key, float dense, float sparse, float colbert)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.All, batchSize: 5);
        int[] docs = [.. Enumerable.Range(0, Texts.Length)];
        var manifest = TextIndex.Build(folder, model, [.. docs.Select(Row)]);
        Assert.Equal(IndexManifest.BgeM3Version, manifest.Version);
        Assert.Equal(["dense", "sparse", "colbert"], manifest.BgeM3!.Outputs);
        Assert.Equal(BgeM3Storage.MeanMaxSim, manifest.BgeM3.ColbertScore);
        using var index = TextIndex.Open(folder, model);
        AssertHitsAreTheRetrievers(index, model, new BgeM3Weights(dense, sparse, colbert), docs, d => Texts[d], PyTorchScores(key));

        // What a row stores is the model's output of its text.
        var encoded = model.Encode([Texts[9]], TextRole.Document)[0];
        var row = index.BgeM3Row(9);
        Assert.Equal(encoded.Dense, row.Dense);
        Assert.Equal(encoded.Sparse!.Indices, row.Sparse!.Indices);
        Assert.Equal(encoded.Sparse.Values, row.Sparse.Values);
        Assert.Equal(encoded.Colbert!.Values, row.Colbert!.Values);
    }

    [Fact]
    public void AddedReplacedAndDeletedRowsAreSearchedAsTheLiveDocuments()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, 14).Select(Row)]);
        Assert.Equal(2, IndexBuilder.Delete(folder, ["d4", "d9"], []));
        // d2 comes again with another text (its old row is replaced), 14..19 are new; the deleted rows are compacted away.
        var (added, replaced) = TextIndex.Add(folder, model, [TextIndex.Record("d2", Texts[30]), .. Enumerable.Range(14, 6).Select(Row)]);
        Assert.Equal((7, 1), (added, replaced));
        int[] live = [.. Enumerable.Range(0, 20).Where(d => d is not (4 or 9))];
        string Text(int d) => d == 2 ? Texts[30] : Texts[d];
        using var index = TextIndex.Open(folder, model);
        Assert.Equal(live.Length, index.Records.Count);
        AssertHitsAreTheRetrievers(index, model, new BgeM3Weights(0.4f, 0.2f, 0.4f), live, Text, null);

        IndexBuilder.Delete(folder, ["d15"], []);
        using var after = TextIndex.Open(folder, model);
        AssertHitsAreTheRetrievers(after, model, BgeM3Weights.Equal, [.. live.Where(d => d != 15)], Text, null);
    }

    [Fact]
    public void AnIndexOfOneOutputStoresItAloneAndRefusesWeightsForTheOthers()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.Sparse);
        var manifest = TextIndex.Build(folder, model, [.. Enumerable.Range(0, 10).Select(Row)]);
        Assert.Equal(["sparse"], manifest.BgeM3!.Outputs);
        Assert.Null(manifest.BgeM3.ColbertScore);
        Assert.Equal(
            [IndexWriter.Bm25File, IndexWriter.SparseFile, IndexWriter.ManifestFile, IndexWriter.RecordsFile, IndexWriter.PostingsFile, IndexWriter.TombstonesFile],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var index = TextIndex.Open(folder, model);
        Assert.Equal(BgeM3Weights.SparseOnly, TextIndex.DefaultWeights(index));
        AssertHitsAreTheRetrievers(index, model, BgeM3Weights.SparseOnly, [.. Enumerable.Range(0, 10)], d => Texts[d], PyTorchScores("sparse"));
        var e = Assert.Throws<ArgumentException>(() => TextIndex.Search(index, model, Texts[0], new BgeM3Weights(0.4f, 0.2f, 0.4f)));
        Assert.Contains("dense and colbert scores, but the index stores only sparse", e.Message);
        Assert.NotEmpty(TextIndex.Search(index, model, Texts[5], null, SearchMode.Bm25, 3)); // BM25 needs no model output
        Assert.NotEmpty(TextIndex.Search(index, model, Texts[5], null, SearchMode.Hybrid, 3));
    }

    [Fact]
    public void AnIndexOfColbertVectorsAloneAddsAndSearches()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.Colbert);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, 6).Select(Row)]);
        TextIndex.Add(folder, model, [.. Enumerable.Range(6, 4).Select(Row)]);
        Assert.False(File.Exists(Path.Combine(folder, IndexWriter.EmbeddingsFile)));
        using var index = TextIndex.Open(folder, model);
        AssertHitsAreTheRetrievers(index, model, BgeM3Weights.ColbertOnly, [.. Enumerable.Range(0, 10)], d => Texts[d], PyTorchScores("colbert"));
    }

    [Fact]
    public void HeadsChangedBesideTheSameTransformerAreAChangedModel()
    {
        string copy = TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        IndexManifest manifest;
        using (var model = BgeM3EmbeddingModel.Load(copy)) manifest = TextIndex.Build(folder, model, [Row(0), Row(1)]);
        Assert.True(ModelFingerprint.Unchanged(manifest, copy, folder));
        // another colbert_linear.pt (its bytes reversed), the transformer's files untouched
        File.WriteAllBytes(Path.Combine(copy, "colbert_linear.pt"), [.. File.ReadAllBytes(Path.Combine(copy, "colbert_linear.pt")).Reverse()]);
        Assert.False(ModelFingerprint.Unchanged(manifest, copy, folder));
    }

    [Fact]
    public void AnotherKindOfModelOrIndexIsRefusedInOneLine()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, 4).Select(Row)]);
        // the same folder as a plain dense model: the index is BGE-M3's
        using (var dense = EncoderEmbeddingModel.Load(Model))
        {
            var e = Assert.Throws<ArgumentException>(() => TextIndex.Open(folder, dense));
            Assert.Contains("holds BGE-M3 outputs", e.Message);
            var add = Assert.Throws<EvaluationException>(() => TextIndex.Add(folder, dense, [Row(5)]));
            Assert.Contains("is not BGE-M3", add.Message);
        }
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Throws<ArgumentException>(() => index.Search("x", new float[model.Dimension], SearchMode.Dense, 3));
            Assert.Throws<InvalidOperationException>(() => index.SearchTokens("x", null, SearchMode.Dense, 3));
        }
        // a dense index of the same folder, opened as BGE-M3
        string plain = Path.Combine(TestPaths.NewTempDir(), "plain");
        using (var dense = EncoderEmbeddingModel.Load(Model)) TextIndex.Build(plain, dense, [Row(0), Row(1)]);
        Assert.Contains("another kind of vectors", Assert.Throws<ArgumentException>(() => TextIndex.Open(plain, model)).Message);
        Assert.Contains("this model (bge-m3-tiny) makes BGE-M3 outputs", Assert.Throws<EvaluationException>(() => TextIndex.Add(plain, model, [Row(2)])).Message);

        // An older Skald's version number with bge_m3 (or version 3 without it) is one line naming the manifest.
        string manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        string json = File.ReadAllText(manifest);
        File.WriteAllText(manifest, json.Replace($"\"version\": {IndexManifest.BgeM3Version}", "\"version\": 2", StringComparison.Ordinal));
        var old = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.Equal($"{manifest}: bge_m3 needs version {IndexManifest.BgeM3Version}, not 2", old.Message);
        File.WriteAllText(manifest, json.Replace("\"colbert\"\n", "\"lexical\"\n", StringComparison.Ordinal).Replace("\"colbert\"\r\n", "\"lexical\"\r\n", StringComparison.Ordinal));
        Assert.Contains("bge_m3.outputs names \"lexical\"", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }
}
