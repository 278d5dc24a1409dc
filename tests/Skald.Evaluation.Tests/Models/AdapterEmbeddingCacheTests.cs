using Skald.Evaluation.Models;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests.Models;

/// <summary>
/// The embedding cache of an adapter folder given as the model (<see cref="EmbeddingCache.ModelKey"/>) is keyed by its
/// base's files too: a base trained again in place is a new key, so its stale vectors are not served from the cache.
/// So is a reranker's (a benchmark's FIRST&gt;CE results are cached under the key of CE): an adapter folder on a
/// cross-encoder, which an embedding load refuses, is still read through to its base.
/// </summary>
public sealed class AdapterEmbeddingCacheTests
{
    [Fact]
    public void ABaseChangedInPlaceIsEmbeddedAgainNotReadFromTheCache()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = BertLoraFolder.Write(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        var options = new EvaluationEmbeddingOptions { CacheDirectory = TestPaths.NewTempDir() };
        string[] texts = ["Toget går klokka ni"];
        float[] before;
        using (var first = EvaluationEmbeddingModel.Load(adapter, options))
            before = first.Embed(texts, TextRole.Document)[0];

        // the base trained again in place: its Pooling now takes the [CLS] token, not the mean
        string pooling = Path.Combine(model, "1_Pooling", "config.json");
        File.WriteAllText(pooling, File.ReadAllText(pooling).Replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": false")
            .Replace("\"pooling_mode_cls_token\": false", "\"pooling_mode_cls_token\": true"));
        using var again = EvaluationEmbeddingModel.Load(adapter, options);
        var after = again.Embed(texts, TextRole.Document)[0];
        Assert.Equal(1, again.EncodedCount); // embedded by the changed model, not served from the cache
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void ARerankerAdapterFolderIsKeyedByItsBaseToo()
    {
        string ce = TestPaths.CopyOfFixtureModel("ce-bert");
        string adapter = BertLoraFolder.Write(Path.Combine(TestPaths.NewTempDir(), "lora"), ce, "bert.");
        string before = EmbeddingCache.ModelKey(adapter, "rerank");
        Assert.Equal(before, EmbeddingCache.ModelKey(adapter, "rerank"));
        File.AppendAllText(Path.Combine(ce, "config.json"), "\n"); // the cross-encoder trained again in place
        Assert.NotEqual(before, EmbeddingCache.ModelKey(adapter, "rerank"));
    }
}
