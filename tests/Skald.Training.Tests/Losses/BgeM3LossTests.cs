using System.Text.Json;
using Skald.Models.BgeM3;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Tests.TestSupport;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// BGE-M3's unified fine-tuning (<see cref="BgeM3Loss"/>): one step on bge-m3-tiny (with the float32 ColBERT head of
/// fixtures/training/bge_m3_colbert_linear.pt, under which the padded-passage rule changes scores) against a plain
/// PyTorch re-implementation of FlagEmbedding's EncoderOnlyEmbedderM3Model (fixtures/training/make_bge_m3_reference.py
/// → bge_m3_step.json): the loss, each term and every parameter's gradient (transformer and heads) within 1e-5 (of the
/// parameter's largest gradient entry), for
/// plain unified training, with self-distillation, and with a teacher's scores (kl_div; m3_kd_loss with
/// self-distillation), and each of those without in-batch negatives (a no_in_batch_neg data set's batch); and the lexical score's backward against central differences.
/// </summary>
public sealed class BgeM3LossTests
{
    private static readonly string Root = Skald.Tests.Repository.Root;

    /// <summary>A copy of bge-m3-tiny with the reference's ColBERT head.</summary>
    internal static string Folder()
    {
        string folder = Skald.Tests.TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        File.Copy(Path.Combine(Root, "fixtures", "training", "bge_m3_colbert_linear.pt"), Path.Combine(folder, "colbert_linear.pt"), overwrite: true);
        return folder;
    }

    [Theory]
    [InlineData("unified", false)]
    [InlineData("unified", true)]
    [InlineData("self_distill", false)]
    [InlineData("kd_kl_div", false)]
    [InlineData("kd_m3_self_distill", false)]
    [InlineData("no_in_batch_neg", false)]
    [InlineData("no_in_batch_neg_kd_kl_div", false)]
    [InlineData("no_in_batch_neg_kd_m3", false)]
    public void LossTermsAndGradientsEqualFlagEmbedding(string name, bool checkpointing)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures", "training", "bge_m3_step.json")));
        var root = doc.RootElement;
        var r = root.GetProperty(name);
        var model = TrainableEncoder.Load(Folder(), dropout: 0f);
        model.GradientCheckpointing = checkpointing; // the heads read the last layer's output, which a checkpointed pass keeps
        var loss = new BgeM3Loss(model, root.GetProperty("temperature").GetSingle(), selfDistill: r.GetProperty("use_self_distill").GetBoolean(),
            m3KdLoss: r.GetProperty("kd_loss_type").GetString() == "m3_kd_loss");
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(s => s.GetString()!)]).ToArray();
        var ids = root.GetProperty("ids").EnumerateArray().ToArray();
        for (int c = 0; c < columns.Length; c++) // the reference starts from HF tokenizers' ids
        {
            var tokens = model.Tokenize(columns[c]);
            for (int i = 0; i < tokens.Count; i++) Assert.Equal(ids[c][i].EnumerateArray().Select(x => x.GetInt32()), tokens[i].Ids);
        }
        float[]? teacher = r.GetProperty("teacher_scores").ValueKind == JsonValueKind.Null ? null
            : [.. r.GetProperty("teacher_scores").EnumerateArray().Select(x => x.GetSingle())];
        model.ZeroGradients();
        foreach (var p in loss.Parameters) p.Grad.Span.Clear();
        var batch = new TrainingBatch(columns, teacher) { NoInBatchNegatives = r.GetProperty("no_in_batch_neg").GetBoolean() };
        float value = loss.ComputeAndBackward(model, batch);

        AssertMatches(r, loss, model, value);
        Assert.Equal(4, loss.Parameters.Count);
    }

    /// <summary>
    /// The step's loss, terms and every parameter's gradient against one case of bge_m3_step.json: each gradient within
    /// 1e-5 of the parameter's largest gradient entry (at least 1), as a float32 sum over every token of the batch,
    /// scaled by 1/temperature = 50, differs by that much in the order of its additions.
    /// </summary>
    internal static void AssertMatches(JsonElement r, BgeM3Loss loss, TrainableEncoder model, float value)
    {
        var misses = new List<string>();
        double expectedLoss = r.GetProperty("loss").GetDouble();
        if (!(Math.Abs(value - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)))) misses.Add($"loss {value}, PyTorch {expectedLoss}");
        CheckTerms(r.GetProperty("terms"), loss, misses);
        CheckGradients(r.GetProperty("gradients"), model.Parameters.Concat(loss.Parameters), misses);
        Assert.True(misses.Count == 0, string.Join("\n", misses.Take(40)));
    }

    /// <summary>Each term of <paramref name="loss"/>'s last batch within 1e-5 (relative, at least 1) of <paramref name="expected"/>, and no other term.</summary>
    internal static void CheckTerms(JsonElement expected, BgeM3Loss loss, List<string> misses)
    {
        foreach (var t in expected.EnumerateObject())
        {
            double got = loss.LastTerms[t.Name], want = t.Value.GetDouble();
            if (!(Math.Abs(got - want) <= 1e-5 * Math.Max(1, Math.Abs(want)))) misses.Add($"term {t.Name}: {got}, PyTorch {want}");
        }
        Assert.Equal(expected.EnumerateObject().Count(), loss.LastTerms.Count);
    }

    /// <summary>Every parameter's gradient against the reference's (see <see cref="AssertMatches"/>); each one checked.</summary>
    internal static void CheckGradients(JsonElement gradients, IEnumerable<Parameter> parameters, List<string> misses)
    {
        var byName = parameters.ToDictionary(p => p.Name);
        int checkedParameters = 0;
        foreach (var g in gradients.EnumerateObject())
        {
            Assert.True(byName.TryGetValue(g.Name, out var parameter), $"no parameter {g.Name}");
            var actual = parameter.Grad.ToArray();
            var head = g.Value.GetProperty("head").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var at = g.Value.GetProperty("sample_index").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var sample = g.Value.GetProperty("sample").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            double scale = Math.Max(1, head.Concat(sample).Max(Math.Abs));
            void Check(int i, double want)
            {
                double err = Math.Abs(want - actual[i]) / scale;
                if (!(err <= 1e-5)) misses.Add($"{g.Name}[{i}]: PyTorch {want}, got {actual[i]} ({err:E2})");
            }
            for (int i = 0; i < head.Length; i++) Check(i, head[i]);
            for (int i = 0; i < at.Length; i++) Check(at[i], sample[i]);
            double ss = 0;
            foreach (float x in actual) ss += (double)x * x;
            double want = Math.Sqrt(g.Value.GetProperty("sum_squares").GetDouble());
            if (!(Math.Abs(Math.Sqrt(ss) - want) / Math.Max(1, want) <= 1e-5)) misses.Add($"{g.Name}: |grad| {Math.Sqrt(ss)}, PyTorch {want}");
            checkedParameters++;
        }
        Assert.Equal(byName.Count, checkedParameters); // every parameter, the four head tensors among them
    }

    [Fact]
    public void WithoutUnifiedFinetuningTheLossIsTheDenseCrossEntropyAlone()
    {
        // unified_finetuning false: upstream's base loss, cross-entropy over dense dots / temperature, which is MNRL
        // (itself checked against PyTorch) with scale 1 / temperature on the folder's unit vectors
        IReadOnlyList<string>[] columns = [["Hvor ligger hytta?", "Når går ferja?"], ["Hytta ligger ved sjøen.", "Ferja går kvar time."], ["Det regner.", "Bussen er sein."]];
        var model = TrainableEncoder.Load(Folder(), dropout: 0f);
        var loss = new BgeM3Loss(model, 0.05f, unified: false);
        Assert.Empty(loss.Parameters);
        model.ZeroGradients();
        float value = loss.ComputeAndBackward(model, new TrainingBatch(columns));
        var grads = model.Parameters.Select(p => p.Grad.ToArray()).ToArray();
        model.ZeroGradients();
        float mnrl = new MultipleNegativesRankingLoss(20f).ComputeAndBackward(model, new TrainingBatch(columns));
        Assert.True(Math.Abs(value - mnrl) <= 1e-5 * Math.Max(1, mnrl), $"{value} vs MNRL {mnrl}");
        for (int i = 0; i < grads.Length; i++)
        {
            var want = model.Parameters[i].Grad.ToArray();
            double scale = Math.Max(1, want.Max(Math.Abs));
            for (int j = 0; j < want.Length; j++)
                Assert.True(Math.Abs(want[j] - grads[i][j]) <= 1e-5 * scale, $"{model.Parameters[i].Name}[{j}]: {grads[i][j]} vs MNRL {want[j]}");
        }
    }

    [Fact]
    public void QueriesAndPassagesAreCutToTheirOwnLengths()
    {
        var model = TrainableEncoder.Load(Folder(), dropout: 0f);
        float Loss(int? query, int? passage, string tail)
        {
            var loss = new BgeM3Loss(model) { QueryMaxLength = query, PassageMaxLength = passage };
            IReadOnlyList<string>[] columns =
            [
                ["Hvor ligger hytta ved fjorden " + tail, "Når går ferja over fjorden " + tail],
                ["Hytta ligger ved sjøen " + tail, "Ferja går kvar time " + tail],
            ];
            model.ZeroGradients();
            return loss.ComputeAndBackward(model, new TrainingBatch(columns));
        }
        // query_max_len / passage_max_len (FlagEmbedding's data arguments): what lies beyond them changes nothing
        Assert.Equal(Loss(6, 7, "i morgon tidleg"), Loss(6, 7, "etter lunsj i dag"));
        Assert.NotEqual(Loss(null, null, "i morgon tidleg"), Loss(null, null, "etter lunsj i dag"));
        Assert.NotEqual(Loss(6, null, "i morgon tidleg"), Loss(6, null, "etter lunsj i dag"));
    }

    [Fact]
    public void LexicalScoreBackwardMatchesCentralDifferences()
    {
        // ids repeat (the max over positions), an unused id (3) and weights below 0 (the relu) occur
        int[] idsA = [0, 17, 5, 17, 3, 9, 5, 2], idsB = [0, 5, 9, 9, 17, 3, 11, 2];
        float[] a = [0.8f, 0.31f, -0.4f, 0.57f, 0.9f, 0.22f, 0.66f, 0.5f], b = [0.7f, 0.45f, 0.13f, 0.38f, -0.2f, 0.6f, 0.29f, 0.4f];
        int[] unused = [0, 1, 2, 3];
        const double dScore = 1.7;
        double F(float[] x, float[] y) => dScore * LexicalWeights.Score(LexicalWeights.From(x, idsA, unused), LexicalWeights.From(y, idsB, unused));
        var da = new double[a.Length];
        var db = new double[b.Length];
        LexicalWeights.Backward(LexicalWeights.From(a, idsA, unused), LexicalWeights.From(b, idsB, unused), dScore, da, db);
        Assert.True(F(a, b) > 0);
        const float h = 1e-3f;
        foreach (var (x, d, name) in new[] { (a, da, "a"), (b, db, "b") })
        {
            for (int i = 0; i < x.Length; i++)
            {
                float keep = x[i];
                x[i] = keep + h;
                double plus = F(a, b);
                x[i] = keep - h;
                double minus = F(a, b);
                x[i] = keep;
                double numeric = (plus - minus) / ((double)(keep + h) - (keep - h));
                Assert.True(Math.Abs(numeric - d[i]) <= 1e-4, $"{name}[{i}]: analytic {d[i]}, central difference {numeric}");
            }
        }
        Assert.Contains(da, v => v != 0);
        Assert.Equal(0, da[2]); // below 0: the relu passes nothing
        Assert.Equal(0, da[1]); // 17's smaller occurrence: the max takes the other
        Assert.Equal(0, da[4]); // unused id
    }

    [Fact]
    public void AFolderWithOneHeadFileIsRefusedNamingTheMissingOne()
    {
        // neither file: new heads (BgeM3NewHeadsTests); one of the two is a broken BGE-M3 folder, not a base
        string half = Skald.Tests.TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        File.Delete(Path.Combine(half, "colbert_linear.pt"));
        var m = TrainableEncoder.Load(half, dropout: 0f);
        var e = Assert.Throws<Skald.Models.ModelFormatException>(() => new BgeM3Loss(m));
        Assert.StartsWith(Path.Combine(half, "colbert_linear.pt") + ": not found", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
