using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Models.Tests.Sparse;

/// <summary>
/// CSR sparse encoders (sentence-transformers' SparseEncoder: Transformer → Pooling → Normalize → SparseAutoEncoder)
/// against fixtures/models/make_csr.py's float64 forward of the folders' own weights (csr-bert-tiny; csr-bert-tiny-ln
/// with the input standardised), with k and with max_active_dims 4.
/// </summary>
public sealed class CsrEncoderTests
{
    private sealed record Expected(string Text, int[] Ids, int[] Indices, double[] Values);

    private static List<Expected> Read(string file) =>
        [.. File.ReadLines(file).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Expected(r.GetProperty("text").GetString()!, [.. r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())],
                [.. r.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32())], [.. r.GetProperty("values").EnumerateArray().Select(x => x.GetDouble())]);
        })];

    [Theory]
    [InlineData("csr-bert-tiny", "expected.jsonl", null)]
    [InlineData("csr-bert-tiny", "expected_k4.jsonl", 4)]
    [InlineData("csr-bert-tiny-ln", "expected.jsonl", null)]
    [InlineData("csr-bert-tiny-ln", "expected_k4.jsonl", 4)]
    public void SparseCodesMatchPyTorchReference(string fixture, string file, int? maxActiveDims)
    {
        string folder = TestPaths.FixtureModel(fixture);
        var model = SentenceEncoder.Load(folder);
        Assert.True(model.IsSparse);
        Assert.NotNull(model.AutoEncoder);
        Assert.Equal(128, model.Dimension);
        Assert.Equal(SimilarityFunction.Dot, model.SimilarityFunction);
        Assert.Equal(fixture.EndsWith("-ln", StringComparison.Ordinal), model.AutoEncoder!.Config.Normalize);
        var expected = Read(Path.Combine(folder, file));
        var texts = expected.Select(e => e.Text).ToList();
        var encodings = model.Tokenize(texts);
        for (int i = 0; i < texts.Count; i++) Assert.Equal(expected[i].Ids, encodings[i].Ids);
        var sparse = model.EncodeSparse(texts, new EncodeOptions { BatchSize = 3 }, maxActiveDims); // padded batches of mixed lengths
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(expected[i].Indices, sparse[i].Indices);
            for (int j = 0; j < expected[i].Values.Length; j++)
                Assert.True(Math.Abs(sparse[i].Values[j] - expected[i].Values[j]) <= 1e-5, $"text {i}, latent {expected[i].Indices[j]}: {sparse[i].Values[j]} vs {expected[i].Values[j]}");
        }
    }

    [Fact]
    public void MaxActiveDimsAboveKKeepsMoreLatentsThanPruningCould()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("csr-bert-tiny"));
        string text = "Skald lager vektorer av tekst.";
        var k = model.EncodeSparse([text])[0];
        var wide = model.EncodeSparse([text], maxActiveDims: 16)[0];
        Assert.Equal(8, k.Count);
        Assert.True(wide.Count > 8, $"{wide.Count} latents kept with max_active_dims 16"); // the module's k replaced, not a prune of its 8
        Assert.Subset(wide.Indices.ToHashSet(), k.Indices.ToHashSet());
    }

    [Fact]
    public void ModulesAfterTheAutoEncoderAreRefusedWithTheFile()
    {
        using var copy = new TempFolderCopy(TestPaths.FixtureModel("csr-bert-tiny"));
        string modules = Path.Combine(copy.Path, "modules.json");
        File.WriteAllText(modules, File.ReadAllText(modules).TrimEnd().TrimEnd(']') +
            ", {\"idx\": 4, \"name\": \"4\", \"path\": \"4_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}]");
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(copy.Path));
        Assert.Contains("modules.json", e.Message);
        Assert.Contains("after the SparseAutoEncoder", e.Message);
    }

    [Fact]
    public void AWrongInputWidthOrKIsOneLineNamingTheConfig()
    {
        using var copy = new TempFolderCopy(TestPaths.FixtureModel("csr-bert-tiny"));
        string config = Path.Combine(copy.Path, "3_SparseAutoEncoder", "config.json");
        string original = File.ReadAllText(config);
        File.WriteAllText(config, original.Replace("\"k\": 8", "\"k\": 500", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(copy.Path));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("\"k\"", e.Message);
        File.WriteAllText(config, original.Replace("\"input_dim\": 32", "\"input_dim\": 64", StringComparison.Ordinal));
        e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(copy.Path));
        Assert.Contains("pre_bias", e.Message); // the stored [32] does not fit input_dim 64
        Assert.Contains("64", e.Message);
    }

    [Fact]
    public void TheStatisticsBufferIsReadFromTheFile()
    {
        var sae = SentenceEncoder.Load(TestPaths.FixtureModel("csr-bert-tiny")).AutoEncoder!;
        Assert.Equal(128, sae.Stats.Length);
        Assert.Equal(41, sae.Stats.Count(s => s > sae.Config.DeadThreshold)); // make_csr.py: 41 of 128 start dead
        Assert.Equal("3_SparseAutoEncoder/encoder.weight", sae.Weight.Name);
        Assert.False(sae.PreBias.WeightDecay);
        Assert.False(sae.LatentBias.WeightDecay);
    }
}
