using Skald.Models.Architectures;

namespace Skald.Models.Tests;

/// <summary>
/// A model made from another that shares its transformer (<see cref="SentenceEncoder.WithAttention"/>, and likewise
/// <c>AsSparse</c>, <c>AsCsr</c>, <c>AsLateInteraction</c>) shares its weights, which are packed, quantised or released lazily
/// at their first pass: its passes take turns with the other's as a model's own Encode calls do. Each had a lock of its
/// own, so two Encode calls on the pair from two threads ran their passes at once on the same weights.
/// </summary>
public sealed class SharedWeightsPassTests
{
    [Fact]
    public async Task APassOfAModelSharingTheWeightsWaitsForTheOthers()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("decoder-qwen2"));
        var derived = model.WithAttention(AttentionMode.Bidirectional);
        Assert.NotSame(model, derived);
        Assert.Same(model.Transformer, derived.Transformer); // (the premise: one set of weights)
        using var inside = new ManualResetEventSlim();
        using var derivedLayer = new ManualResetEventSlim();
        int first = 0;
        bool derivedRanDuringPass = false;
        model.InferenceTape.LayerStarting = () =>
        {
            if (Interlocked.Exchange(ref first, 1) != 0) return;
            inside.Set();
            // The other model's pass, asked for now, must not start a layer while this pass is inside one; waiting a
            // while proves nothing alone, a pass that did start here (the race) is caught.
            derivedRanDuringPass = derivedLayer.Wait(TimeSpan.FromSeconds(2));
        };
        derived.InferenceTape.LayerStarting = () => derivedLayer.Set();

        var encode = Task.Run(() => model.Encode(["Hei verden"]));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(60)), "the first model's pass never started");
        var other = Task.Run(() => derived.Encode(["Hallo verda"]));
        await Task.WhenAll(encode, other);

        Assert.False(derivedRanDuringPass, "a model sharing the weights ran a layer while a pass of the other was inside one");
    }
}
