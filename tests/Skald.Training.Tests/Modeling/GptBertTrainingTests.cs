using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// One MultipleNegativesRankingLoss step on the tiny NorBERT4 / GPT-BERT (fixtures/models/norbert4-tiny) against
/// PyTorch autograd through ref_gptbert.py (fixtures/models/make_gptbert.py → fixtures/training/gptbert_step.json):
/// the loss and every parameter's gradient within 1e-5 (relative to the value where it exceeds 1).
/// </summary>
public sealed class GptBertTrainingTests
{
    private static readonly string Root = Skald.Tests.Repository.Root;

    private static TokenBatch Pad(IReadOnlyList<int[]> rows)
    {
        int seq = rows.Max(r => r.Length);
        var ids = new int[rows.Count * seq];
        var mask = new int[rows.Count * seq];
        for (int b = 0; b < rows.Count; b++)
        {
            rows[b].CopyTo(ids, b * seq);
            for (int t = 0; t < rows[b].Length; t++) mask[b * seq + t] = 1;
        }
        return new TokenBatch(ids, mask, new int[ids.Length], rows.Count, seq);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LossAndGradientsEqualPyTorch(bool checkpointing)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures", "training", "gptbert_step.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(Path.Combine(Root, "fixtures", "models", "norbert4-tiny"), dropout: 0f);
        Assert.IsType<GptBert>(model.Model.Transformer);
        var pairs = r.GetProperty("pairs").EnumerateArray()
            .Select(p => p.EnumerateArray().Select(s => s.EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray()).ToArray();
        model.ZeroGradients();
        var tape = new Tensors.Autograd.Tape { Checkpointing = checkpointing };
        var anchors = model.Model.Forward(tape, Pad([.. pairs.Select(x => x[0])]), normalize: true);
        var positives = model.Model.Forward(tape, Pad([.. pairs.Select(x => x[1])]), normalize: true);
        var columns = new[]
        {
            new EmbeddingBatch(anchors.Span.ToArray(), pairs.Length, anchors.Cols),
            new EmbeddingBatch(positives.Span.ToArray(), pairs.Length, positives.Cols),
        };
        var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
        float loss = new MultipleNegativesRankingLoss(r.GetProperty("scale").GetSingle()).Compute(columns, null, grads);
        float expectedLoss = r.GetProperty("loss").GetSingle();
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5f, $"loss {loss}, PyTorch {expectedLoss}");
        tape.Seed(anchors, grads[0].Data);
        tape.Seed(positives, grads[1].Data);
        tape.Backward();

        var byName = model.Parameters.ToDictionary(p => p.Name);
        int checkedParameters = 0;
        foreach (var g in r.GetProperty("gradients").EnumerateObject())
        {
            var actual = byName[g.Name].Grad.Span;
            var head = g.Value.GetProperty("head").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            for (int i = 0; i < head.Length; i++)
                Assert.True(Math.Abs(head[i] - actual[i]) <= 1e-5f * MathF.Max(1f, MathF.Abs(head[i])),
                    $"{g.Name}[{i}]: expected {head[i]}, got {actual[i]}");
            double ss = 0;
            foreach (float x in actual) ss += (double)x * x;
            double expectedSs = g.Value.GetProperty("sum_squares").GetDouble();
            Assert.True(Math.Abs(Math.Sqrt(ss) - Math.Sqrt(expectedSs)) <= 1e-5 * Math.Max(1, Math.Sqrt(expectedSs)),
                $"{g.Name}: |grad| {Math.Sqrt(ss)}, PyTorch {Math.Sqrt(expectedSs)}");
            checkedParameters++;
        }
        Assert.Equal(byName.Count, checkedParameters);
    }
}
