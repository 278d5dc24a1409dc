using Skald.Training.Data;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// The batch triplet losses' training: sentence-transformers' GroupByLabelBatchSampler (<c>training.group_by_label</c>)
/// and <c>skald train</c> with <c>batch_all_triplet</c> on one labelled text column; misuse is one line.
/// </summary>
public sealed class BatchTripletTrainingTests : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void GroupedBatchesHoldEveryLabelAtLeastTwiceAndLeaveOddRowsOut()
    {
        // Labels: 0 ×5, 1 ×4, 2 ×1 (left out), 3 ×6; a label's rows are cut to an even count (0 keeps 4).
        float[] labels = [0, 1, 0, 3, 1, 0, 2, 3, 3, 0, 1, 3, 0, 3, 1, 3];
        var data = new TextDataset("d", ["text"], [.. labels.Select((_, i) => new[] { $"tekst {i}" })], labels, "label");
        var seen = new List<string>();
        for (int epoch = 0; epoch < 6; epoch++)
        {
            var batches = BatchPlanner.PlanEpoch([data], 4, shuffle: true, noDuplicates: false, "round_robin", 7, epoch, groupByLabel: true);
            var rows = batches.SelectMany(b => b.Rows).ToArray();
            Assert.Equal(14, rows.Length); // 4 + 4 + 6
            Assert.DoesNotContain(6, rows); // the one row of label 2
            Assert.DoesNotContain(12, rows); // label 0's fifth row
            foreach (var b in batches)
                Assert.All(b.Rows.GroupBy(r => labels[r]), g => Assert.True(g.Count() >= 2, $"label {g.Key} once in a batch"));
            seen.Add(string.Join(",", rows.Select(r => labels[r]).Distinct()));
            // Within a label the rows keep their file order.
            foreach (var g in rows.GroupBy(r => labels[r])) Assert.Equal(g.Order(), g);
        }
        Assert.True(seen.Distinct().Count() > 1, "the label order changes with the epoch");
    }

    private string Config(string data, string outDir, string extra = "", string loss = "batch_all_triplet") => InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
        model:
          path: {InfraPaths.FixtureModel("bert-cased-mean")}
          dropout: 0.0
        data:
          train: {data}
        training:
          batch_size: 6
          learning_rate: 1.0e-3
          max_steps: 4
          logging_steps: 1
          group_by_label: true
        {extra}
        output:
          dir: {outDir}
        loss:
          type: {loss}
        """);

    private string Data() => InfraPaths.WriteFile(dir, "classes.jsonl", string.Concat(Enumerable.Range(0, 24).Select(i =>
        $"{{\"text\": \"{(i % 3 == 0 ? "Bussen går klokka" : i % 3 == 1 ? "Kantinen serverer suppe på" : "Fjorden ligg stille ved")} {i}.\", \"label\": {i % 3}}}\n")));

    [Theory]
    [InlineData("batch_all_triplet")]
    [InlineData("batch_hard_triplet")]
    [InlineData("batch_hard_soft_margin_triplet")]
    [InlineData("batch_semi_hard_triplet")]
    public void TheBatchTripletLossesTrainOnGroupedBatches(string loss)
    {
        string outDir = Path.Combine(dir, "run");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(Data(), outDir, loss: loss), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var losses = File.ReadLines(Path.Combine(outDir, "metrics.jsonl")).Where(l => l.Contains("\"loss\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, losses.Count);
        // A batch of one label holds no triplet (loss 0, as with sentence-transformers' sampler); the others train.
        Assert.Contains(losses, l => !l.Contains("\"loss\":0,", StringComparison.Ordinal));
        Assert.All(losses, l => Assert.DoesNotContain("NaN", l));
    }

    [Theory]
    [InlineData("training.batch_size=5", "needs an even training.batch_size")]
    [InlineData("training.no_duplicates=true", "choose one")]
    public void MisusesAreOneLine(string set, string message)
    {
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(Data(), Path.Combine(dir, "bad")), "--set", set, "--quiet");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
