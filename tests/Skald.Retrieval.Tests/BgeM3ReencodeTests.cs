using System.Text.Json;
using Skald.Models.BgeM3;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <c>index reindex --model</c> of a BGE-M3 index (<see cref="IndexBuilder.Reencode"/>, the ColBERT index's code path)
/// with the bge-m3-tiny fixture: encoding the live chunks again with the model in another folder makes, file for file,
/// the index that building over those records with that model and the stored outputs makes (dense + sparse; all three
/// with the ColBERT vectors PLAID coded, the codec trained again), deleted rows dropped, whatever outputs the model was
/// loaded for; a model of another kind is one line naming the folder.
/// </summary>
public sealed class BgeM3ReencodeTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    private static IndexRecord Row(int d) => TextIndex.Record($"d{d}", Texts[d]);

    [Theory]
    [InlineData(BgeM3Outputs.Dense | BgeM3Outputs.Sparse, false)]
    [InlineData(BgeM3Outputs.All, true)]
    public void ReencodingMakesTheIndexThatBuildingWithTheNewModelMakes(BgeM3Outputs outputs, bool plaid)
    {
        var codec = plaid ? new PlaidOptions { Bits = 2, Centroids = 8 } : null;
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx"), built = Path.Combine(TestPaths.NewTempDir(), "idx");
        string other = TestPaths.CopyOfFixtureModel("bge-m3-tiny"); // the "new" model: another folder
        int n = 16;
        using (var model = BgeM3EmbeddingModel.Load(Model, outputs))
            TextIndex.Build(folder, model, [.. Enumerable.Range(0, n).Select(Row)], "nb", plaid: plaid ? new PlaidOptions { Bits = 2, Centroids = 4 } : null);
        IndexBuilder.Delete(folder, ["d3", "d9"], []);
        IndexManifest manifest;
        using (var loadedForDense = BgeM3EmbeddingModel.Load(other, BgeM3Outputs.Dense)) // the index's stored outputs are made, not the model's
            manifest = IndexBuilder.Reencode(folder, loadedForDense, other, codec);
        using var newModel = BgeM3EmbeddingModel.Load(other, outputs);
        TextIndex.Build(built, newModel, [.. Enumerable.Range(0, n).Where(d => d is not (3 or 9)).Select(Row)], "nb", plaid: codec);

        Assert.Equal(n - 2, manifest.Rows);
        var files = Directory.GetFiles(built).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(files, Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order().ToArray());
        foreach (string file in files.Where(f => f != IndexWriter.ManifestFile))
            Assert.True(File.ReadAllBytes(Path.Combine(built, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(folder, file))), $"{outputs}: {file} differs");
        var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(built, IndexWriter.ManifestFile))).RootElement;
        var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile))).RootElement;
        Assert.Equal(a.EnumerateObject().Select(p => p.Name).Order(), b.EnumerateObject().Select(p => p.Name).Order());
        foreach (var p in a.EnumerateObject().Where(p => p.Name != "updated"))
            Assert.Equal(p.Value.GetRawText(), b.GetProperty(p.Name).GetRawText());
        Assert.Equal(Path.GetFullPath(other), b.GetProperty("model").GetString());
        using var index = TextIndex.Open(folder, newModel); // the new folder's fingerprint recorded
        Assert.Equal("d7", TextIndex.Search(index, newModel, Texts[7], mode: SearchMode.Dense, topK: 3)[0].Record.Id);
    }

    [Fact]
    public void AModelOfAnotherKindIsOneLine()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.Dense);
        TextIndex.Build(folder, model, [Row(0), Row(1)]);
        using var colbert = MultiVectorEmbeddingModel.Load(TestPaths.FixtureModel("colbert-bert-tiny"));
        var e = Assert.Throws<EvaluationException>(() => IndexBuilder.Reencode(folder, colbert, colbert.ModelPath));
        Assert.Equal($"{folder}: the index holds BGE-M3 outputs; {colbert.Name} is not a BGE-M3 model", e.Message);
        string late = Path.Combine(TestPaths.NewTempDir(), "late");
        TextIndex.Build(late, colbert, [Row(0), Row(1)]);
        e = Assert.Throws<EvaluationException>(() => IndexBuilder.Reencode(late, model, Model));
        Assert.Equal($"{late}: the index holds token vectors ({colbert.Kind}); {model.Name} is not a late-interaction model", e.Message);
    }
}
