using System.Text.Json;
using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// The ColBERT losses tokenize a file's columns as PyLate's collator does, by name (a column whose name contains
/// "query" or "anchor" as queries, any other as documents, one containing "_id" not at all), while the first column
/// stays the loss's anchor: one step's loss and Dense gradient on files whose query column is not first, or has no
/// such name, equal torch autograd within 1e-5 (fixtures/training/make_colbert_columns_reference.py, a float64
/// re-statement of the collator and losses; the JSONL files are its). The cached contrastive loss reads the columns
/// the same way. A run (<c>TrainingRun.Build</c>) takes PyLate's own distillation rows, a <c>query_id</c> beside
/// the query and the documents as one list, to the same loss, and refuses rows whose lists differ in length.
/// </summary>
public sealed class ColbertColumnsTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(Skald.Tests.Repository.Root, "fixtures");

    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private TrainingConfig Config(string data, string loss = "colbert_distillation") => ConfigLoader.Parse($"""
        model:
          path: {Path.Combine(Fixtures, "models", "colbert-bert-tiny")}
          dropout: 0.0
        data:
          train: {data}
        training:
          batch_size: 4
          max_steps: 1
        output:
          dir: {Path.Combine(dir, "run")}
          tensorboard: false
        loss:
          type: {loss}
        """, "c.yaml");

    [Fact]
    public void ARunReadsPyLatesDistillationRowsToTheReferenceLoss()
    {
        using var setup = TrainingRun.Build(Config(Path.Combine(Fixtures, "training", "colbert_columns", "distillation_ids.jsonl")));
        var data = setup.Train[0];
        setup.Model.ZeroGradients();
        float value = setup.Loss.ComputeAndBackward(setup.Model, data.Batch([.. Enumerable.Range(0, data.Count)]));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert_columns.json")));
        double expected = doc.RootElement.GetProperty("distillation_ids").GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {value}, PyTorch {expected}");
    }

    [Fact]
    public void AnAnchorColumnNotNamedAsAQueryIsNoted()
    {
        string Rows(string name, string file) => InfraPaths.WriteFile(dir, file, string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"query_id\": \"q{i}\", \"{name}\": \"spørsmål {i}\", \"positive\": \"svar {i}\"}}\n")));
        var lines = new List<string>();
        using (TrainingRun.Build(Config(Rows("question", "unnamed.jsonl"), "colbert_contrastive"), log: lines.Add)) { }
        Assert.Single(lines, l => l.StartsWith("note: ", StringComparison.Ordinal) && l.Contains("the anchor column 'question' is tokenized as a document", StringComparison.Ordinal));
        lines.Clear();
        using (TrainingRun.Build(Config(Rows("query", "named.jsonl"), "colbert_contrastive"), log: lines.Add)) { }
        Assert.DoesNotContain(lines, l => l.Contains("tokenized as a document", StringComparison.Ordinal));
    }

    [Fact]
    public void ListsOfDifferentLengthsAreRefusedInOneLine()
    {
        string file = InfraPaths.WriteFile(dir, "kd.jsonl",
            "{\"query\": \"a\", \"documents\": [\"b\", \"c\"], \"scores\": [1.0, 0.0]}\n" +
            "{\"query\": \"d\", \"documents\": [\"e\"], \"scores\": [1.0]}\n");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(file)).Dispose());
        Assert.True(e.Message.Contains("'documents' holds fewer at row 2 than the longest row's 2", StringComparison.Ordinal), e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("contrastive_reordered", false)]
    [InlineData("contrastive_reordered", true)]
    [InlineData("contrastive_unnamed", false)]
    [InlineData("distillation_ids", false)]
    [InlineData("distillation_unnamed", false)]
    public void LossAndGradientMatchPyTorch(string name, bool cached)
    {
        var data = DatasetReader.Read(Path.Combine(Fixtures, "training", "colbert_columns", name + ".jsonl"));
        var batch = data.Batch([.. Enumerable.Range(0, data.Count)]);
        ColbertLoss loss = name.StartsWith("distillation", StringComparison.Ordinal) ? new ColbertDistillationLoss()
            : new ColbertContrastiveLoss { MiniBatchSize = cached ? 2 : null };
        using var encoder = SentenceEncoder.LoadLateInteraction(Path.Combine(Fixtures, "models", "colbert-bert-tiny"));
        var model = TrainableEncoder.For(encoder, dropout: 0f);
        model.ZeroGradients();
        float value = loss.ComputeAndBackward(model, batch);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert_columns.json")));
        var r = doc.RootElement.GetProperty(name);
        double expected = r.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {value}, PyTorch {expected}");
        var want = r.GetProperty("dense_grad").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var actual = model.Parameters.Single(p => p.Name == "1_Dense/linear.weight").Grad.ToArray();
        Assert.Equal(want.Length, actual.Length);
        double scale = Math.Max(1, want.Max(Math.Abs));
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - actual[i]) <= 1e-5 * scale, $"1_Dense/linear.weight[{i}]: PyTorch {want[i]}, Skald {actual[i]}");
    }

    [Fact]
    public void ColumnsAreTokenizedByNameAndIdColumnsLeftOut()
    {
        var batch = new TrainingBatch([["1"], ["a"], ["b"], ["c"]]) { ColumnNames = ["query_id", "my_anchor", "query", "documents[0]"], Prompts = [null, "p: ", null, "d: "] };
        var (selected, queries) = ColbertColumns.Select(batch);
        Assert.Equal(["my_anchor", "query", "documents[0]"], selected.ColumnNames!);
        Assert.Equal([true, true, false], queries);
        Assert.Equal(["p: ", null, "d: "], selected.Prompts!);
        Assert.Equal([true, false, false], ColbertColumns.Select(new TrainingBatch([["q"], ["d"], ["e"]])).Queries); // no names: the first
        Assert.Equal([false, false], ColbertColumns.Select(new TrainingBatch([["q"], ["d"]]) { ColumnNames = ["Query", "text"] }).Queries); // case-sensitive
    }
}
