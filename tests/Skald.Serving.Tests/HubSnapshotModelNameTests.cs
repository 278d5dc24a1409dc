using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Serving.Tests;

/// <summary>
/// A model given by hub id is loaded from huggingface_hub's cache, <c>models--org--name/snapshots/{commit}</c>: the
/// embedding and rerank services (the <c>model</c> of every answer and of <c>/v1/models</c>) and the retrieval models
/// (the names in evaluation results) call it <c>org/name</c>, as <c>SkaldEmbeddingGenerator</c> does, not by the commit
/// hash; a plain folder keeps its own name.
/// </summary>
public sealed class HubSnapshotModelNameTests
{
    private const string Commit = "89abcdef0123456789abcdef0123456789abcdef";

    private static string Snapshot(string cache, string repository, string fixture) =>
        TestPaths.CopyFolder(TestPaths.FixtureModel(fixture), Path.Combine(cache, "models--" + repository.Replace("/", "--"), "snapshots", Commit));

    [Fact]
    public void ServicesAndRetrievalModelsNameASnapshotByItsRepository()
    {
        string cache = TestPaths.NewTempDir();
        using var encoder = SentenceEncoder.Load(Snapshot(cache, "NbAiLab/tiny-sbert", "bert-cased-mean"));
        using var reranker = CrossEncoder.Load(Snapshot(cache, "NbAiLab/tiny-reranker", "ce-bert"));
        using (var service = new EmbeddingService(encoder))
            Assert.Equal("NbAiLab/tiny-sbert", service.ModelName);
        Assert.Equal("NbAiLab/tiny-reranker", new RerankService(reranker).ModelName);
        var dense = new EncoderEmbeddingModel(encoder);
        Assert.Equal("NbAiLab/tiny-sbert", dense.Name);
        Assert.Equal("NbAiLab/tiny-reranker", new CrossEncoderRetriever(reranker).Name);

        using var folder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using (var service = new EmbeddingService(folder))
            Assert.Equal("bert-cased-mean", service.ModelName);
        Assert.Equal("bert-cased-mean", new EncoderEmbeddingModel(folder).Name);
    }
}
