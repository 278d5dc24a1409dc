using System.Text.Json;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>Embedding-level losses against torch autograd (fixtures/training/losses.json, float64 reference).</summary>
public sealed class LossTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("losses.json"))).RootElement;

    public static TheoryData<string> Cases => ["mnrl", "mnrl_symmetric", "cosent", "triplet", "triplet_margin_0.5", "matryoshka_mnrl", "margin_mse", "angle", "contrastive", "online_contrastive",
        "sparse_mnrl", "splade_mnrl", "splade_document_only", "cosine_similarity", "mega_batch_margin", "mega_batch_margin_0.5_0.1"];

    private static IEmbeddingLoss Create(string name) => name switch
    {
        "mnrl" => new MultipleNegativesRankingLoss(),
        "mnrl_symmetric" => new MultipleNegativesRankingLoss(symmetric: true),
        "cosent" => new CoSENTLoss(),
        "triplet" => new TripletLoss(),
        "triplet_margin_0.5" => new TripletLoss(0.5f),
        "matryoshka_mnrl" => new MatryoshkaLoss(new MultipleNegativesRankingLoss(), [16, 8], [1f, 0.5f]),
        "margin_mse" => new MarginMseLoss(),
        "angle" => new AnglELoss(),
        "contrastive" => new ContrastiveLoss(),
        "online_contrastive" => new OnlineContrastiveLoss(),
        "cosine_similarity" => new CosineSimilarityLoss(),
        "mega_batch_margin" => new MegaBatchMarginLoss(),
        "mega_batch_margin_0.5_0.1" => new MegaBatchMarginLoss(0.5f, 0.1f),
        "sparse_mnrl" => new MultipleNegativesRankingLoss(1f, dot: true),
        "splade_mnrl" => new SpladeLoss(new MultipleNegativesRankingLoss(1f, dot: true), 0.03f, 0.05f),
        "splade_document_only" => new SpladeLoss(new MultipleNegativesRankingLoss(1f, dot: true), 0.03f, documentsOnly: true),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(string name)
    {
        int ncol = Case(name).GetProperty("grads").GetArrayLength();
        var columns = Columns(ncol);
        var labels = Labels(name);
        var grads = Zeros(columns);
        AssertTorch(name, Create(name).Compute(columns, labels, grads), grads, gradAbs: 1e-6);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientMatchesFiniteDifferences(string name)
    {
        var loss = Create(name);
        int ncol = name is "mnrl" or "sparse_mnrl" or "splade_mnrl" or "splade_document_only" or "triplet" or "triplet_margin_0.5" or "matryoshka_mnrl" or "margin_mse" ? 3 : 2;
        var labels = Labels(name);
        AssertFiniteDifferences(name, Columns(ncol), (cols, into) => loss.Compute(cols, labels, into), abs: 2e-3);
    }

    [Theory]
    [InlineData("gist", 3)]
    [InlineData("gist_relative_pairs", 2)]
    public void Gist_MatchesTorchAndFiniteDifferences(string name, int ncol)
    {
        int rows = Reference.GetProperty("rows").GetInt32(), dim = Reference.GetProperty("dim").GetInt32();
        var guides = Reference.GetProperty("guides").EnumerateArray().Take(ncol).Select(g =>
            new EmbeddingBatch([.. g.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle())], rows, dim)).ToArray();
        float Run(EmbeddingBatch[] cols, EmbeddingBatch[] into) => name == "gist"
            ? GistEmbedLoss.Compute(cols, guides, into)
            : GistEmbedLoss.Compute(cols, guides, into, temperature: 0.05f, margin: 0.1f, relativeMargin: true, contrastPositives: false);
        var columns = Columns(ncol);
        var grads = Zeros(columns);
        AssertTorch(name, Run(columns, grads), grads, gradAbs: 1e-5, gradRel: 1e-4);
        AssertFiniteDifferences(name, columns, Run, abs: 5e-3);
    }

    [Theory]
    [InlineData("margin_mse_two_negatives", "margins2")]
    [InlineData("margin_mse_scores", "scores3")]
    public void MarginMseWithSeveralNegatives_MatchesTorchAndFiniteDifferences(string name, string labelKey)
    {
        int rows = Reference.GetProperty("rows").GetInt32(), dim = Reference.GetProperty("dim").GetInt32();
        var extra = new EmbeddingBatch([.. Reference.GetProperty("extra").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle())], rows, dim);
        var columns = Columns(3).Append(extra).ToArray();
        var labels = Reference.GetProperty(labelKey).EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle()).ToArray(); // flat, row by row
        var loss = new MarginMseLoss();
        var grads = Zeros(columns);
        AssertTorch(name, loss.Compute(columns, labels, grads), grads, gradAbs: 1e-5);
        AssertFiniteDifferences(name, columns, (cols, into) => loss.Compute(cols, labels, into), abs: 2e-3);
        Assert.Throws<ArgumentException>(() => loss.Compute(columns, labels[..rows], grads)); // one label per row for two negatives
    }

    [Theory]
    [InlineData("distill_kl", 1f)]
    [InlineData("distill_kl_t2", 2f)]
    public void DistillKLDiv_MatchesTorchAndFiniteDifferences(string name, float temperature)
    {
        int rows = Reference.GetProperty("rows").GetInt32(), dim = Reference.GetProperty("dim").GetInt32();
        var extra = new EmbeddingBatch([.. Reference.GetProperty("extra").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle())], rows, dim);
        var columns = Columns(3).Append(extra).ToArray();
        var labels = Reference.GetProperty("scores3").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle()).ToArray();
        var loss = new DistillKLDivLoss(temperature);
        var grads = Zeros(columns);
        AssertTorch(name, loss.Compute(columns, labels, grads), grads, gradAbs: 1e-6);
        AssertFiniteDifferences(name, columns, (cols, into) => loss.Compute(cols, labels, into), abs: 2e-3);
        Assert.Throws<ArgumentException>(() => loss.Compute(columns, labels[..(2 * rows)], grads)); // three scores a row, not two
    }

    /// <summary>
    /// SpladeLoss with FLOPS thresholds over relu of the columns (5–13 of 16 entries active): rows with at most 8
    /// (documents) / 9 (queries) active entries leave the regularisers. Torch parity only: a finite difference of a zero
    /// entry would change how many are active.
    /// </summary>
    [Fact]
    public void SpladeThresholds_MatchTorch()
    {
        var columns = Columns(3);
        foreach (var c in columns)
        {
            for (int i = 0; i < c.Data.Length; i++) c.Data[i] = Math.Max(c.Data[i], 0f);
        }
        var grads = Zeros(columns);
        var loss = new SpladeLoss(new MultipleNegativesRankingLoss(1f, dot: true), 0.03f, 0.05f, documentThreshold: 8, queryThreshold: 9);
        AssertTorch("splade_thresholds", loss.Compute(columns, null, grads), grads, gradAbs: 1e-6);
        var plain = new SpladeLoss(new MultipleNegativesRankingLoss(1f, dot: true), 0.03f, 0.05f);
        Assert.NotEqual(plain.Compute(columns, null, Zeros(columns)), loss.Compute(columns, null, Zeros(columns))); // the thresholds matter here
    }

    [Fact]
    public void Mse_MatchesTorchAndFiniteDifferences()
    {
        var all = Columns(3);
        var (columns, target) = (all[..2], all[2]);
        var grads = Zeros(columns);
        AssertTorch("mse", MseLoss.Compute(columns, target, grads), grads, gradAbs: 1e-7);
        AssertFiniteDifferences("mse", columns, (cols, into) => MseLoss.Compute(cols, target, into), abs: 1e-4, rel: 1e-2, stride: 5);
    }

    [Theory]
    [InlineData("batch_hard_triplet")]
    [InlineData("batch_hard_triplet_margin_1")]
    [InlineData("batch_hard_soft_margin_triplet")]
    [InlineData("batch_all_triplet")]
    [InlineData("batch_all_triplet_margin_1")]
    [InlineData("batch_semi_hard_triplet")]
    [InlineData("batch_semi_hard_triplet_margin_1")]
    public void BatchTriplet_MatchesTorchAndFiniteDifferences(string name)
    {
        var loss = name switch
        {
            "batch_hard_triplet" => new BatchTripletLoss(BatchTripletMode.Hard),
            "batch_hard_triplet_margin_1" => new BatchTripletLoss(BatchTripletMode.Hard, 1f),
            "batch_hard_soft_margin_triplet" => new BatchTripletLoss(BatchTripletMode.HardSoftMargin),
            "batch_all_triplet" => new BatchTripletLoss(BatchTripletMode.All),
            "batch_semi_hard_triplet" => new BatchTripletLoss(BatchTripletMode.SemiHard),
            "batch_semi_hard_triplet_margin_1" => new BatchTripletLoss(BatchTripletMode.SemiHard, 1f),
            _ => new BatchTripletLoss(BatchTripletMode.All, 1f),
        };
        float[] labels = [.. Reference.GetProperty("class_labels").EnumerateArray().Select(x => (float)x.GetInt32())];
        var columns = Columns(1);
        var grads = Zeros(columns);
        AssertTorch(name, loss.Compute(columns, labels, grads), grads, gradAbs: 1e-6);
        AssertFiniteDifferences(name, columns, (cols, into) => loss.Compute(cols, labels, into), abs: 2e-3);
    }

    /// <summary>SoftmaxLoss with make_reference.py's classifier: the loss, the columns' and the classifier's gradients against torch, and finite differences.</summary>
    [Fact]
    public void Softmax_MatchesTorchAndFiniteDifferences()
    {
        var loss = new SoftmaxLoss(Reference.GetProperty("dim").GetInt32(), 3);
        float[] Floats(string key) => [.. Reference.GetProperty(key).EnumerateArray().SelectMany(Flat).Select(x => x.GetSingle())];
        Floats("softmax_weight").CopyTo(loss.Weight.Data.Span);
        Floats("softmax_bias").CopyTo(loss.Bias.Data.Span);
        float[] labels = [.. Reference.GetProperty("softmax_labels").EnumerateArray().Select(x => (float)x.GetInt32())];
        var columns = Columns(2);
        var grads = Zeros(columns);
        loss.Weight.Grad.Span.Clear();
        loss.Bias.Grad.Span.Clear();
        AssertTorch("softmax", loss.Compute(columns, labels, grads), grads, gradAbs: 1e-6);
        var c = Case("softmax");
        double[] Expected(string key) => [.. c.GetProperty(key).EnumerateArray().SelectMany(Flat).Select(x => x.GetDouble())];
        var w = Expected("weight_grad");
        for (int i = 0; i < w.Length; i++) Assert.True(Math.Abs(loss.Weight.Grad.Span[i] - w[i]) <= 1e-6, $"dW[{i}] {loss.Weight.Grad.Span[i]} vs {w[i]}");
        var b = Expected("bias_grad");
        for (int i = 0; i < b.Length; i++) Assert.True(Math.Abs(loss.Bias.Grad.Span[i] - b[i]) <= 1e-6, $"db[{i}] {loss.Bias.Grad.Span[i]} vs {b[i]}");
        AssertFiniteDifferences("softmax", columns, (cols, into) => loss.Compute(cols, labels, into), abs: 2e-3);
        Assert.Throws<ArgumentException>(() => loss.Compute(columns, [.. labels.Select(_ => 3f)], grads)); // outside 0..2
    }

    private static IEnumerable<JsonElement> Flat(JsonElement x) => x.ValueKind == JsonValueKind.Array ? x.EnumerateArray() : [x];

    private static JsonElement Case(string name) =>
        Reference.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);

    private static EmbeddingBatch[] Zeros(IEnumerable<EmbeddingBatch> like) => [.. like.Select(x => new EmbeddingBatch(x.Rows, x.Dim))];

    /// <summary>The loss and gradients of case <paramref name="name"/> against torch's (float64 reference).</summary>
    private static void AssertTorch(string name, float loss, IReadOnlyList<EmbeddingBatch> grads, double gradAbs, double gradRel = 1e-5)
    {
        var c = Case(name);
        double expected = c.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Abs(expected) + 1e-6, $"{name}: loss {loss} vs {expected}");
        int k = 0;
        foreach (var g in c.GetProperty("grads").EnumerateArray())
        {
            var flat = g.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < flat.Length; i++)
                Assert.True(Math.Abs(grads[k].Data[i] - flat[i]) <= gradAbs + gradRel * Math.Abs(flat[i]), $"{name} grad {k}[{i}]: {grads[k].Data[i]} vs {flat[i]}");
            k++;
        }
    }

    /// <summary>
    /// Central differences (step 1e-3) of <paramref name="run"/> at every <paramref name="stride"/>-th value of each
    /// column against the gradient it computes.
    /// </summary>
    internal static void AssertFiniteDifferences(string name, EmbeddingBatch[] columns, Func<EmbeddingBatch[], EmbeddingBatch[], float> run,
        double abs, double rel = 2e-2, int stride = 7)
    {
        var grads = Zeros(columns);
        run(columns, grads);
        var scratch = Zeros(columns);
        for (int c = 0; c < columns.Length; c++)
        {
            for (int i = 0; i < columns[c].Data.Length; i += stride)
            {
                float old = columns[c].Data[i];
                columns[c].Data[i] = old + 1e-3f;
                double plus = run(columns, scratch);
                columns[c].Data[i] = old - 1e-3f;
                double minus = run(columns, scratch);
                columns[c].Data[i] = old;
                double numeric = (plus - minus) / ((double)(old + 1e-3f) - (old - 1e-3f));
                Assert.True(Math.Abs(grads[c].Data[i] - numeric) <= abs + rel * Math.Abs(numeric), $"{name} [{c}][{i}]: {grads[c].Data[i]} vs {numeric}");
            }
        }
    }

    [Fact]
    public void SimCse_PairsTextsWithThemselves()
    {
        var b = UnsupervisedSimCse.Pairs(["a", "b"]);
        Assert.Equal(2, b.Columns.Count);
        Assert.Equal(b.Columns[0], b.Columns[1]);
    }

    /// <summary>The reference's labels; the contrastive losses read them as 0/1 (above 0.5 is 1), as the script does.</summary>
    private static float[] Labels(string name)
    {
        var labels = Reference.GetProperty("labels").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        return name.EndsWith("contrastive", StringComparison.Ordinal) ? [.. labels.Select(l => l > 0.5f ? 1f : 0f)] : labels;
    }

    private static EmbeddingBatch[] Columns(int n)
    {
        int rows = Reference.GetProperty("rows").GetInt32(), dim = Reference.GetProperty("dim").GetInt32();
        return [.. Reference.GetProperty("columns").EnumerateArray().Take(n).Select(c =>
            new EmbeddingBatch([.. c.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle())], rows, dim))];
    }
}
