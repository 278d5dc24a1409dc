using System.Text.Json;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// PQ codes of 5–7 bits stored packed (<see cref="PackedCodes"/>): the bytes are faiss's (fixtures/pq/make_pq_packing.py
/// restates its PQEncoderGeneric), the packed scan scores as the unpacked codes do, and an index stores ⌈M·b / 8⌉ bytes a
/// row through build, <c>index add</c> and reindex, while an index written a byte a code still opens and answers alike.
/// </summary>
public sealed class PackedCodesTests
{
    private static readonly ReferenceJson Data = new("pq", "pq_packing.json");

    [Fact]
    public void PackedBytesAreFaisssBitOrderAndUnpackBack()
    {
        int checkedCases = 0;
        foreach (var c in Data["cases"].EnumerateArray())
        {
            int bits = c.GetProperty("bits").GetInt32(), m = c.GetProperty("m").GetInt32(), rows = c.GetProperty("rows").GetInt32();
            byte[] codes = [.. c.GetProperty("codes").EnumerateArray().Select(v => (byte)v.GetInt32())];
            byte[] expected = [.. c.GetProperty("packed").EnumerateArray().Select(v => (byte)v.GetInt32())];
            int width = PackedCodes.RowBytes(m, bits);
            Assert.Equal(rows * width, expected.Length);
            var packed = new byte[rows * width];
            ProductCodes.Pack(codes, rows, m, bits, packed);
            Assert.True(expected.AsSpan().SequenceEqual(packed), $"{bits} bits, M {m}");
            var back = new byte[m];
            for (int r = 0; r < rows; r++)
            {
                PackedCodes.Unpack(packed.AsSpan(r * width, width), m, bits, back);
                Assert.Equal(codes.AsSpan(r * m, m).ToArray(), back);
            }
            checkedCases++;
        }
        Assert.Equal(30, checkedCases);
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(6, 8)]
    [InlineData(6, 13)]
    [InlineData(7, 16)]
    [InlineData(7, 21)]
    public void ThePackedScanScoresAsEachUnpackedCode(int bits, int m)
    {
        // Scores of every row of a packed block (any start, any count: the 64-bit loads near the end go code by code)
        // equal, bit for bit, the byte codes' sums in subspace order.
        var random = new Random(bits * 100 + m);
        int rows = 37, k = 1 << bits, width = PackedCodes.RowBytes(m, bits);
        var codes = new byte[rows * m];
        for (int i = 0; i < codes.Length; i++) codes[i] = (byte)random.Next(k);
        var packed = new byte[rows * width];
        ProductCodes.Pack(codes, rows, m, bits, packed);
        var table = new float[m * k];
        for (int i = 0; i < table.Length; i++) table[i] = (float)(random.NextDouble() * 2 - 1);
        foreach (var (start, count) in new[] { (0, rows), (3, 30), (33, 4), (5, 0) })
        {
            var scores = new float[count];
            PackedCodes.ScoreRows(packed, m, bits, table, k, start, scores);
            for (int i = 0; i < count; i++)
            {
                float expected = ProductQuantizer.Score(codes.AsSpan((start + i) * m, m), table, k);
                Assert.Equal(expected, scores[i]);
                Assert.Equal(expected, PackedCodes.Score(packed.AsSpan((start + i) * width, width), m, bits, table, k));
            }
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void AnIndexStoresPackedCodesAndKeepsThemThroughAddAndReindex(int bits)
    {
        var (model, records, queries) = IvfIndexTests.Corpus(1300, seed: 11);
        foreach (var ivf in new[] { null, new IvfOptions { Lists = 6, Probes = 6 } })
        {
            string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-pq-packed").FullName, "idx");
            var pq = new ProductQuantizerOptions { Subspaces = 8, Bits = bits };
            var built = IndexBuilder.Build(folder, model, folder, records[..1200], new Bm25Options(), "nb", 0, 0, null, EmbeddingPrecision.Float32, ivf, pq: pq);
            Assert.Equal(IndexManifest.PackedCodesVersion, built.Version);
            AssertPacked(folder, bits, 1200, queries);
            Assert.Equal(100, IndexBuilder.Add(folder, model, records[1200..]).Item1);
            AssertPacked(folder, bits, 1300, queries);
            IndexBuilder.Reindex(folder, new DenseLayout { Pq = pq, Ivf = ivf });
            var found = AssertPacked(folder, bits, 1300, queries);

            // The same index as Skald wrote it before packing: a byte a code, version 1. It opens, answers alike, and
            // the next add writes it packed.
            string codesPath = Path.Combine(folder, IndexWriter.PqCodesFile), manifestPath = Path.Combine(folder, IndexWriter.ManifestFile);
            using (var index = SearchIndex.Open(folder))
            {
                var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
                File.WriteAllBytes(codesPath, ProductQuantizerTests.AllCodes(ProductCodes.Encode(index.ProductQuantizer!, stored, index.Lists)));
            }
            File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"version\": 5", "\"version\": 1"));
            using (var index = SearchIndex.Open(folder))
                for (int i = 0; i < queries.Length; i++)
                    Assert.Equal(found[i], index.Search("x", queries[i], SearchMode.Dense, 10, null, 0, 0).Select(h => h.Row));
            Assert.Equal(4, IndexBuilder.Delete(folder, ["doc3"], []));
            IndexBuilder.Add(folder, model, records[12..16]);
            AssertPacked(folder, bits, 1300, queries);

            // Damage is named: a version that does not fit the codebooks, a file of the wrong size.
            File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"version\": 5", "\"version\": 1"));
            Assert.Contains("rows of 8-byte codes (version 1) need", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
        }
    }

    [Fact]
    public void AVersionThatDoesNotFitTheCodesIsOneLine()
    {
        var (model, records, _) = IvfIndexTests.Corpus(300, seed: 3);
        foreach (var pq in new ProductQuantizerOptions?[] { new() { Subspaces = 4 }, null })
        {
            string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-pq-packed").FullName, "idx");
            IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, pq: pq);
            string manifestPath = Path.Combine(folder, IndexWriter.ManifestFile);
            File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"version\": 1", "\"version\": 5"));
            string message = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message;
            Assert.StartsWith(manifestPath, message);
            Assert.Contains(pq is null ? "version 5 is a product-quantized index's with packed codes, but pq_subspaces is missing"
                : "version 5 is for codes of 5–7 bits, but", message);
        }
    }

    // The index's codes file holds ⌈8·bits / 8⌉ = bits bytes a row, version 5, the codes of its stored rows packed; its
    // hits rank as the decoded rows; returns each query's top 10 rows.
    private static int[][] AssertPacked(string folder, int bits, int rows, float[][] queries)
    {
        var manifest = JsonSerializer.Deserialize<IndexManifest>(File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile)))!;
        Assert.Equal((IndexManifest.PackedCodesVersion, bits, rows), (manifest.Version, manifest.PqBits, manifest.Rows));
        string codesPath = Path.Combine(folder, IndexWriter.PqCodesFile);
        Assert.Equal((long)rows * bits, new FileInfo(codesPath).Length);
        using var index = SearchIndex.Open(folder);
        var pq = index.ProductQuantizer!;
        Assert.Equal(1 << bits, pq.Centroids);
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        var bytes = new byte[rows * 8];
        var encoded = ProductCodes.Encode(pq, stored, index.Lists);
        for (int r = 0; r < rows; r++) encoded.Code(r, bytes.AsSpan(r * 8, 8));
        var packed = new byte[rows * bits];
        ProductCodes.Pack(bytes, rows, 8, bits, packed);
        Assert.Equal(packed, File.ReadAllBytes(codesPath));
        return [.. queries.Select(q =>
        {
            var hits = index.Search("x", q, SearchMode.Dense, 10, null, 0, index.Lists?.Lists ?? 0).Select(h => h.Row).ToArray();
            Assert.Equal(PqIndexTests.ByDecodedRows(index, q, 10), hits);
            return hits;
        })];
    }

    [Fact]
    public void ThePackedScanFindsWhatScoringEachUnpackedCodeFinds()
    {
        // Flat and IVF-PQ at 6 bits: the top 50 (rows and scores) equal ranking every row by ProductQuantizer.Score of
        // its unpacked code, as an index of byte codes ranks them.
        var (rows, queries) = IvfTests.Clustered(seed: 21, n: 2001, dim: 24, clusters: 15, nq: 4);
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 12, Bits = 6, Seed = 1 });
        var codes = ProductCodes.Encode(pq, rows);
        Assert.Equal((6, 2001L * 9), (codes.Bits, codes.MemoryBytes));
        var all = ProductQuantizerTests.AllCodes(codes);
        var table = new float[pq.Subspaces * pq.Centroids];
        foreach (var q in queries)
        {
            pq.Table(q, table);
            var expected = Enumerable.Range(0, rows.Length).Select(r => (Row: r, Score: ProductQuantizer.Score(all.AsSpan(r * 12, 12), table, pq.Centroids)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(50).ToArray();
            var hits = PqSearch.TopK([q], codes, 50, 0)[0];
            Assert.Equal(expected.Select(x => x.Row), hits.Select(h => h.Index));
            Assert.Equal(expected.Select(x => x.Score), hits.Select(h => h.Score));
        }
    }
}
