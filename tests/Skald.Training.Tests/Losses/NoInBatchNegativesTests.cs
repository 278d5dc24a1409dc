using System.Text.Json;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// MNRL without in-batch negatives (FlagEmbedding's no_in_batch_neg): against a float64 torch re-implementation of
/// upstream's <c>_compute_no_in_batch_neg_loss</c> (fixtures/training/make_no_in_batch_neg_reference.py), its gradient
/// against finite differences, and a flagged batch reaching it through the plain and the cached (GradCache) path.
/// </summary>
public sealed class NoInBatchNegativesTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("no_in_batch_neg.json"))).RootElement;

    public static TheoryData<string> Cases => ["cosine_3", "cosine_4", "cosine_3_scale_5", "dot_4"];

    private static JsonElement Case(string name) =>
        Reference.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);

    private static MultipleNegativesRankingLoss Create(JsonElement c) =>
        new MultipleNegativesRankingLoss((float)c.GetProperty("scale").GetDouble(), dot: c.GetProperty("dot").GetBoolean()).WithoutInBatchNegatives();

    private static EmbeddingBatch[] Columns(int n)
    {
        int rows = Reference.GetProperty("rows").GetInt32(), dim = Reference.GetProperty("dim").GetInt32();
        return [.. Reference.GetProperty("columns").EnumerateArray().Take(n).Select(c =>
            new EmbeddingBatch([.. c.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle())], rows, dim))];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(string name)
    {
        var c = Case(name);
        var columns = Columns(c.GetProperty("columns").GetInt32());
        var grads = columns.Select(x => new EmbeddingBatch(x.Rows, x.Dim)).ToArray();
        float loss = Create(c).Compute(columns, null, grads);
        double expected = c.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Abs(expected) + 1e-6, $"{name}: loss {loss} vs {expected}");
        int k = 0;
        foreach (var g in c.GetProperty("grads").EnumerateArray())
        {
            var flat = g.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < flat.Length; i++)
                Assert.True(Math.Abs(grads[k].Data[i] - flat[i]) <= 1e-5, $"{name} grad {k}[{i}]: {grads[k].Data[i]} vs {flat[i]}");
            k++;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientMatchesFiniteDifferences(string name)
    {
        var c = Case(name);
        var loss = Create(c);
        LossTests.AssertFiniteDifferences(name, Columns(c.GetProperty("columns").GetInt32()), (cols, into) => loss.Compute(cols, null, into), abs: 2e-3, stride: 3);
    }

    [Fact]
    public void TheSymmetricLossHasNoSuchForm() =>
        Assert.Throws<InvalidOperationException>(() => new MultipleNegativesRankingLoss(symmetric: true).WithoutInBatchNegatives());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFlaggedBatchIsScoredAsItsRowsAlone(bool cached)
    {
        // Scored against its own documents only, a batch's loss is the mean of its rows' losses in batches of one
        // (where the only candidates are the row's own): that holds only if the flag reaches the loss.
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0);
        ILoss loss = cached ? new CachedMultipleNegativesRankingLoss(miniBatchSize: 2) : new MultipleNegativesRankingLoss();
        string[][] columns =
        [
            ["Hvor ligger huset?", "Når går bussen?", "Hva koster kaffen?", "Kor er biblioteket?"],
            ["Huset ligger ved fjorden.", "Bussen går klokka sju.", "Kaffen koster ti kroner.", "Biblioteket er i sentrum."],
            ["Det regner i Bergen.", "Katten sover i solen.", "Teen er gratis.", "Bussen er forsinket."],
        ];
        float flagged = loss.ComputeAndBackward(model, new TrainingBatch(columns) { NoInBatchNegatives = true });
        double alone = Enumerable.Range(0, 4).Average(r => loss.ComputeAndBackward(model, new TrainingBatch([.. columns.Select(c => (IReadOnlyList<string>)[c[r]])])));
        float inBatch = loss.ComputeAndBackward(model, new TrainingBatch(columns));
        Assert.True(Math.Abs(flagged - alone) <= 1e-5 * Math.Abs(alone) + 1e-6, $"{flagged} vs {alone}");
        Assert.True(inBatch > flagged + 1e-3, $"in-batch {inBatch} vs own rows {flagged}"); // the other rows' documents are negatives there
    }
}
