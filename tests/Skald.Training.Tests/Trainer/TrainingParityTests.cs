using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// 5 optimiser steps (dropout 0, AdamW lr 1e-3 wd 0.01 with HF no-decay groups, clip 1.0) against torch autograd
/// (fixtures/training/make_reference.py): per-step loss within 1e-4 relative, final weights within 1e-4 absolute.
/// </summary>
public sealed class TrainingParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mnrl")]
    [InlineData("cosent")]
    [InlineData("margin_mse")]
    [InlineData("mse")]
    [InlineData("gist")]
    public void FiveSteps_MatchPyTorch(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture(name + ".json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        // mse: the teacher is the inference engine's SentenceEncoder over fixtures/training/teacher; its embeddings of each
        // step's anchors are checked against the ones PyTorch computed before the student trains on them.
        var teacher = name is "mse" or "gist" ? Skald.Models.SentenceEncoder.Load(CorePaths.TrainingFixture("teacher")) : null;
        // gist: the same fixture as the guide, checked column by column (anchor, positive, negative of each step).
        var expectedTeacher = new Queue<float[][]>(r.GetProperty("steps").EnumerateArray()
            .SelectMany(s => s.TryGetProperty("teacher", out var t) ? [t] : s.TryGetProperty("guides", out var g) ? g.EnumerateArray().ToArray() : [])
            .Select(m => m.EnumerateArray().Select(e => e.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray()));
        float[][] Frozen(IReadOnlyList<string> texts)
        {
            var mine = teacher!.Encode(texts);
            var theirs = expectedTeacher.Dequeue();
            for (int i = 0; i < mine.Length; i++)
                for (int j = 0; j < mine[i].Length; j++) Assert.Equal(theirs[i][j], mine[i][j], 1e-5f);
            return mine;
        }
        ILoss loss = name switch
        {
            "mnrl" => new MultipleNegativesRankingLoss(),
            "margin_mse" => new MarginMseLoss(),
            "mse" => new MseLoss(Frozen),
            "gist" => new GistEmbedLoss(Frozen),
            _ => new CoSENTLoss(),
        };
        var opt = new AdamW(model.Parameters, weightDecay: r.GetProperty("weight_decay").GetSingle());
        float lr = r.GetProperty("lr").GetSingle(), clip = r.GetProperty("clip").GetSingle();
        double worstLoss = 0, worstNorm = 0;
        foreach (var step in r.GetProperty("steps").EnumerateArray())
        {
            var columns = StepColumns(step, model);
            IReadOnlyList<float>? labels = step.GetProperty("labels").ValueKind == JsonValueKind.Array
                ? [.. step.GetProperty("labels").EnumerateArray().Select(x => x.GetSingle())] : null;
            model.ZeroGradients();
            float value = loss.ComputeAndBackward(model, new TrainingBatch(columns, labels));
            float norm = GradientClipping.ClipGlobalNorm(model.Parameters, clip);
            opt.Step(lr);
            double expLoss = step.GetProperty("loss").GetDouble(), expNorm = step.GetProperty("grad_norm").GetDouble();
            worstLoss = Math.Max(worstLoss, Math.Abs(value - expLoss) / Math.Abs(expLoss));
            worstNorm = Math.Max(worstNorm, Math.Abs(norm - expNorm) / expNorm);
            output.WriteLine($"{name}: loss {value:F6} (torch {expLoss:F6}), grad norm {norm:F4} (torch {expNorm:F4})");
        }
        // The attention key bias has an exactly-zero true gradient (softmax is invariant to it): both sides see only
        // rounding noise there, which Adam's m/√v turns into steps of up to lr·|g|/(|g| + ε). Those values are held to
        // 5·lr (the most 5 steps can move them); every other value to 1e-4.
        double worstWeight = 0, worstKeyBias = 0;
        string worstKey = "";
        using (var final = Checkpoint.OpenFile(CorePaths.TrainingFixture(name + "_final.safetensors")))
        {
            Assert.Equal(model.Parameters.Count, final.Keys.Count());
            foreach (var p in model.Parameters)
            {
                var expected = final.Read(p.Name, p.Shape);
                for (int i = 0; i < expected.Length; i++)
                {
                    double d = Math.Abs(expected[i] - p.Data.Span[i]);
                    if (p.Name.EndsWith("attention.self.key.bias", StringComparison.Ordinal)) worstKeyBias = Math.Max(worstKeyBias, d);
                    else if (d > worstWeight) (worstWeight, worstKey) = (d, $"{p.Name}[{i}]");
                }
            }
        }
        output.WriteLine($"{name}: worst relative loss difference {worstLoss:E2}, worst relative grad-norm difference {worstNorm:E2}, worst weight difference {worstWeight:E2} at {worstKey} (attention key biases: {worstKeyBias:E2})");
        Assert.Empty(expectedTeacher); // mse / gist: the frozen model embedded every step's texts
        Assert.True(worstLoss <= 1e-4, $"loss differs by {worstLoss:E2} relative");
        Assert.True(worstKeyBias <= 5 * lr, $"key biases differ by {worstKeyBias:E2}");
        Assert.True(worstWeight <= 1e-4, $"weights differ by {worstWeight:E2} at {worstKey}");
    }

    /// <summary>Within 1e-4 relative (1e-7 absolute) of the reference, naming what differs.</summary>
    internal static void Near(double mine, double theirs, string what) =>
        Assert.True(Math.Abs(mine - theirs) <= 1e-4 * Math.Abs(theirs) + 1e-7, $"{what}: {mine} vs PyTorch {theirs}");

    /// <summary>
    /// Replays a reference run's steps (AdamW with its weight decay at its lr, clipping at its clip) with
    /// <paramref name="loss"/> on <paramref name="model"/>: each step's ids checked (<see cref="StepColumns"/>), its loss
    /// and grad norm within 1e-4 relative, <paramref name="check"/> on what else the step records; then every final
    /// weight against <paramref name="finalWeights"/> (<see cref="SpladeTrainingTests.AssertFinalWeights(TrainableEncoder, string, float, ITestOutputHelper)"/>).
    /// </summary>
    internal static void Replay(TrainableEncoder model, JsonElement r, ILoss loss, string finalWeights, ITestOutputHelper output,
        Action<JsonElement>? check = null)
    {
        // The loss's own parameters (a decoder, a classifier) train with the model's, as the trainer optimises them.
        var all = model.Parameters.Concat(loss.Parameters).ToList();
        var opt = new AdamW(all, weightDecay: r.GetProperty("weight_decay").GetSingle());
        float lr = r.GetProperty("lr").GetSingle(), clip = r.GetProperty("clip").GetSingle();
        foreach (var step in r.GetProperty("steps").EnumerateArray())
        {
            var columns = StepColumns(step, model);
            model.ZeroGradients();
            foreach (var p in loss.Parameters) p.Grad.Span.Clear();
            float value = loss.ComputeAndBackward(model, new TrainingBatch(columns));
            float norm = GradientClipping.ClipGlobalNorm(all, clip);
            opt.Step(lr);
            output.WriteLine($"loss {value:F6} (torch {step.GetProperty("loss").GetDouble():F6}), grad norm {norm:F4} (torch {step.GetProperty("grad_norm").GetDouble():F4})");
            check?.Invoke(step);
            Near(value, step.GetProperty("loss").GetDouble(), "loss");
            Near(norm, step.GetProperty("grad_norm").GetDouble(), "grad norm");
        }
        SpladeTrainingTests.AssertFinalWeights(model, finalWeights, lr, output);
    }

    /// <summary>
    /// A reference step's text columns, after checking that <paramref name="model"/> tokenizes each as the reference's
    /// HF tokenizer did (its "ids").
    /// </summary>
    internal static IReadOnlyList<string>[] StepColumns(JsonElement step, TrainableEncoder model)
    {
        var columns = step.GetProperty("columns").EnumerateArray()
            .Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
        var ids = step.GetProperty("ids").EnumerateArray().ToArray();
        for (int c = 0; c < columns.Length; c++)
        {
            var mine = model.Prepare(columns[c], query: c == 0).Encodings; // as the losses prepare them (an inference-free model's queries on its static route)
            var theirs = ids[c].EnumerateArray().Select(e => e.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
            for (int i = 0; i < mine.Count; i++) Assert.Equal(theirs[i], mine[i].Ids);
        }
        return columns;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(64)]
    public void CachedMnrl_GivesTheFullBatchGradients(int miniBatch)
    {
        string[][] cols =
        [
            ["Hvor ligger legekontoret?", "Kor mykje kostar billetten?", "Hvornår åbner biblioteket?", "Var finns närmaste apotek?", "Hvem vant?"],
            ["Legekontoret ligger i sentrum.", "Billetten kostar hundre kroner.", "Klokken ni.", "Apoteket ligger vid torget.", "Bergen vant kampen."],
            ["Bussen går klokka sju.", "Eg likar å gå på ski.", "Katten sover i solen.", "Det regnar hela dagen.", "Suppen trenger salt."],
        ];
        var batch = new TrainingBatch(cols);
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        model.ZeroGradients();
        float full = new MultipleNegativesRankingLoss().ComputeAndBackward(model, batch, gradientScale: 0.5f);
        var expected = model.Parameters.Select(p => p.Grad.ToArray()).ToArray();
        model.ZeroGradients();
        float cached = new CachedMultipleNegativesRankingLoss(miniBatchSize: miniBatch).ComputeAndBackward(model, batch, 0.5f);
        Assert.Equal(full, cached, 5);
        double worst = 0, scale = expected.Max(g => g.Max(Math.Abs));
        for (int k = 0; k < expected.Length; k++)
        {
            for (int i = 0; i < expected[k].Length; i++) worst = Math.Max(worst, Math.Abs(expected[k][i] - model.Parameters[k].Grad.Span[i]));
        }
        output.WriteLine($"mini-batch {miniBatch}: worst gradient difference {worst:E2} (largest gradient {scale:E2})");
        Assert.True(worst <= 1e-5 * scale, $"worst gradient difference {worst:E2} (largest {scale:E2})");
    }
}
