using System.Runtime.InteropServices;
using System.Text.Json;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A PLAID index (<see cref="TokenPrecision.Plaid"/>) built, added to and deleted from with the fixture PyLate model:
/// version 4, the codec and its files in place of <c>tokens.f32</c>, every stored code what the index's codec makes of
/// the model's vectors, kept rows' codes copied byte for byte by <c>add</c> and new rows coded with the same centroids,
/// deleted rows never returned; settings the codec cannot take, a manifest that does not fit its codec and a missing
/// file are one line.
/// </summary>
public sealed class PlaidIndexTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    private static IndexRecord Row(int d) => TextIndex.Record($"d{d}", Texts[d]);

    private static (int[] Cells, byte[] Codes, long[] Offsets) Files(string folder) =>
        (MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(folder, "tokens.cells"))).ToArray(),
         File.ReadAllBytes(Path.Combine(folder, "tokens.residuals")),
         MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(Path.Combine(folder, "tokens.offsets"))).ToArray());

    [Fact]
    public void BuildAddAndDeleteKeepEveryRowCodedWithTheIndexsCodec()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "plaid");
        using var model = MultiVectorEmbeddingModel.Load(Model, batchSize: 8);
        int half = Texts.Length / 2;
        var manifest = TextIndex.Build(folder, model, [.. Enumerable.Range(0, half).Select(Row)], precision: TokenPrecision.Plaid,
            plaid: new PlaidOptions { Bits = 1, Centroids = 16 });
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal(4, json.GetProperty("version").GetInt32());
        Assert.Equal("plaid", json.GetProperty("token_precision").GetString());
        Assert.Equal(1, json.GetProperty("plaid_bits").GetInt32());
        Assert.Equal(16, json.GetProperty("plaid_centroids").GetInt32());
        Assert.False(File.Exists(Path.Combine(folder, "tokens.f32")));
        var codec = ResidualCodec.Read(Path.Combine(folder, "plaid.codec"), manifest.Dimension);
        var before = Files(folder);

        void CheckCoded(string f, int rows)
        {
            var (cells, codes, offsets) = Files(f);
            var vectors = model.Encode([.. Enumerable.Range(0, rows).Select(d => Texts[d])], TextRole.Document);
            for (int r = 0; r < rows; r++)
            {
                int n = vectors[r].Count, start = (int)offsets[r];
                Assert.Equal(n, (int)(offsets[r + 1] - offsets[r]));
                var expectedCells = new int[n];
                var expectedCodes = new byte[n * codec.PackedBytes];
                codec.Compress(vectors[r].Values, n, expectedCells, expectedCodes);
                Assert.Equal(expectedCells, cells[start..(start + n)]);
                Assert.Equal(expectedCodes, codes[(start * codec.PackedBytes)..((start + n) * codec.PackedBytes)]);
            }
        }
        CheckCoded(folder, half);

        TextIndex.Add(folder, model, [.. Enumerable.Range(half, Texts.Length - half).Select(Row)]);
        var after = Files(folder);
        Assert.Equal(before.Cells, after.Cells[..before.Cells.Length]); // kept rows' codes copied, not re-coded
        Assert.Equal(before.Codes, after.Codes[..before.Codes.Length]);
        Assert.Equal(codec.Centroids.ToArray(), ResidualCodec.Read(Path.Combine(folder, "plaid.codec"), manifest.Dimension).Centroids.ToArray());
        CheckCoded(folder, Texts.Length);

        using (var index = TextIndex.Open(folder, model))
        {
            Assert.Equal(TokenPrecision.Plaid, index.TokenPrecision);
            var hits = TextIndex.Search(index, model, Texts[3], SearchMode.Dense, topK: 5);
            Assert.Equal("d3", hits[0].Record.Id);
            var buffer = Array.Empty<float>();
            int values = index.CopyTokens(3, ref buffer);
            Assert.Equal(index.TokenCount(3) * manifest.Dimension, values);
        }
        IndexBuilder.Delete(folder, ["d3"], []);
        using (var index = TextIndex.Open(folder, model))
        {
            var hits = TextIndex.Search(index, model, Texts[3], SearchMode.Dense, topK: Texts.Length);
            Assert.DoesNotContain(hits, h => h.Record.Id == "d3");
            Assert.Equal(Texts.Length - 1, hits.Count);
        }
        string path = Path.Combine(folder, "index.json"), text = File.ReadAllText(path);
        File.WriteAllText(path, text.Replace("\"plaid_centroids\": 16", "\"plaid_centroids\": 17", StringComparison.Ordinal));
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose());
        Assert.Equal($"{Path.Combine(folder, "plaid.codec")}: 16 centroids at 1 bits; {path} says 17 at 1 (index damaged?)", e.Message);
        File.WriteAllText(path, text.Replace("\"plaid_bits\": 1,", "", StringComparison.Ordinal));
        Assert.StartsWith($"{path}: plaid_bits 0, plaid_centroids 16: a PLAID index", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose()).Message);
        File.Delete(Path.Combine(folder, "plaid.ivf"));
        File.WriteAllText(path, text);
        Assert.Equal($"{Path.Combine(folder, "plaid.ivf")}: missing (index damaged?)", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose()).Message);
    }

    [Fact]
    public void SettingsTheCodecCannotTakeAreOneLine()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "plaid");
        using var model = MultiVectorEmbeddingModel.Load(Model, batchSize: 8);
        var e = Assert.Throws<EvaluationException>(() => TextIndex.Build(folder, model, [Row(0), Row(1)], precision: TokenPrecision.Plaid, plaid: new PlaidOptions { Bits = 4 }));
        Assert.StartsWith($"{folder}: --plaid-nbits 4: PLAID codes take 1, 2 or 4 bits a value, and 16-value vectors", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(folder));
    }
}
