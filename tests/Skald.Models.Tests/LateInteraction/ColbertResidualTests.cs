using System.Text.Json;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// PyLate's residual Dense (<c>use_residual: true</c>) against fixtures/models/make_colbert_residual.py's plain-PyTorch
/// Dense.forward (colbert-residual-tiny: 32 → 16 through its own residual Linear, then 16 → 16 with Tanh and the input
/// added as it is); training loads such a folder with its residual weight as a parameter (the same ColbertProjection
/// forward that encoding runs), whose backward matches finite differences, and a residual Dense without its weight names it.
/// </summary>
public sealed class ColbertResidualTests
{
    private const float Tolerance = 1e-5f;

    private static string Folder => TestPaths.FixtureModel("colbert-residual-tiny");

    private static List<(string Text, int[] Ids, float[] Vectors)> Read(string file) =>
        [.. File.ReadLines(Path.Combine(Folder, file)).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return (r.GetProperty("text").GetString()!, r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                r.GetProperty("vectors").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        })];

    [Theory]
    [InlineData("expected_queries.jsonl", true)]
    [InlineData("expected_documents.jsonl", false)]
    public void VectorsMatchPyLatesResidualDense(string file, bool isQuery)
    {
        using var model = ColbertEncoder.Load(Folder);
        Assert.Equal(16, model.Dimension);
        var expected = Read(file);
        var texts = expected.Select(e => e.Text).ToList();
        var actual = isQuery ? model.EncodeQueries(texts, batchSize: 5) : model.EncodeDocuments(texts, batchSize: 5);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Ids, actual[i].TokenIds);
            Assert.Equal(expected[i].Vectors.Length, actual[i].Values.Length);
            for (int j = 0; j < expected[i].Vectors.Length; j++)
                Assert.True(Math.Abs(actual[i].Values[j] - expected[i].Vectors[j]) <= Tolerance, $"text {i}, value {j}: {actual[i].Values[j]} vs {expected[i].Vectors[j]}");
        }
    }

    [Fact]
    public void ItLoadsForTrainingWithItsResidualWeightAndAMissingOneIsNamed()
    {
        using var model = SentenceEncoder.LoadLateInteraction(Folder);
        Assert.Equal(["1_Dense/linear.weight", "2_Dense/linear.weight", "2_Dense/linear.bias", "1_Dense/residual.weight"],
            model.Parameters.Where(p => p.Name.Contains('/')).Select(p => p.Name).ToArray());
        Assert.Equal([true, true], model.Projections.Select(p => p.Residual).ToArray());

        string copy = TestPaths.CopyFolder(TestPaths.FixtureModel("colbert-bert-tiny"), Path.Combine(TestPaths.NewTempDir(), "colbert"));
        string config = Path.Combine(copy, "1_Dense", "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"use_residual\": false", "\"use_residual\": true", StringComparison.Ordinal));
        foreach (var load in new Action[] { () => ColbertEncoder.Load(copy), () => SentenceEncoder.LoadLateInteraction(copy) })
        {
            var missing = Assert.Throws<ModelFormatException>(load);
            Assert.Contains("residual.weight", missing.Message);
            Assert.DoesNotContain('\n', missing.Message);
        }
    }

    /// <summary>
    /// The backward of the two residual projections in a row (32 → 16 through residual.weight, then 16 → 16 with Tanh
    /// and the input added as it is) against central differences of Σ c·y, for every weight of both.
    /// </summary>
    [Fact]
    public void TheResidualBackwardMatchesFiniteDifferences()
    {
        var projections = new[] { "1_Dense", "2_Dense" }.Select(m => ColbertProjection.Load(Path.Combine(Folder, m))).ToArray();
        var rng = new Random(5);
        const int Rows = 3;
        float[] x = [.. Enumerable.Range(0, Rows * 32).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        float[] c = [.. Enumerable.Range(0, Rows * 16).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        double Loss(bool backward)
        {
            var tape = new Skald.Tensors.Autograd.Tape(recording: backward);
            var y = tape.Constant(x, Rows, 32);
            foreach (var p in projections) y = p.Forward(tape, y);
            double sum = 0;
            for (int i = 0; i < c.Length; i++) sum += (double)c[i] * y.Span[i];
            if (backward)
            {
                tape.Seed(y, c);
                tape.Backward();
            }
            return sum;
        }
        var parameters = projections.SelectMany(p => p.Parameters).ToArray();
        Assert.Equal(4, parameters.Length); // two linear weights, a bias, residual.weight
        foreach (var p in parameters) p.Grad.Span.Clear();
        Loss(backward: true);
        const float Eps = 1e-3f;
        foreach (var p in parameters)
        {
            var data = p.Data.Span;
            for (int i = 0; i < p.Length; i += 7)
            {
                float keep = data[i];
                data[i] = keep + Eps;
                double up = Loss(false);
                data[i] = keep - Eps;
                double down = Loss(false);
                data[i] = keep;
                double numeric = (up - down) / (2 * Eps), analytic = p.Grad.Span[i];
                Assert.True(Math.Abs(numeric - analytic) <= 2e-3 + 1e-2 * Math.Abs(numeric), $"{p.Name}[{i}]: finite differences {numeric}, backward {analytic}");
            }
        }
    }
}
