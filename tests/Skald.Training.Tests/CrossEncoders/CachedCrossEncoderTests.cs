using Skald.Training.CrossEncoders;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// GradCache for cross-encoders (<c>loss.cached: true</c>: sentence-transformers' cross-encoder
/// CachedMultipleNegativesRankingLoss, and any other cross-encoder loss): the loss and every gradient equal the
/// one-pass loss's, and with dropout the second pass replays the first pass's masks.
/// </summary>
public sealed class CachedCrossEncoderTests
{
    private static readonly TrainingBatch Triplets = new([
        ["Hvor ligger Bergen?", "Kva tid går ferja?", "Hvornår åbner biblioteket?", "Var ligger apoteket?"],
        ["Bergen ligger på Vestlandet.", "Ferja går klokka sju.", "Biblioteket åbner klokken ni.", "Apoteket ligger vid torget."],
        ["Kanelboller smaker godt.", "Biblioteket er stengt.", "Det regner i København.", "Jag tycker om kanelbullar."],
    ]);

    private static readonly TrainingBatch Lists = new([
        ["Hvor ligger Bergen?", "Kva tid går ferja?", "Hvornår åbner biblioteket?"],
        ["Bergen ligger på Vestlandet.", "Biblioteket er stengt.", "Det regner i København."],
        ["Bergen er en by.", "Ferja går klokka sju.", "Biblioteket åbner klokken ni."],
        ["Kanelboller smaker godt.", "", "Biblioteket har bøger."],
    ], [2, 1, 0, 0, 1, float.NaN, 0, 2, 1]);

    public static TheoryData<string, int> Losses() => new() { { "ce_mnrl", 3 }, { "ce_mnrl", 5 }, { "lambda", 2 }, { "listnet", 4 }, { "bce", 3 } };

    [Theory]
    [MemberData(nameof(Losses))]
    public void MiniBatchesGiveTheWholeBatchsLossAndGradients(string kind, int miniBatch)
    {
        var (plainLoss, plain, _) = Step(kind, null, dropout: 0f);
        var (cachedLoss, cached, _) = Step(kind, miniBatch, dropout: 0f);
        Assert.Equal(plainLoss, cachedLoss, 5);
        AssertGradientsEqual(plain, cached, 1e-5);
    }

    [Theory]
    [InlineData("ce_mnrl")]
    [InlineData("lambda")]
    public void DropoutMasksAreReplayedAndTheGeneratorContinuesAsInOnePass(string kind)
    {
        // One mini-batch holding every pair draws the masks the one-pass run draws; its second pass must draw them again.
        var (plainLoss, plain, plainState) = Step(kind, null, dropout: 0.1f);
        var (cachedLoss, cached, cachedState) = Step(kind, 1000, dropout: 0.1f);
        Assert.Equal(plainLoss, cachedLoss, 5);
        AssertGradientsEqual(plain, cached, 1e-5);
        Assert.Equal(plainState, cachedState);
        var (_, noDropout, _) = Step(kind, 1000, dropout: 0f);
        Assert.Throws<Xunit.Sdk.TrueException>(() => AssertGradientsEqual(plain, noDropout, 1e-5)); // dropout did change them
    }

    [Fact]
    public void EachChunksDropoutMasksAreReplayedAcrossChunkBoundaries()
    {
        // BCE is a mean of per-pair terms, so GradCache over chunks of 2 with dropout is the one-pass loss run on each
        // chunk in turn (the generator running on from chunk to chunk), at half the weight: the second pass of every
        // chunk, not only the first, has to draw its first pass's masks.
        var batch = new TrainingBatch([Triplets.Columns[0], Triplets.Columns[1]], [1, 0, 1, 0.5f]);
        var (cachedLoss, cached, cachedState) = Step("bce", 2, dropout: 0.1f);
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("ce-bert"), dropout: 0.1f, seed: 5);
        var loss = new BinaryCrossEntropyLoss(model);
        model.ZeroGradients();
        float chunkLoss = 0;
        foreach (int start in new[] { 0, 2 })
        {
            var chunk = new TrainingBatch([.. batch.Columns.Select(c => c.Skip(start).Take(2).ToArray())], [.. batch.Labels!.Skip(start).Take(2)]);
            chunkLoss += loss.ComputeAndBackward(model, chunk, gradientScale: 0.5f) / 2;
        }
        var chunked = model.Parameters.Concat(loss.Parameters).ToDictionary(p => p.Name, p => p.Grad.ToArray());
        Assert.Equal(chunkLoss, cachedLoss, 5);
        AssertGradientsEqual(chunked, cached, 1e-5);
        Assert.Equal(model.Random.SaveState(), cachedState);
    }

    private static (float Loss, Dictionary<string, float[]> Grads, ulong[] State) Step(string kind, int? miniBatch, float dropout)
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("ce-bert"), dropout: dropout, seed: 5);
        CrossEncoderLoss loss = kind switch
        {
            "ce_mnrl" => new CrossEncoderMnrlLoss(model, numNegatives: 2),
            "lambda" => new LambdaLoss(model),
            "listnet" => new ListNetLoss(model),
            _ => new BinaryCrossEntropyLoss(model),
        };
        loss.MiniBatchSize = miniBatch;
        model.ZeroGradients();
        var batch = kind switch
        {
            "ce_mnrl" => Triplets,
            "bce" => new TrainingBatch([Triplets.Columns[0], Triplets.Columns[1]], [1, 0, 1, 0.5f]),
            _ => Lists,
        };
        float value = loss.ComputeAndBackward(model, batch);
        var grads = model.Parameters.Concat(loss.Parameters).ToDictionary(p => p.Name, p => p.Grad.ToArray());
        return (value, grads, model.Random.SaveState());
    }

    private static void AssertGradientsEqual(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, double tolerance)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double scale = expected.Values.SelectMany(g => g).Max(v => Math.Abs(v));
        foreach (var (name, e) in expected)
        {
            if (name.EndsWith("attention.self.key.bias", StringComparison.Ordinal)) continue; // no true gradient, only rounding noise
            var a = actual[name];
            for (int i = 0; i < e.Length; i++)
                Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * scale, $"{name}[{i}]: {e[i]} vs {a[i]}");
        }
    }
}
