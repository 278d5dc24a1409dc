using System.Runtime.InteropServices;
using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Tensors.Kernels;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A late-interaction index whose token vectors are stored as float16 or int8 (<see cref="TokenPrecision"/>), with the
/// fixture PyLate model: version 3 and <c>token_precision</c> in the manifest, the smaller files in place of
/// <c>tokens.f32</c>, every hit scored by the scalar MaxSim of the bytes on disk (read here independently of the
/// index's reader), rows added later stored the same way and kept rows copied bit for bit; a manifest that does not fit
/// its files, or names a format this Skald does not know, is one line. The kernels themselves are checked against
/// NumPy/PyTorch in <c>MaxSimQuantizedTests</c>; <see cref="QuantizedTokenRankingTests"/> measures the rankings.
/// </summary>
public sealed class QuantizedTokenIndexTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    private static IndexRecord Row(int d) => TextIndex.Record($"d{d}", Texts[d]);

    /// <summary>Row <paramref name="row"/>'s stored values read from the files themselves: float16 bits, or int8 codes and maxima.</summary>
    private static (ushort[] Half, sbyte[] Codes, float[] Maxima) Stored(string folder, int row, int dim, TokenPrecision precision)
    {
        var offsets = MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(Path.Combine(folder, "tokens.offsets")));
        int start = (int)offsets[row], n = (int)(offsets[row + 1] - offsets[row]);
        if (precision == TokenPrecision.Float16)
            return (MemoryMarshal.Cast<byte, ushort>(File.ReadAllBytes(Path.Combine(folder, "tokens.f16"))).Slice(start * dim, n * dim).ToArray(), [], []);
        var codes = MemoryMarshal.Cast<byte, sbyte>(File.ReadAllBytes(Path.Combine(folder, "tokens.i8"))).Slice(start * dim, n * dim).ToArray();
        var maxima = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(folder, "tokens.scales"))).Slice(start, n).ToArray();
        return ([], codes, maxima);
    }

    [Theory]
    [InlineData(TokenPrecision.Float16, "tokens.f16", 2)]
    [InlineData(TokenPrecision.Int8, "tokens.i8", 4)]
    public void AnIndexStoresItsTokenVectorsSmallerAndScoresTheStoredValues(TokenPrecision precision, string file, int smaller)
    {
        string dir = TestPaths.NewTempDir(), plain = Path.Combine(dir, "f32"), folder = Path.Combine(dir, "small");
        using var model = MultiVectorEmbeddingModel.Load(Model, batchSize: 8);
        int[] docs = [.. Enumerable.Range(0, Texts.Length)];
        TextIndex.Build(plain, model, [.. docs.Select(Row)]);
        var manifest = TextIndex.Build(folder, model, [.. docs.Select(Row)], precision: precision);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal(3, json.GetProperty("version").GetInt32());
        Assert.Equal(precision.ToString().ToLowerInvariant(), json.GetProperty("token_precision").GetString());
        Assert.False(File.Exists(Path.Combine(folder, "tokens.f32")));
        long f32 = new FileInfo(Path.Combine(plain, "tokens.f32")).Length;
        Assert.Equal(f32 / smaller, new FileInfo(Path.Combine(folder, file)).Length);
        if (precision == TokenPrecision.Int8) Assert.Equal(f32 / manifest.Dimension, new FileInfo(Path.Combine(folder, "tokens.scales")).Length);

        using var index = TextIndex.Open(folder, model);
        Assert.Equal(precision, index.TokenPrecision);
        Assert.Throws<InvalidOperationException>(() => index.Tokens(0).Length);
        int dim = manifest.Dimension;
        var buffer = Array.Empty<float>();
        foreach (int r in new[] { 0, 7, 19 })
        {
            // the decoded vectors are the model's within the format's rounding: half a float16 step, m / 254 for int8
            var exact = model.Encode([Texts[r]], TextRole.Document)[0].Values;
            int n = index.CopyTokens(r, ref buffer);
            Assert.Equal(exact.Length, n);
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(buffer[i] - exact[i]) <= (precision == TokenPrecision.Float16 ? Math.Abs(exact[i]) / 2048 + 3e-8 : 1.0 / 254 + 1e-7), $"row {r} value {i}");
        }
        foreach (int q in new[] { 1, 5, 17, 30 })
        {
            var query = model.Encode([Texts[q]], TextRole.Query)[0];
            var hits = index.SearchTokens(Texts[q], query, SearchMode.Dense, docs.Length);
            Assert.Equal(docs.Length, hits.Count);
            foreach (var h in hits)
            {
                var (half, codes, maxima) = Stored(folder, h.Row, dim, precision);
                float expected = precision == TokenPrecision.Float16 ? MaxSimQuantized.ScoreFloat16Scalar(query.Values, half, dim)
                    : MaxSimQuantized.ScoreInt8Scalar(query.Values, codes, maxima, dim);
                Assert.True(Math.Abs(expected - h.Score) <= 1e-5, $"query {q}, row {h.Row}: {h.Score} vs {expected}");
            }
            Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
            using var reference = TextIndex.Open(plain, model);
            var exactTop = reference.SearchTokens(Texts[q], query, SearchMode.Dense, 5).Select(h => h.Record.Id);
            Assert.True(hits.Take(5).Select(h => h.Record.Id).Intersect(exactTop).Count() >= 4, $"query {q}: the top 5 differ from the float32 index's by more than one");
        }
    }

    [Fact]
    public void AddedRowsAreStoredTheSameWayAndKeptRowsAreCopiedBitForBit()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, 12).Select(Row)], precision: TokenPrecision.Int8);
        int dim = model.Dimension;
        var before = Stored(folder, 11, dim, TokenPrecision.Int8);
        IndexBuilder.Delete(folder, ["d4"], []);
        var (added, replaced) = TextIndex.Add(folder, model, [TextIndex.Record("d2", Texts[20]), .. Enumerable.Range(12, 3).Select(Row)]);
        Assert.Equal((4, 1), (added, replaced));
        using var index = TextIndex.Open(folder, model);
        Assert.Equal(TokenPrecision.Int8, index.TokenPrecision);
        Assert.Equal("int8", index.Manifest.TokenPrecision);
        var byId = index.Records.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var after = Stored(folder, byId["d11"], dim, TokenPrecision.Int8);
        Assert.Equal(before.Codes, after.Codes);
        Assert.Equal(before.Maxima, after.Maxima);
        // the replaced row holds its new text's codes
        var fresh = model.Encode([Texts[20]], TextRole.Document)[0].Values;
        var stored = Stored(folder, byId["d2"], dim, TokenPrecision.Int8);
        var codes = new sbyte[dim];
        for (int t = 0; t < fresh.Length / dim; t++)
        {
            Assert.Equal(MaxSimQuantized.QuantizeInt8(fresh.AsSpan(t * dim, dim), codes), stored.Maxima[t]);
            Assert.Equal(codes, stored.Codes.AsSpan(t * dim, dim).ToArray());
        }
        Assert.Equal(14, TextIndex.Search(index, model, Texts[3], SearchMode.Dense, topK: 50).Count);
    }

    [Fact]
    public void AManifestThatDoesNotFitItsFilesOrNamesAnUnknownFormatIsOneLine()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [Row(0), Row(1), Row(2)], precision: TokenPrecision.Int8);
        string path = Path.Combine(folder, "index.json"), json = File.ReadAllText(path);
        string Refusal() => Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose()).Message;

        File.WriteAllText(path, json.Replace("\"version\": 3", "\"version\": 2", StringComparison.Ordinal));
        Assert.StartsWith(path + ": multi_vector \"colbert\" with token_precision \"int8\" needs version 3, not 2", Refusal());
        File.WriteAllText(path, json.Replace("\"token_precision\": \"int8\"", "\"token_precision\": \"int4\"", StringComparison.Ordinal));
        Assert.StartsWith(path + ": token_precision \"int4\"; this Skald reads float32, float16, int8 and plaid token vectors (update Skald)", Refusal());
        File.WriteAllText(path, json.Replace("\"version\": 3", "\"version\": 6", StringComparison.Ordinal));
        Assert.StartsWith(path + ": format skald-index version 6; this Skald reads skald-index versions 1 to 5", Refusal());
        File.WriteAllText(path, json.Replace("\"version\": 3", "\"version\": 5", StringComparison.Ordinal)); // a packed-PQ index's
        Assert.StartsWith(path + ": multi_vector \"colbert\" with token_precision \"int8\" needs version 3, not 5", Refusal());
        File.WriteAllText(path, json);

        string scales = Path.Combine(folder, "tokens.scales");
        var bytes = File.ReadAllBytes(scales);
        File.WriteAllBytes(scales, bytes[..^4]);
        Assert.StartsWith(scales + ":", Refusal());
        File.Delete(scales);
        Assert.StartsWith(scales + ": missing", Refusal());
        Assert.All(new[] { Refusal() }, m => Assert.DoesNotContain('\n', m));

        using var dense = EncoderEmbeddingModel.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var e = Assert.Throws<EvaluationException>(() => IndexBuilder.Build(Path.Combine(TestPaths.NewTempDir(), "d"), dense, dense.ModelPath, [Row(0)],
            new Bm25.Bm25Options(), null, 0, 0, tokenPrecision: TokenPrecision.Float16));
        Assert.Contains("float16 is the number format of a late-interaction (ColBERT) index's token vectors", e.Message);
    }
}
