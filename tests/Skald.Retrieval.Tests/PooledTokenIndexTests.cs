using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A ColBERT index built with <see cref="MultiVectorEmbeddingModel.PoolFactor"/> (the library side of
/// <c>index build --pool-factor</c>): the manifest records the factor, and rows added with a model pooling otherwise
/// are refused in one line rather than stored unlike the others.
/// </summary>
public sealed class PooledTokenIndexTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");

    private static IndexRecord Row(int d, string[] texts) => TextIndex.Record($"d{d}", texts[d]);

    [Fact]
    public void AddingWithAnotherPoolFactorIsRefused()
    {
        string[] texts = [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).Take(6)];
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var pooled = MultiVectorEmbeddingModel.Load(Model, poolFactor: 3);
        Assert.Equal(3, TextIndex.Build(folder, pooled, [.. Enumerable.Range(0, 4).Select(d => Row(d, texts))]).PoolFactor);
        using var plain = new MultiVectorEmbeddingModel(pooled.Encoder);
        var e = Assert.Throws<EvaluationException>(() => IndexBuilder.Add(folder, plain, [Row(4, texts)]));
        Assert.Contains("pooled by 3; this model pools them by 1", e.Message);
        Assert.Equal(1, IndexBuilder.Add(folder, pooled, [Row(5, texts)]).Added);
        using var index = SearchIndex.Open(folder);
        Assert.Equal(TokenPooling.Pool(pooled.Encoder.EncodeDocuments([texts[5]])[0], 3).Count, index.TokenCount(4));
    }
}
