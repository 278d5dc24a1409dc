using System.Text.Json;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// <see cref="BgeM3Loss"/> on a base without BGE-M3's heads (xlmr-cls-f16: bge-m3-tiny's transformer, no
/// <c>sparse_linear.pt</c> / <c>colbert_linear.pt</c>): new heads as FlagEmbedding's get_model makes them
/// (torch.nn.Linear's init, colbert_dim), checked against the rule itself and against an independent draw of
/// fixtures/training/make_bge_m3_reference.py (case new_heads), and one step from them against the PyTorch reference.
/// </summary>
public sealed class BgeM3NewHeadsTests
{
    private static readonly string Root = Skald.Tests.Repository.Root;

    private static (TrainableEncoder Model, BgeM3Loss Loss) Fresh(int colbertDim, ulong seed)
    {
        var model = TrainableEncoder.Load(Skald.Tests.TestPaths.CopyOfFixtureModel("xlmr-cls-f16"), dropout: 0f);
        return (model, new BgeM3Loss(model, colbertDim: colbertDim, seed: seed));
    }

    [Fact]
    public void NewHeadsFollowTorchLinearsInitAndTheSeed()
    {
        var (_, loss) = Fresh(-1, 42);
        Assert.True(loss.NewHeads);
        var p = loss.Parameters.ToDictionary(x => x.Name);
        // upstream's order of the loss's parameters, and colbert_dim -1 = hidden (32)
        Assert.Equal(new[] { "sparse_linear/weight", "sparse_linear/bias", "colbert_linear/weight", "colbert_linear/bias" }, loss.Parameters.Select(x => x.Name));
        Assert.Equal(new[] { 1, 32 }, p["sparse_linear/weight"].Shape);
        Assert.Equal(new[] { 1 }, p["sparse_linear/bias"].Shape);
        Assert.Equal(new[] { 32, 32 }, p["colbert_linear/weight"].Shape);
        Assert.Equal(new[] { 32 }, p["colbert_linear/bias"].Shape);
        // kaiming_uniform(a = √5): bound = gain · √(3 / fan_in), gain = √(2 / (1 + a²)); the bias: 1 / √fan_in
        double bound = Math.Sqrt(2.0 / (1 + 5)) * Math.Sqrt(3.0 / 32);
        Assert.Equal(1 / Math.Sqrt(32), bound, 12);
        var all = loss.Parameters.SelectMany(x => x.Data.ToArray()).ToArray();
        Assert.All(all, v => Assert.InRange(Math.Abs(v), 0, bound));
        // U(−b, b): mean 0 and variance b²/3; 1,089 draws, each within 5 standard errors
        double mean = all.Average(v => (double)v), variance = all.Average(v => ((double)v - mean) * ((double)v - mean));
        Assert.InRange(mean, -5 * bound / Math.Sqrt(3.0 * all.Length), 5 * bound / Math.Sqrt(3.0 * all.Length));
        Assert.InRange(variance / (bound * bound / 3), 1 - 5 * Math.Sqrt(0.8 / all.Length), 1 + 5 * Math.Sqrt(0.8 / all.Length));
        Assert.True(all.Max() > 0.9 * bound && all.Min() < -0.9 * bound); // the whole range, not a narrower one

        Assert.Equal(all, Fresh(-1, 42).Loss.Parameters.SelectMany(x => x.Data.ToArray()).ToArray()); // deterministic
        Assert.NotEqual(all, Fresh(-1, 43).Loss.Parameters.SelectMany(x => x.Data.ToArray()).ToArray()); // from the seed
        Assert.Equal(new[] { 12, 32 }, Fresh(12, 42).Loss.Parameters.Single(x => x.Name == "colbert_linear/weight").Shape);
    }

    [Fact]
    public void AStepFromNewHeadsEqualsThePyTorchStepFromTheSameHeads()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures", "training", "bge_m3_step.json")));
        var root = doc.RootElement;
        var r = root.GetProperty("new_heads");
        var (model, loss) = Fresh(r.GetProperty("colbert_dim").GetInt32(), r.GetProperty("seed").GetUInt64());
        // the reference draws the same values with its own PCG-XSH-RR: bit for bit
        foreach (var initial in r.GetProperty("initial").EnumerateObject())
        {
            var want = initial.Value.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();
            Assert.Equal(want, loss.Parameters.Single(x => x.Name == initial.Name).Data.ToArray());
        }
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(s => s.GetString()!)]).ToArray();
        model.ZeroGradients();
        float value = loss.ComputeAndBackward(model, new TrainingBatch(columns));
        BgeM3LossTests.AssertMatches(r, loss, model, value);
    }
}
