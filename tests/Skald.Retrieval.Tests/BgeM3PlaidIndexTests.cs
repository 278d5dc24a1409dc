using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A BGE-M3 index whose ColBERT vectors are PLAID coded (<c>index build --bge-m3 ... --plaid</c>) with the bge-m3-tiny
/// fixture: version 4 with token_precision plaid, every stored code what the index's codec makes of the model's
/// ColBERT vectors, kept rows' codes copied by <c>add</c>; with every centroid probed and every row kept its search
/// is the exact weighted combination over the decoded vectors (dense and lexical dots and the mean MaxSim computed
/// here from the stored parts), and with ColBERTv2's defaults it returns the query's own document first; the dense and
/// lexical terms' best rows join the candidates, so a row PLAID alone misses is still found; PLAID
/// settings on a plain BGE-M3 index and <c>--plaid</c> without the ColBERT output are one line.
/// </summary>
public sealed class BgeM3PlaidIndexTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    private static IndexRecord Row(int d) => TextIndex.Record($"d{d}", Texts[d]);

    private static (int[] Cells, byte[] Codes, long[] Offsets) Files(string folder) =>
        (MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(folder, "tokens.cells"))).ToArray(),
         File.ReadAllBytes(Path.Combine(folder, "tokens.residuals")),
         MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(Path.Combine(folder, "tokens.offsets"))).ToArray());

    [Fact]
    public void TheColbertVectorsAreCodedAndAddKeepsTheirCodes()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.All);
        var manifest = TextIndex.Build(folder, model, [.. Enumerable.Range(0, 20).Select(Row)], plaid: new PlaidOptions { Bits = 2, Centroids = 8 });
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal(4, json.GetProperty("version").GetInt32());
        Assert.Equal("plaid", json.GetProperty("token_precision").GetString());
        Assert.Equal(8, json.GetProperty("plaid_centroids").GetInt32());
        Assert.False(File.Exists(Path.Combine(folder, "tokens.f32")));
        int dim = manifest.BgeM3!.ColbertDimension;
        var codec = ResidualCodec.Read(Path.Combine(folder, "plaid.codec"), dim);

        void CheckCoded(int rows)
        {
            var (cells, codes, offsets) = Files(folder);
            var outputs = model.Encode([.. Enumerable.Range(0, rows).Select(d => Texts[d])], TextRole.Document);
            for (int r = 0; r < rows; r++)
            {
                var v = outputs[r].Colbert!;
                int start = (int)offsets[r];
                Assert.Equal(v.Count, (int)(offsets[r + 1] - offsets[r]));
                var expectedCells = new int[v.Count];
                var expectedCodes = new byte[v.Count * codec.PackedBytes];
                codec.Compress(v.Values, v.Count, expectedCells, expectedCodes);
                Assert.Equal(expectedCells, cells[start..(start + v.Count)]);
                Assert.Equal(expectedCodes, codes[(start * codec.PackedBytes)..((start + v.Count) * codec.PackedBytes)]);
            }
        }
        CheckCoded(20);
        var before = Files(folder);
        TextIndex.Add(folder, model, [.. Enumerable.Range(20, 6).Select(Row)]);
        var after = Files(folder);
        Assert.Equal(before.Cells, after.Cells[..before.Cells.Length]);
        Assert.Equal(before.Codes, after.Codes[..before.Codes.Length]);
        Assert.Equal(codec.Centroids.ToArray(), ResidualCodec.Read(Path.Combine(folder, "plaid.codec"), dim).Centroids.ToArray());
        CheckCoded(26);
    }

    [Fact]
    public void EveryCentroidProbedIsTheExactCombinationOverTheDecodedVectors()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.All);
        int n = 24;
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, n).Select(Row)], plaid: new PlaidOptions { Bits = 2, Centroids = 8 });
        IndexBuilder.Delete(folder, ["d5"], []);
        using var index = SearchIndex.Open(folder);
        var weights = new BgeM3Weights(0.4f, 0.2f, 0.4f);
        var everything = new PlaidSearchOptions { Cells = 8, Documents = 4 * n };
        foreach (int qd in new[] { 0, 7, 13 })
        {
            var q = model.Encode([Texts[qd]], TextRole.Query)[0];
            var hits = index.SearchBgeM3("", q, weights, SearchMode.Dense, n, plaid: everything);
            Assert.Equal(n - 1, hits.Count);
            Assert.DoesNotContain(hits, h => h.Record.Id == "d5");
            foreach (var h in hits)
            {
                var stored = index.BgeM3Row(h.Row); // the decoded ColBERT vectors
                float dense = TensorPrimitives.Dot(q.Dense, stored.Dense);
                float lexical = SparseEmbedding.Dot(q.Sparse!, stored.Sparse!);
                var d = stored.Colbert!;
                double maxSim = 0;
                for (int i = 0; i < q.Colbert!.Count; i++)
                {
                    double best = double.NegativeInfinity;
                    for (int j = 0; j < d.Count; j++)
                    {
                        double s = 0;
                        for (int x = 0; x < d.Dimension; x++) s += (double)q.Colbert.Values[i * d.Dimension + x] * d.Values[j * d.Dimension + x];
                        best = Math.Max(best, s);
                    }
                    maxSim += best;
                }
                double expected = (0.4 * dense + 0.2 * lexical + 0.4 * (maxSim / q.Colbert.Count)) / (0.4 + 0.2 + 0.4);
                Assert.True(Math.Abs(expected - h.Score) <= 1e-5, $"query {qd}, {h.Record.Id}: {h.Score} vs {expected}");
            }
            for (int i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].Score >= hits[i].Score);
            var defaults = index.SearchBgeM3("", q, weights, SearchMode.Dense, 3);
            Assert.Equal($"d{qd}", defaults[0].Record.Id);
        }
    }

    [Fact]
    public void TheDenseAndLexicalBestJoinTheCandidatesPlaidMisses()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.All);
        int n = 24;
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, n).Select(Row)], plaid: new PlaidOptions { Bits = 2, Centroids = 8 });
        using var index = SearchIndex.Open(folder);
        var weights = new BgeM3Weights(1f, 1f, 0.01f); // the dense and lexical terms decide
        var tiny = new PlaidSearchOptions { Cells = 1, Documents = 4 }; // PLAID alone keeps one row
        var everything = new PlaidSearchOptions { Cells = 8, Documents = 4 * n };
        int rescued = 0;
        for (int qd = n; qd < Texts.Length; qd++) // texts not in the index as queries
        {
            var q = model.Encode([Texts[qd]], TextRole.Query)[0];
            string exact = index.SearchBgeM3("", q, weights, SearchMode.Dense, 1, plaid: everything)[0].Record.Id;
            Assert.Equal(exact, index.SearchBgeM3("", q, weights, SearchMode.Dense, 1, plaid: tiny)[0].Record.Id);
            if (index.SearchBgeM3("", q, BgeM3Weights.ColbertOnly, SearchMode.Dense, 1, plaid: tiny)[0].Record.Id != exact) rescued++;
        }
        Assert.True(rescued > 0, "PLAID's own survivor was the best row for every query: the test shows nothing");
    }

    [Fact]
    public void PlaidSettingsAndOutputsThatCannotTakeThemAreOneLine()
    {
        using var model = BgeM3EmbeddingModel.Load(Model, BgeM3Outputs.Dense | BgeM3Outputs.Sparse);
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var e = Assert.Throws<EvaluationException>(() => TextIndex.Build(folder, model, [Row(0), Row(1)], plaid: new PlaidOptions()));
        Assert.Equal($"{folder}: --plaid codes a BGE-M3 index's ColBERT vectors, and this index stores dense, sparse only (add colbert to --bge-m3)", e.Message);
        TextIndex.Build(folder, model, [Row(0), Row(1)]);
        using var index = SearchIndex.Open(folder);
        var q = model.Encode([Texts[0]], TextRole.Query)[0];
        Assert.Contains("PLAID settings are for a BGE-M3 index whose ColBERT vectors are PLAID coded",
            Assert.Throws<ArgumentException>(() => index.SearchBgeM3("", q, BgeM3Weights.DenseOnly, SearchMode.Dense, 1, plaid: new PlaidSearchOptions())).Message);
    }
}
