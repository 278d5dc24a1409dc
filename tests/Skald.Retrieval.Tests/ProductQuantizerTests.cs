using System.Numerics.Tensors;
using System.Text.Json;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Product quantization against fixtures/pq/make_pq.py (NumPy, float64: Euclidean Lloyd steps with the same
/// empty-cluster rule, codes, asymmetric scores, IVF-PQ by residual), and search quality against exact search.
/// </summary>
public sealed class ProductQuantizerTests
{
    private static readonly ReferenceJson Data = new("pq", "pq.json");

    private static ProductQuantizer ReferenceQuantizer() => new(Data.Int("dim"), Data.Int("m"), Data.Int("k"), Data.Floats("codebooks"));

    [Fact]
    public void EuclideanLloydStepsEqualNumpyIncludingAnEmptyClusterRelocated()
    {
        int n = Data.Int("n"), dim = Data.Int("dim"), m = Data.Int("m"), k = Data.Int("k"), d = dim / m;
        var data = Data.Floats("data");
        var initial = Data["initial"].EnumerateArray().ToArray();
        var expected = Data.Floats("codebooks");
        for (int s = 0; s < m; s++)
        {
            var slice = Enumerable.Range(0, n).SelectMany(i => data.Skip(i * dim + s * d).Take(d)).ToArray();
            var init = initial[s].EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(init[..d], init[((k - 1) * d)..]); // the last starts as a copy of the first: empty at once
            var centroids = KMeans.Lloyd(slice, n, d, init, k, Data.Int("iterations"), spherical: false);
            for (int i = 0; i < k * d; i++) Assert.Equal(expected[s * k * d + i], centroids[i], 2e-5f);
            Assert.NotEqual(centroids[..d], centroids[((k - 1) * d)..]);
        }
    }

    [Fact]
    public void CodesDecodingAndAsymmetricScoresEqualNumpy()
    {
        int dim = Data.Int("dim"), n = Data.Int("n"), m = Data.Int("m");
        var pq = ReferenceQuantizer();
        var codes = ProductCodes.Encode(pq, ReferenceJson.Rows(Data.Floats("data"), dim));
        Assert.Equal(Data.Ints("codes").Select(c => (byte)c), AllCodes(codes));
        Assert.Equal(PackedByHand(Data.Ints("codes"), m), codes.ToStored()); // K = 8: two codes a byte, faiss's nibble order
        var queries = ReferenceJson.Rows(Data.Floats("queries"), dim);
        var adc = Data.Floats("adc");
        var table = new float[m * pq.Centroids];
        var decoded = new float[dim];
        var code = new byte[m];
        for (int q = 0; q < queries.Length; q++)
        {
            pq.Table(queries[q], table);
            for (int r = 0; r < n; r++)
            {
                Assert.Equal(adc[q * n + r], codes.Score(r, table), 1e-4f);
                codes.Code(r, code);
                pq.Decode(code, decoded);
                Assert.Equal(adc[q * n + r], TensorPrimitives.Dot(queries[q], decoded), 1e-4f);
            }
        }
        var hits = PqSearch.TopK(queries, codes, Data.Int("top_k"), 0);
        var flat = Data["flat"].EnumerateArray().ToArray();
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(flat[q].GetProperty("rows").EnumerateArray().Select(v => v.GetInt32()), hits[q].Select(h => h.Index));
            var scores = flat[q].GetProperty("scores").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            for (int i = 0; i < scores.Length; i++) Assert.Equal(scores[i], hits[q][i].Score, 1e-4f);
        }
    }

    [Fact]
    public void ResidualCodesInProbedListsScoreAsNumpy()
    {
        int dim = Data.Int("dim"), lists = 3;
        var data = ReferenceJson.Rows(Data.Floats("data"), dim);
        var coarse = Data.Floats("coarse");
        var ivf = InvertedLists.Group(coarse, dim, ivfAssignment(data, coarse, lists), out var order);
        Assert.Equal(Data.Ints("order"), order);
        Assert.Equal(Data.Ints("starts"), Enumerable.Range(0, lists + 1).Select(ivf.Start));
        var stored = order.Select(i => data[i]).ToArray();
        var codes = ProductCodes.Encode(ReferenceQuantizer(), stored, ivf);
        Assert.True(codes.Residual);
        Assert.Equal(Data.Ints("residual_codes").Select(c => (byte)c), AllCodes(codes));
        var queries = ReferenceJson.Rows(Data.Floats("queries"), dim);
        var hits = PqSearch.TopK(queries, ivf, Data.Int("probes"), codes, Data.Int("top_k"), 0);
        var expected = Data["ivf"].EnumerateArray().ToArray();
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(expected[q].GetProperty("rows").EnumerateArray().Select(v => v.GetInt32()), hits[q].Select(h => h.Index));
            var scores = expected[q].GetProperty("scores").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            for (int i = 0; i < scores.Length; i++) Assert.Equal(scores[i], hits[q][i].Score, 1e-4f);
        }
        Assert.Throws<ArgumentException>(() => PqSearch.TopK(queries, codes, 3, 0)); // residual codes need their lists

        static int[] ivfAssignment(float[][] rows, float[] centroids, int lists)
        {
            var a = new int[rows.Length];
            KMeans.Assign(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length, centroids, lists, a);
            return a;
        }
    }

    [Fact]
    public void ResidualCodesFollowTheirListsAcrossEmptyListsAndBlocks()
    {
        // 5,000 rows (beyond the writer's 4,096-row block) in 8 lists of which the first, two middle ones and the last
        // are empty; every code checked against a brute-force encoding in double of the row minus its list's centroid.
        var (rows, _) = IvfTests.Clustered(seed: 12, n: 5000, dim: 16, clusters: 30, nq: 1);
        var random = new Random(5);
        var centroids = ExactSearch.Normalize([.. Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 16).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray())]);
        int[] used = [1, 2, 4, 6];
        var lists = InvertedLists.Group([.. centroids.SelectMany(c => c)], 16, [.. rows.Select((_, i) => used[i % used.Length])], out var order);
        foreach (int l in new[] { 0, 3, 5, 7 }) Assert.Equal(lists.Start(l), lists.Start(l + 1));
        var stored = order.Select(i => rows[i]).ToArray();
        var pq = ProductQuantizer.Train(stored, new ProductQuantizerOptions { Subspaces = 4, Bits = 5 }, lists);
        var codes = ProductCodes.Encode(pq, stored, lists);
        var all = AllCodes(codes);
        int mismatches = 0;
        for (int r = 0; r < stored.Length; r++)
        {
            var c = centroids[lists.ListOf(r)];
            for (int m = 0; m < 4; m++)
            {
                var book = pq.Codebook(m).ToArray();
                double Distance(int j) => Enumerable.Range(0, 4).Sum(d => Math.Pow((double)stored[r][m * 4 + d] - c[m * 4 + d] - book[j * 4 + d], 2));
                int best = Enumerable.Range(0, pq.Centroids).MinBy(Distance);
                int got = all[r * 4 + m];
                if (got == best) continue;
                mismatches++;
                Assert.True(Distance(got) - Distance(best) < 1e-5, $"row {r} sub-vector {m}: code {got} ({Distance(got)}) for {best} ({Distance(best)})");
            }
        }
        Assert.True(mismatches <= 5, $"{mismatches} near-ties"); // float32 GEMM against double: only near-ties may differ
    }

    [Fact]
    public void ScanningFourRowsAtATimeEqualsScoringEachAndAnyRowCount()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 3, n: 1003, dim: 32, clusters: 20, nq: 3);
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 8, Bits = 6, Seed = 5 });
        var codes = ProductCodes.Encode(pq, rows);
        var table = new float[pq.Subspaces * pq.Centroids];
        foreach (var q in queries)
        {
            pq.Table(q, table);
            var expected = Enumerable.Range(0, rows.Length)
                .Select(r => (Row: r, Score: codes.Score(r, table)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(rows.Length).ToArray();
            var hits = PqSearch.TopK([q], codes, rows.Length, 0)[0];
            Assert.Equal(expected.Select(x => x.Row), hits.Select(h => h.Index));
            Assert.Equal(expected.Select(x => x.Score), hits.Select(h => h.Score));
        }
    }

    [Fact]
    public void TrainingIsRepeatableAndFewRowsMakeFewerCentroids()
    {
        var (rows, _) = IvfTests.Clustered(seed: 4, n: 600, dim: 16, clusters: 10, nq: 1);
        var options = new ProductQuantizerOptions { Subspaces = 4, Seed = 2 };
        var a = ProductQuantizer.Train(rows, options);
        var b = ProductQuantizer.Train(rows, options);
        Assert.Equal(256, a.Centroids);
        for (int m = 0; m < 4; m++) Assert.True(a.Codebook(m).SequenceEqual(b.Codebook(m)));
        Assert.False(a.Codebook(0).SequenceEqual(ProductQuantizer.Train(rows, options with { Seed = 3 }).Codebook(0)));
        var few = ProductQuantizer.Train(rows[..40], options);
        Assert.Equal(40, few.Centroids); // fewer rows than 2^8: one centroid per row
        var codes = ProductCodes.Encode(few, rows[..40]);
        var decoded = new float[16];
        for (int r = 0; r < 40; r++)
        {
            few.Decode(AllCodes(codes).AsSpan(r * 4, 4), decoded);
            for (int i = 0; i < 16; i++) Assert.Equal(rows[r][i], decoded[i], 1e-6f); // every training row is a centroid
        }
        Assert.Contains("divisor", Assert.Throws<ArgumentException>(() => ProductQuantizer.Train(rows, options with { Subspaces = 5 })).Message);
        Assert.Throws<ArgumentException>(() => ProductQuantizer.Train(rows, options with { Bits = 9 }));
    }

    [Fact]
    public void RescoredCodesFindTheExactNeighboursOfClusteredData()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 8, n: 8000, dim: 64, clusters: 100, nq: 50);
        var exact = ExactSearch.TopK(queries, rows, 10);
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 16 });
        var codes = ProductCodes.Encode(pq, rows);
        double Recall(Hit[][] hits) => Enumerable.Range(0, queries.Length)
            .Average(q => hits[q].Select(h => h.Index).Intersect(exact[q].Select(h => h.Index)).Count() / 10.0);
        double plain = Recall(PqSearch.TopK(queries, codes, 10, 0));
        double rescored = Recall(PqSearch.TopK(queries, codes, 10, 10, null, r => rows[r]));
        Assert.True(plain >= 0.2, $"recall@10 of 16-byte codes: {plain:F3}");
        Assert.True(rescored >= 0.97 && rescored > plain, $"recall@10 rescored from 100: {rescored:F3} (codes alone {plain:F3})");
        var rescoredHits = PqSearch.TopK(queries, codes, 10, 10, null, r => rows[r]);
        for (int q = 0; q < queries.Length; q++)
            foreach (var h in rescoredHits[q]) Assert.Equal(TensorPrimitives.Dot(queries[q], rows[h.Index]), h.Score); // float scores

        // IVF-PQ by residual: probing every list ranks exactly as scoring every residual code.
        var lists = InvertedLists.Train(rows, 32, null, out var order);
        var stored = order.Select(i => rows[i]).ToArray();
        var residual = ProductCodes.Encode(ProductQuantizer.Train(stored, new ProductQuantizerOptions { Subspaces = 16 }, lists), stored, lists);
        var all = PqSearch.TopK(queries, lists, lists.Lists, residual, 10, 10, null, r => stored[r]);
        var exactStored = ExactSearch.TopK(queries, stored, 10);
        double ivfRecall = Enumerable.Range(0, queries.Length)
            .Average(q => all[q].Select(h => h.Index).Intersect(exactStored[q].Select(h => h.Index)).Count() / 10.0);
        Assert.True(ivfRecall >= 0.97, $"IVF-PQ recall@10, every list probed, rescored from 100: {ivfRecall:F3}");
    }

    [Fact]
    public void CodebooksRoundTripThroughTheFileAndDamageIsNamed()
    {
        var pq = ReferenceQuantizer();
        string dir = Path.Combine(Path.GetTempPath(), "skald-pq-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "pq.bin");
            using (var fs = File.Create(path)) pq.Write(fs);
            var back = ProductQuantizer.Read(path, pq.Dimension);
            Assert.Equal((pq.Subspaces, pq.Centroids), (back.Subspaces, back.Centroids));
            for (int m = 0; m < pq.Subspaces; m++) Assert.True(pq.Codebook(m).SequenceEqual(back.Codebook(m)));
            Assert.Contains("24-d", Assert.Throws<EvaluationException>(() => ProductQuantizer.Read(path, 24)).Message);
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
            Assert.Contains(path, Assert.Throws<EvaluationException>(() => ProductQuantizer.Read(path, pq.Dimension)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Every row's M codes, row after row.</summary>
    internal static byte[] AllCodes(ProductCodes codes)
    {
        int m = codes.Quantizer.Subspaces;
        var all = new byte[codes.Rows * m];
        for (int r = 0; r < codes.Rows; r++) codes.Code(r, all.AsSpan(r * m, m));
        return all;
    }

    /// <summary>Codes [rows × m] two to a byte, even sub-vector in the low nibble (0 after an odd m's last).</summary>
    internal static byte[] PackedByHand(int[] codes, int m)
    {
        int width = (m + 1) / 2, rows = codes.Length / m;
        var packed = new byte[rows * width];
        for (int r = 0; r < rows; r++)
            for (int s = 0; s < m; s++) packed[r * width + s / 2] |= (byte)(codes[r * m + s] << (s % 2 * 4));
        return packed;
    }
}
