using System.Text.Json;
using Skald.Hub;
using Skald.Models;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// A module folder whose torch.save weights are sharded (<c>2_Dense/pytorch_model.bin.index.json</c> + two shards, no
/// safetensors there): the resolver fetches the index and then the shards it names, and the snapshot encodes as the
/// safetensors fixture does.
/// </summary>
public sealed class HubShardedModuleTests
{
    [Fact]
    public void AModuleFoldersShardsAreFetchedAfterItsIndex()
    {
        string model = TestPaths.FixtureModel(Path.Combine("torch-bin", "bert-uncased-max"));
        string shards = TestPaths.FixtureModel(Path.Combine("torch-bin", "dense-sharded"));
        var files = Directory.GetFiles(model, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(model, f).Replace('\\', '/'), File.ReadAllBytes);
        Assert.True(files.Remove("2_Dense/pytorch_model.bin"));
        foreach (string f in Directory.GetFiles(shards)) files["2_Dense/" + Path.GetFileName(f)] = File.ReadAllBytes(f);
        using var hub = new MockHub(new MockRepo("skald-test/dense-shards", files));
        string cache = Path.Combine(TestPaths.NewTempDir(), "hub");
        using var resolver = new HubResolver(new HubSettings { Endpoint = hub.Endpoint, Cache = cache });

        string snapshot = resolver.Resolve(HubId.TryParse("skald-test/dense-shards")!);

        foreach (string shard in new[] { "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin" })
            Assert.True(File.Exists(Path.Combine(snapshot, "2_Dense", shard)), shard);
        using var line = JsonDocument.Parse(File.ReadLines(Path.Combine(model, "expected.jsonl")).First());
        float[] expected = [.. line.RootElement.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle())];
        using var encoder = SentenceEncoder.Load(snapshot);
        float[] actual = encoder.Encode(line.RootElement.GetProperty("text").GetString()!);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++) Assert.True(MathF.Abs(actual[i] - expected[i]) <= 1e-5f, $"component {i}");
    }
}
