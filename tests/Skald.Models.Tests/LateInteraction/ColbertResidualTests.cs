using System.Text.Json;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// PyLate's residual Dense (<c>use_residual: true</c>) against fixtures/models/make_colbert_residual.py's plain-PyTorch
/// Dense.forward (colbert-residual-tiny: 32 → 16 through its own residual Linear, then 16 → 16 with Tanh and the input
/// added as it is); training such a folder is refused in one line, and a residual Dense without its weight names it.
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
    public void TrainingItIsRefusedAndAMissingResidualWeightIsNamed()
    {
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.LoadLateInteraction(Folder));
        Assert.Contains(Path.Combine("1_Dense", "config.json") + ": key \"use_residual\" is true; training a PyLate residual Dense is not supported yet", e.Message);

        string copy = TestPaths.CopyFolder(TestPaths.FixtureModel("colbert-bert-tiny"), Path.Combine(TestPaths.NewTempDir(), "colbert"));
        string config = Path.Combine(copy, "1_Dense", "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"use_residual\": false", "\"use_residual\": true", StringComparison.Ordinal));
        var missing = Assert.Throws<ModelFormatException>(() => ColbertEncoder.Load(copy));
        Assert.Contains("residual.weight", missing.Message);
        Assert.DoesNotContain('\n', missing.Message);
    }
}
