using System.Text.Json;
using Skald.Models.BgeM3;

namespace Skald.Models.Tests.BgeM3;

/// <summary>
/// A BGE-M3 folder against fixtures/models/make_bge_m3.py's plain-PyTorch re-implementation of FlagEmbedding's M3
/// inference (bge-m3-tiny: XLM-R, F16 weights and heads): the dense vector, the lexical weights, the ColBERT vectors,
/// the three scores and their weighted combination, each reference text encoded alone and Skald's in padded batches;
/// a 16-wide ColBERT head (colbert_dim) too.
/// </summary>
public sealed class BgeM3ParityTests
{
    private const float Tolerance = 1e-5f;

    private sealed record Expected(string Text, int[] Ids, float[] Dense, int[] SparseIds, float[] SparseValues, int[] ColbertIds, float[] Colbert);

    private static string Folder => TestPaths.FixtureModel("bge-m3-tiny");

    private static List<Expected> Read() =>
        [.. File.ReadLines(Path.Combine(Folder, "expected.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Expected(r.GetProperty("text").GetString()!, Ints(r, "ids"), Floats(r, "dense"), Ints(r, "sparse_ids"),
                Floats(r, "sparse_values"), Ints(r, "colbert_ids"), Floats(r, "colbert"));
        })];

    private static int[] Ints(JsonElement r, string key) => [.. r.GetProperty(key).EnumerateArray().Select(x => x.GetInt32())];

    private static float[] Floats(JsonElement r, string key) => [.. r.GetProperty(key).EnumerateArray().Select(x => x.GetSingle())];

    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int j = 0; j < expected.Length; j++)
            Assert.True(Math.Abs(actual[j] - expected[j]) <= Tolerance, $"{what}, value {j}: {actual[j]} vs {expected[j]}");
    }

    [Fact]
    public void TheThreeOutputsMatchFlagEmbedding()
    {
        using var model = BgeM3Encoder.Load(Folder);
        Assert.Equal([0, 1, 2, 3], model.UnusedTokenIds); // <s>, <pad>, </s>, <unk>
        var expected = Read();
        var actual = model.Encode([.. expected.Select(e => e.Text)], new EncodeOptions { BatchSize = 5 });
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            string what = $"text {i} (\"{e.Text}\")";
            Close(e.Dense, a.Dense!, what + " dense");
            Assert.Equal(e.SparseIds, a.Sparse!.Indices);
            Close(e.SparseValues, a.Sparse.Values, what + " sparse");
            Assert.Equal(e.ColbertIds, a.Colbert!.TokenIds);
            Close(e.Colbert, a.Colbert.Values, what + " colbert");
        }
    }

    [Fact]
    public void TheDenseVectorIsTheSentenceEncodersBitForBit()
    {
        var texts = Read().Select(e => e.Text).ToList();
        using var model = BgeM3Encoder.Load(Folder);
        using var plain = SentenceEncoder.Load(Folder);
        var dense = plain.Encode(texts, new EncodeOptions { BatchSize = 7 });
        var m3 = model.Encode(texts, new EncodeOptions { BatchSize = 7 }, BgeM3Outputs.Dense);
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(dense[i], m3[i].Dense);
            Assert.Null(m3[i].Sparse);
            Assert.Null(m3[i].Colbert);
        }
    }

    [Fact]
    public void ScoresAndTheirCombinationMatchComputeScore()
    {
        using var model = BgeM3Encoder.Load(Folder);
        var outputs = model.Encode([.. Read().Select(e => e.Text)]);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected_scores.json")));
        var r = doc.RootElement;
        var weights = BgeM3Weights.Of([.. r.GetProperty("weights").EnumerateArray().Select(x => x.GetSingle())]);
        var cases = new (string Key, Func<BgeM3Output, BgeM3Output, float> Score)[]
        {
            ("dense", (q, p) => BgeM3Encoder.DenseScore(q.Dense!, p.Dense!)),
            ("sparse", (q, p) => BgeM3Encoder.SparseScore(q.Sparse!, p.Sparse!)),
            ("colbert", (q, p) => BgeM3Encoder.ColbertScore(q.Colbert!, p.Colbert!)),
            ("combined", (q, p) => BgeM3Encoder.Score(q, p, weights)),
            ("sparse+dense", (q, p) => BgeM3Encoder.Score(q, p, new BgeM3Weights(1f, 1f, 0f))),
        };
        foreach (var (key, score) in cases)
        {
            var rows = r.GetProperty(key);
            for (int q = 0; q < rows.GetArrayLength(); q++)
            {
                for (int p = 0; p < outputs.Length; p++)
                {
                    float expected = rows[q][p].GetSingle(), actual = score(outputs[q], outputs[p]);
                    Assert.True(Math.Abs(actual - expected) <= Tolerance, $"{key}: query {q}, passage {p}: {actual} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void AColbertHeadNarrowerThanTheHiddenSizeGivesItsOwnWidth()
    {
        string folder = TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        File.Copy(Path.Combine(TestPaths.FixtureModel("bge-m3-tiny-dim16"), "colbert_linear.pt"), Path.Combine(folder, "colbert_linear.pt"), overwrite: true);
        using var model = BgeM3Encoder.Load(folder);
        Assert.Equal(16, model.ColbertDimension);
        var expected = File.ReadLines(Path.Combine(TestPaths.FixtureModel("bge-m3-tiny-dim16"), "expected.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            return (Text: doc.RootElement.GetProperty("text").GetString()!, Colbert: Floats(doc.RootElement, "colbert"));
        }).ToList();
        var actual = model.Encode([.. expected.Select(e => e.Text)], new EncodeOptions { BatchSize = 4 }, BgeM3Outputs.Colbert);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(16, actual[i].Colbert!.Dimension);
            Close(expected[i].Colbert, actual[i].Colbert!.Values, $"text {i} colbert");
        }
    }

    [Theory]
    [InlineData("sparse_two_rows.pt", "sparse_linear.pt", "sparse_linear.pt: tensor \"weight\" has shape [2, 32], expected [1, 32]")]
    [InlineData("sparse_no_bias.pt", "sparse_linear.pt", "sparse_linear.pt: missing tensor \"bias\"")]
    [InlineData("colbert_no_weight.pt", "colbert_linear.pt", "colbert_linear.pt: missing tensor \"weight\"")]
    [InlineData("colbert_in16.pt", "colbert_linear.pt", "colbert_linear.pt: tensor \"weight\" has shape [32, 16], expected [colbert_dim, 32]")]
    [InlineData(null, "colbert_linear.pt", "colbert_linear.pt: not found; a BGE-M3 folder holds both sparse_linear.pt and colbert_linear.pt")]
    public void ABadHeadIsOneLineNamingTheFileAndTheKey(string? bad, string target, string message)
    {
        string folder = TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        if (bad is null) File.Delete(Path.Combine(folder, target));
        else File.Copy(Path.Combine(TestPaths.FixtureModel("bge-m3-tiny-bad"), bad), Path.Combine(folder, target), overwrite: true);
        var e = Assert.Throws<ModelFormatException>(() => BgeM3Encoder.Load(folder));
        Assert.Contains(message, e.Message);
        Assert.StartsWith(folder, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AScoreNeedsTheOutputsItsWeightsUse()
    {
        using var model = BgeM3Encoder.Load(Folder);
        var dense = model.Encode(["Hei!", "Fjellvandring"], outputs: BgeM3Outputs.Dense);
        Assert.Equal(BgeM3Encoder.DenseScore(dense[0].Dense!, dense[1].Dense!), BgeM3Encoder.Score(dense[0], dense[1], BgeM3Weights.DenseOnly));
        var e = Assert.Throws<ArgumentException>(() => BgeM3Encoder.Score(dense[0], dense[1]));
        Assert.Equal("query", e.ParamName);
        Assert.Throws<ArgumentException>(() => BgeM3Weights.Of([1f, -1f, 0f]));
        Assert.Throws<ArgumentException>(() => BgeM3Weights.Of([0f, 0f, 0f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Encode(["a"], new EncodeOptions { TruncateDim = 8 }));
        Assert.Equal("texts", Assert.Throws<ArgumentNullException>(() => model.Encode(null!)).ParamName);
        Assert.Equal("texts", Assert.Throws<ArgumentException>(() => model.Encode(["a", null!])).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => model.Encode(["a"], outputs: 0)).ParamName);
        Assert.Empty(model.Encode([]));
        var ranked = model.Rank("Hei!", ["Fjellvandring", "Hei på deg!", "Bergen"], BgeM3Weights.Equal);
        var all = model.Encode(["Hei!", "Fjellvandring", "Hei på deg!", "Bergen"]);
        Assert.Equal(Enumerable.Range(0, 3).OrderByDescending(i => BgeM3Encoder.Score(all[0], all[i + 1])), ranked.Select(r => r.Index));
    }

    [Fact]
    public void APlainSentenceTransformersFolderIsNotBgeM3()
    {
        Assert.True(BgeM3Encoder.IsBgeM3(Folder));
        Assert.False(BgeM3Encoder.IsBgeM3(TestPaths.FixtureModel("xlmr-cls-f16")));
        var e = Assert.Throws<ModelFormatException>(() => BgeM3Encoder.Load(TestPaths.FixtureModel("xlmr-cls-f16")));
        Assert.Contains("not a BGE-M3 folder", e.Message);
    }
}
