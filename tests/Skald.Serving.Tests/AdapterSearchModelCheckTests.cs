using Skald.Models;
using Skald.Retrieval.Index;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>skald serve --model ADAPTER --index</c> over an index <c>skald index build --model ADAPTER</c> wrote, an adapter
/// folder given as the model: <see cref="SearchService.CheckModel(Skald.Retrieval.Index.SearchIndex, Skald.Models.SentenceEncoder)"/> takes the served model to be that folder (not the
/// base its encoder's folder is) and so accepts the index, refuses the base alone, and refuses the index once the base
/// has been trained again in place (the fingerprint covers the base); the service and a generator name the model by the
/// adapter folder. A hub base the cache lacks is an <see cref="ArgumentException"/> (what an index reload logs), not a crash.
/// </summary>
public sealed class AdapterSearchModelCheckTests
{
    [Fact]
    public void AnAdapterFoldersIndexServesWithItAndNotWithItsBaseOrAChangedBase()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = BertLoraFolder.Write(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", adapter, "--documents", SampleDocuments.Folder, "--output", folder, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);

        using var index = SearchIndex.Open(folder);
        using (var served = SentenceEncoder.Load(adapter))
        {
            SearchService.CheckModel(index, served);
            using var service = new EmbeddingService(served);
            Assert.Equal("lora", service.ModelName); // the served model is named by the adapter folder, not its base
            using var generator = new SkaldEmbeddingGenerator(served);
            Assert.Equal("lora", ((Microsoft.Extensions.AI.EmbeddingGeneratorMetadata)generator.GetService(typeof(Microsoft.Extensions.AI.EmbeddingGeneratorMetadata))!).DefaultModelId);
        }
        using (var plain = SentenceEncoder.Load(model))
            Assert.Contains($"was built with the model {adapter}", Assert.Throws<ArgumentException>(() => SearchService.CheckModel(index, plain)).Message);

        string weights = Path.Combine(model, "model.safetensors"); // the base trained again in place: one weight's bytes differ
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        using var again = SentenceEncoder.Load(adapter);
        Assert.Contains($"the model {adapter} has changed since", Assert.Throws<ArgumentException>(() => SearchService.CheckModel(index, again)).Message);
    }

    [Fact]
    public void ABaseTheHubCacheLacksIsAnArgumentErrorNotAServerEnd()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = BertLoraFolder.Write(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = SkaldProcess.Run("index", "build", "--model", adapter, "--documents", SampleDocuments.Folder, "--output", folder, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var index = SearchIndex.Open(folder);
        using var served = SentenceEncoder.Load(adapter);
        // the adapter now names a hub id as its base, one no cache holds: the check reads the cache only, never the hub
        const string absent = "skald-test/a-base-no-cache-holds";
        BertLoraFolder.Write(adapter, absent);
        var e = Assert.Throws<ArgumentException>(() => SearchService.CheckModel(index, served)); // what a reload logs, keeping the served index
        Assert.Contains($"{absent}: not in the hub cache", e.Message);
        Assert.Contains(folder, e.Message);
    }
}
