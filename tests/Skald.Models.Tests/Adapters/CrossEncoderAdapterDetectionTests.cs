using Skald.Models.Adapters;
using Skald.Models.CrossEncoders;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// <see cref="CrossEncoder.IsCrossEncoder"/> on a PEFT adapter folder (no config.json of its own): a cross-encoder when
/// its base is one, or when it (or an adapter it was trained on top of) is peft's task_type SEQ_CLS, as AutoPeftModel
/// picks the class; an adapter on an embedding model is not one, and an adapter whose base cannot be found is not one
/// rather than an exception (loading it says what is wrong).
/// </summary>
public sealed class CrossEncoderAdapterDetectionTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Adapter(string name, string baseModel, string? taskType = null) =>
        BertLoraFolder.Write(Path.Combine(dir, name), baseModel, taskType: taskType);

    [Fact]
    public void AnAdapterIsACrossEncoderAsItsBaseOrItsTaskSays()
    {
        Assert.True(CrossEncoder.IsCrossEncoder(Adapter("on-ce", TestPaths.FixtureModel("ce-bert"))));
        Assert.False(CrossEncoder.IsCrossEncoder(Adapter("on-embedding", TestPaths.FixtureModel("bert-cased-mean"))));
        Assert.True(CrossEncoder.IsCrossEncoder(Adapter("seq-cls", TestPaths.FixtureModel("bert-cased-mean"), "SEQ_CLS")));
        Assert.False(CrossEncoder.IsCrossEncoder(Adapter("feature", TestPaths.FixtureModel("bert-cased-mean"), "FEATURE_EXTRACTION")));
        // trained on top of a SEQ_CLS adapter (recorded in skald_base_adapters.json), over a base without a head
        string later = Adapter("later", TestPaths.FixtureModel("bert-cased-mean"));
        File.WriteAllText(Path.Combine(later, AdapterBase.ChainFile), """{"adapters": ["../seq-cls"]}""");
        Assert.True(CrossEncoder.IsCrossEncoder(later));
        // an adapter on an adapter folder on a cross-encoder
        Assert.True(CrossEncoder.IsCrossEncoder(Adapter("on-adapter", Path.Combine(dir, "on-ce"))));
    }

    [Fact]
    public void AnAdapterWhoseBaseIsMissingIsNoCrossEncoder() =>
        Assert.False(CrossEncoder.IsCrossEncoder(Adapter("lost", Path.Combine(dir, "no-such-base"))));
}
