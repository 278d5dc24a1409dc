using Skald.Models;
using Skald.Models.Checkpoints;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>skald train</c> with sentence-transformers' CosineSimilarityLoss (scored pairs) and SoftmaxLoss (NLI triples of
/// premise, hypothesis, class): the runs train, the softmax classifier trains and checkpoints with the model but is not
/// saved in the model folder, and a missing num_labels or an out-of-range label is one line.
/// </summary>
public sealed class SoftmaxAndCosineTrainingTests : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Config(string data, string outDir, string loss) => InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
        model:
          path: {InfraPaths.FixtureModel("bert-cased-mean")}
          dropout: 0.0
        data:
          train: {data}
        training:
          batch_size: 4
          learning_rate: 1.0e-3
          max_steps: 4
          logging_steps: 1
        output:
          dir: {outDir}
          save_steps: 2
        loss:
        {loss}
        """);

    private static string Nli(int n, int labels = 3) => string.Concat(Enumerable.Range(0, n).Select(i =>
        $"{{\"premise\": \"Bussen går klokka {i}.\", \"hypothesis\": \"Bussen {(i % 3 == 0 ? "går" : i % 3 == 1 ? "står" : "kjører kanskje")} klokka {i}.\", \"label\": {i % labels}}}\n"));

    [Fact]
    public void SoftmaxTrainsItsClassifierAndLeavesItOutOfTheModel()
    {
        string data = InfraPaths.WriteFile(dir, "nli.jsonl", Nli(16));
        string outDir = Path.Combine(dir, "softmax");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir, "  type: softmax\n  num_labels: 3"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var model = Checkpoint.OpenFolder(Path.Combine(outDir, "final")))
            Assert.DoesNotContain(model.Keys, k => k.Contains("softmax_loss", StringComparison.Ordinal));
        using (var checkpoint = Checkpoint.OpenFile(Path.Combine(outDir, "checkpoints", "step-4", "model.safetensors")))
        {
            var weight = checkpoint.Read("softmax_loss.classifier.weight", 3, 96);
            var start = new Skald.Training.Losses.SoftmaxLoss(32, 3).Weight.Data.ToArray(); // the draw a run starts from
            Assert.NotEqual(start, weight); // trained
        }
        Assert.NotEqual(SentenceEncoder.Load(InfraPaths.FixtureModel("bert-cased-mean")).Encode("Bussen går."),
            SentenceEncoder.Load(Path.Combine(outDir, "final")).Encode("Bussen går."));
    }

    [Fact]
    public void CosineSimilarityTrainsOnScoredPairs()
    {
        string data = InfraPaths.WriteFile(dir, "sts.jsonl", string.Concat(Enumerable.Range(0, 12).Select(i =>
            $"{{\"sentence1\": \"Hus {i} ligger ved sjøen.\", \"sentence2\": \"Huset {i} står ved vannet.\", \"score\": {(i % 5) / 4.0:0.00}}}\n")));
        string outDir = Path.Combine(dir, "cosine");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, outDir, "  type: cosine_similarity"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"loss\"", File.ReadAllText(Path.Combine(outDir, "metrics.jsonl")));
    }

    [Theory]
    [InlineData("  type: softmax", "loss.type softmax needs loss.num_labels")]
    [InlineData("  type: softmax\n  num_labels: 2", "needs class labels 0 … 1")]
    public void MisusesAreOneLine(string loss, string message)
    {
        string data = InfraPaths.WriteFile(dir, "nli.jsonl", Nli(8));
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(data, Path.Combine(dir, "bad"), loss), "--quiet");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
