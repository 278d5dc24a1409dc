using System.Text.Json.Nodes;
using Skald.Models.CrossEncoders;

namespace Skald.Models.Tests.CrossEncoders;

/// <summary>
/// <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Skald.Tensors.WeightPrecision)"/> refuses a
/// cross-encoder in one line naming it and pointing to <see cref="CrossEncoder.Load"/> / skald rerank: a
/// sentence-transformers CrossEncoder folder (ce-bert), a *ForSequenceClassification folder without the
/// sentence_transformers key (as skald merge writes a SEQ_CLS adapter merged), a PEFT adapter on one, and a SEQ_CLS
/// adapter given to merge. Mean pooling such a folder (as sentence-transformers does with a warning) drops its head.
/// A plain encoder folder without modules.json still loads with mean pooling. What reads a cross-encoder's encoder on
/// purpose (training one, skald info) goes through <see cref="SentenceEncoder.LoadAnyHead"/>, which does not refuse it,
/// and <see cref="SentenceEncoder.Sources"/> describes one (a reranker's cache key reads its adapter's base).
/// </summary>
public sealed class CrossEncoderAsEmbeddingModelTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Adapter(string name, string baseModel, string prefix, string? taskType = null) =>
        BertLoraFolder.Write(Path.Combine(dir, name), baseModel, prefix, taskType);

    private static void AssertRefused(string named, Action load)
    {
        var e = Assert.Throws<ModelFormatException>(load);
        Assert.StartsWith(named + ": a cross-encoder", e.Message);
        Assert.Contains("CrossEncoder.Load", e.Message);
        Assert.Contains("skald rerank", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ASentenceTransformersCrossEncoderFolderIsRefused()
    {
        string ce = TestPaths.FixtureModel("ce-bert");
        AssertRefused(ce, () => SentenceEncoder.Load(ce).Dispose());
        AssertRefused(ce, () => SentenceEncoder.LoadCached(ce).Dispose());
    }

    [Fact]
    public void AClassifierFolderWithoutSentenceTransformersKeysIsRefused()
    {
        string folder = Path.Combine(dir, "merged");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(TestPaths.FixtureModel("ce-bert"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        Assert.True(config.Remove("sentence_transformers"));
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        AssertRefused(folder, () => SentenceEncoder.Load(folder).Dispose());
    }

    [Fact]
    public void AnAdapterOnACrossEncoderOrOfTaskSeqClsIsRefusedByItsName()
    {
        string onCe = Adapter("on-ce", TestPaths.FixtureModel("ce-bert"), "bert.");
        AssertRefused(onCe, () => SentenceEncoder.Load(onCe).Dispose());
        string seqCls = Adapter("seq-cls", TestPaths.FixtureModel("bert-cased-mean"), "", "SEQ_CLS");
        AssertRefused(seqCls, () => SentenceEncoder.Load(seqCls).Dispose());
        string plain = Adapter("plain", TestPaths.FixtureModel("bert-cased-mean"), "");
        AssertRefused(seqCls, () => SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"), [plain, seqCls]).Dispose());
        using var merged = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"), [plain]); // an embedding adapter merges
        Assert.Single(merged.Adapters);
    }

    [Fact]
    public void APlainEncoderFolderStillLoadsWithMeanPooling()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("plain-bert"));
        Assert.Equal(Skald.Models.Modules.PoolingMode.Mean, model.Pooling.Modes);
    }

    [Fact]
    public void TheLoaderForTrainingAndInfoReadsACrossEncodersEncoderAsCrossEncoderLoadDoes()
    {
        string ce = TestPaths.FixtureModel("ce-bert");
        using var encoder = SentenceEncoder.LoadAnyHead(ce);
        using var reranker = CrossEncoder.Load(ce);
        var expected = reranker.Transformer.Parameters.ToDictionary(p => p.Name, p => p.Data.ToArray());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), encoder.Transformer.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var p in encoder.Transformer.Parameters) Assert.Equal(expected[p.Name], p.Data.ToArray());
        string onCe = Adapter("on-ce-any", ce, "bert.");
        using var adapted = SentenceEncoder.LoadAnyHead(onCe);
        Assert.Equal([onCe], adapted.Adapters);
        var (folder, _, adapters) = SentenceEncoder.Sources(onCe);
        Assert.Equal(Path.GetFullPath(ce), Path.GetFullPath(folder.Path));
        Assert.Equal([onCe], adapters);
    }
}
