using Skald.Training.Losses;
using Skald.Training.Modeling;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>loss.cached</c>: GradCache around any loss over embeddings gives the gradients of the whole batch at once (the
/// model's and a loss's own classifier's), whatever the chunk size; losses that are not over embeddings are refused.
/// </summary>
public sealed class CachedLossTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string[] Anchors = ["Hvor ligger legekontoret?", "Kor mykje kostar billetten?", "Hvornår åbner biblioteket?", "Var finns närmaste apotek?", "Hvem vant?", "Bussen går."];
    private static readonly string[] Positives = ["Legekontoret ligger i sentrum.", "Billetten kostar hundre kroner.", "Klokken ni.", "Apoteket ligger vid torget.", "Bergen vant kampen.", "Bussen kjører nå."];
    private static readonly string[] Negatives = ["Bussen går klokka sju.", "Eg likar å gå på ski.", "Katten sover i solen.", "Det regnar hela dagen.", "Suppen trenger salt.", "Fjorden er stille."];

    public static TheoryData<string, int> Cases => new()
    {
        { "cosent", 2 }, { "cosent", 4 }, { "matryoshka", 3 }, { "softmax", 2 }, { "batch_all_triplet", 4 }, { "mega_batch_margin", 4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheCacheGivesTheWholeBatchsGradients(string name, int miniBatch)
    {
        IEmbeddingLoss Loss() => name switch
        {
            "cosent" => new CoSENTLoss(),
            "matryoshka" => new MatryoshkaLoss(new MultipleNegativesRankingLoss(), [32, 16, 8], [1f, 0.5f, 0.25f]),
            "softmax" => new SoftmaxLoss(32, 3, seed: 5),
            "mega_batch_margin" => new MegaBatchMarginLoss(0.9f, 0.1f),
            _ => new BatchTripletLoss(BatchTripletMode.All),
        };
        var batch = name switch
        {
            "cosent" => new TrainingBatch([Anchors, Positives], [0.9f, 0.1f, 0.5f, 0.7f, 0.3f, 0.2f]),
            "matryoshka" => new TrainingBatch([Anchors, Positives, Negatives]),
            "softmax" => new TrainingBatch([Anchors, Positives], [0, 1, 2, 0, 1, 2]),
            "mega_batch_margin" => new TrainingBatch([Anchors, Positives]),
            _ => new TrainingBatch([[.. Anchors, .. Positives]], [0, 1, 2, 3, 0, 1, 0, 1, 2, 3, 0, 1]),
        };
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        (float Loss, float[][] Grads) Run(ILoss loss)
        {
            model.ZeroGradients();
            foreach (var p in loss.Parameters) p.Grad.Span.Clear();
            float value = loss.ComputeAndBackward(model, batch, gradientScale: 0.5f);
            return (value, [.. model.Parameters.Concat(loss.Parameters).Select(p => p.Grad.ToArray())]);
        }
        var (full, expected) = Run((ILoss)Loss());
        var (cached, got) = Run(new CachedLoss(Loss(), miniBatch));
        Assert.Equal(full, cached, 5);
        Assert.Equal(expected.Length, got.Length); // a loss's own parameters come through the cache
        double worst = 0, scale = expected.Max(g => g.Max(Math.Abs));
        for (int k = 0; k < expected.Length; k++)
            for (int i = 0; i < expected[k].Length; i++) worst = Math.Max(worst, Math.Abs(expected[k][i] - got[k][i]));
        output.WriteLine($"{name}, chunks of {miniBatch}: worst gradient difference {worst:E2} (largest {scale:E2})");
        Assert.True(worst <= 1e-5 * scale, $"worst gradient difference {worst:E2} (largest {scale:E2})");
    }

    /// <summary>CachedGISTEmbedLoss (<c>type: gist</c> with <c>cached: true</c>): the guide embeds each batch, the student in chunks, the gradients GISTEmbedLoss's.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void CachedGistGivesGistsGradients(int miniBatch)
    {
        var guide = Skald.Models.SentenceEncoder.Load(CorePaths.TrainingFixture("teacher"));
        var batch = new TrainingBatch([Anchors, Positives, Negatives]);
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        (float Loss, float[][] Grads) Run(ILoss loss)
        {
            model.ZeroGradients();
            float value = loss.ComputeAndBackward(model, batch);
            return (value, [.. model.Parameters.Select(p => p.Grad.ToArray())]);
        }
        var gist = new GistEmbedLoss(texts => guide.Encode(texts), margin: 0.05f);
        var (full, expected) = Run(gist);
        var cached = new CachedLoss(gist.Guided, gist.Name, miniBatch);
        Assert.Equal("cached_gist", cached.Name);
        var (value, got) = Run(cached);
        Assert.Equal(full, value, 5);
        double worst = 0, scale = expected.Max(g => g.Max(Math.Abs));
        for (int k = 0; k < expected.Length; k++)
            for (int i = 0; i < expected[k].Length; i++) worst = Math.Max(worst, Math.Abs(expected[k][i] - got[k][i]));
        output.WriteLine($"gist, chunks of {miniBatch}: worst gradient difference {worst:E2} (largest {scale:E2})");
        Assert.True(worst <= 1e-5 * scale, $"worst gradient difference {worst:E2} (largest {scale:E2})");
    }

    [Fact]
    public void TheConfigKeyCachesOrRefusesWithOneLine()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"sentence1\": \"Hus {i} ligger ved sjøen.\", \"sentence2\": \"Huset {i} står ved vannet.\", \"score\": {(i % 5) / 4.0:0.00}}}\n")));
        string Config(string loss) => InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 2
            output:
              dir: {Path.Combine(dir, Guid.NewGuid().ToString("N"))}
            loss:
            {loss}
            """);
        var ok = SkaldProcess.RunIn(dir, "train", "--config", Config("  type: cosent\n  cached: true\n  mini_batch_size: 2"), "--quiet");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        var gist = SkaldProcess.RunIn(dir, "train", "--config", Config($"  type: gist\n  guide: {CorePaths.TrainingFixture("teacher")}\n  cached: true\n  mini_batch_size: 2"), "--quiet");
        Assert.True(gist.ExitCode == 0, gist.Stderr);
        var mega = SkaldProcess.RunIn(dir, "train", "--config", Config("  type: mega_batch_margin\n  positive_margin: 0.7\n  cached: true\n  mini_batch_size: 2"), "--quiet");
        Assert.True(mega.ExitCode == 0, mega.Stderr);
        TrainConfigs.AssertRefused(dir, Config("  type: cosent\n  positive_margin: 0.7"), "loss.positive_margin is MegaBatchMarginLoss's");
        var refused = SkaldProcess.RunIn(dir, "train", "--config", Config("  type: cached_mnrl\n  cached: true"), "--quiet");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("it is cached already", refused.Stderr);
    }
}
