using System.Text.Json;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <c>index reindex --model</c> of a ColBERT index (<see cref="IndexBuilder.Reencode"/>): encoding an index's live
/// chunks again with a model in another folder makes, file for file, the index that building over those records with
/// that model and the index's token format makes (float32, int8, PLAID with its codec trained again), deleted rows
/// dropped, the new folder's model (and its document pooling) recorded and searchable; a PLAID index keeps its bits by default; an index of
/// another kind is one line naming the folder.
/// </summary>
public sealed class ReencodeTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    private static IndexRecord Row(int d) => TextIndex.Record($"d{d}", Texts[d]);

    [Theory]
    [InlineData(TokenPrecision.Float32)]
    [InlineData(TokenPrecision.Int8)]
    [InlineData(TokenPrecision.Plaid)]
    public void ReencodingMakesTheIndexThatBuildingWithTheNewModelMakes(TokenPrecision precision)
    {
        var plaid = precision == TokenPrecision.Plaid ? new PlaidOptions { Bits = 1, Centroids = 16 } : null;
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx"), built = Path.Combine(TestPaths.NewTempDir(), "idx");
        string other = TestPaths.CopyOfFixtureModel("colbert-bert-tiny"); // the "new" model: another folder
        using var model = MultiVectorEmbeddingModel.Load(Model, batchSize: 8);
        using var newModel = MultiVectorEmbeddingModel.Load(other, batchSize: 8);
        int n = 20;
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, n).Select(Row)], "nb", precision: precision,
            plaid: precision == TokenPrecision.Plaid ? new PlaidOptions { Bits = 1, Centroids = 8 } : null);
        IndexBuilder.Delete(folder, ["d4", "d11"], []);
        var manifest = IndexBuilder.Reencode(folder, newModel, other, plaid);
        TextIndex.Build(built, newModel, [.. Enumerable.Range(0, n).Where(d => d is not (4 or 11)).Select(Row)], "nb", precision: precision, plaid: plaid);

        Assert.Equal(n - 2, manifest.Rows);
        var files = Directory.GetFiles(built).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(files, Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order().ToArray());
        foreach (string file in files.Where(f => f != IndexWriter.ManifestFile))
            Assert.True(File.ReadAllBytes(Path.Combine(built, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(folder, file))), $"{precision}: {file} differs");
        var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(built, IndexWriter.ManifestFile))).RootElement;
        var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile))).RootElement;
        Assert.Equal(a.EnumerateObject().Select(p => p.Name).Order(), b.EnumerateObject().Select(p => p.Name).Order());
        foreach (var p in a.EnumerateObject().Where(p => p.Name != "updated"))
            Assert.Equal(p.Value.GetRawText(), b.GetProperty(p.Name).GetRawText());
        Assert.Equal(Path.GetFullPath(other), b.GetProperty("model").GetString());
        using var index = TextIndex.Open(folder, newModel); // the new folder's fingerprint recorded
        Assert.Equal("d7", TextIndex.Search(index, newModel, Texts[7], SearchMode.Dense, topK: 3)[0].Record.Id);
    }

    [Fact]
    public void ReencodingWithAPoolingModelMakesThePooledIndexBuildingMakes()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx"), built = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model, batchSize: 8);
        using var pooled = MultiVectorEmbeddingModel.Load(Model, batchSize: 8, poolFactor: 2);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, 8).Select(Row)]);
        Assert.Equal(2, IndexBuilder.Reencode(folder, pooled, Model).PoolFactor);
        TextIndex.Build(built, pooled, [.. Enumerable.Range(0, 8).Select(Row)]);
        foreach (string file in new[] { "tokens.f32", "tokens.offsets" })
            Assert.True(File.ReadAllBytes(Path.Combine(built, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(folder, file))), $"{file} differs");
        using (var index = SearchIndex.Open(folder)) Assert.Equal(2, index.Manifest.PoolFactor);
        TextIndex.Add(folder, pooled, [Row(8)]); // the index now says its vectors are pooled by 2, as they are
    }

    [Fact]
    public void APlaidIndexKeepsItsBitsAndAnotherKindOfIndexIsOneLine()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model, batchSize: 8);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, 12).Select(Row)], precision: TokenPrecision.Plaid, plaid: new PlaidOptions { Bits = 1, Centroids = 8 }); // 1 bit, not PlaidOptions' default 2
        var manifest = IndexBuilder.Reencode(folder, model, Model);
        Assert.Equal(1, manifest.PlaidBits);
        long tokens = model.Encode([.. Enumerable.Range(0, 12).Select(d => Texts[d])], TextRole.Document).Sum(t => (long)t.Count);
        Assert.Equal(ResidualCodec.CentroidsFor(tokens, tokens), manifest.PlaidCentroids); // ColBERTv2's count for the new vectors

        var refused = Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(folder, new DenseLayout()));
        Assert.Contains("give --model to encode its chunks again", refused.Message);
        var (dense, records, _) = IvfIndexTests.Corpus(30, seed: 2);
        string denseFolder = Path.Combine(TestPaths.NewTempDir(), "dense");
        IndexBuilder.Build(denseFolder, dense, denseFolder, records, new Bm25.Bm25Options(), "nb", 0, 0);
        var e = Assert.Throws<EvaluationException>(() => IndexBuilder.Reencode(denseFolder, model, Model));
        Assert.Equal($"{denseFolder}: re-encoding with a model is for a late-interaction (ColBERT) or BGE-M3 index; this one holds single vectors " +
            "(index reindex without --model lays a dense index's stored rows out anew)", e.Message);
    }
}
