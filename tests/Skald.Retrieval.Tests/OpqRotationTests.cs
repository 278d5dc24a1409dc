using System.Numerics.Tensors;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// OPQ (<see cref="OpqRotation"/>, <see cref="ProductQuantizerOptions.RotationRounds"/>): the Procrustes step recovers a
/// known rotation, the trained rotation is orthonormal and loses less than plain PQ on rows whose variance sits in one
/// sub-vector, a rotated quantizer's codes, tables and decoded rows agree with rotating by hand, it round-trips through
/// <c>pq.bin</c> (damage named), and a rotated index (rows added after it was built included) ranks as its decoded rows.
/// </summary>
public sealed class OpqRotationTests
{
    private static float[] Gaussian(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return v;
    }

    // y = A·x by plain loops (row-major A [d × d]).
    private static float[] Turn(float[] a, float[] x)
    {
        int d = x.Length;
        var y = new float[d];
        for (int i = 0; i < d; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double)a[i * d + j] * x[j];
            y[i] = (float)s;
        }
        return y;
    }

    private static void AssertOrthonormal(float[] a, int d, float tolerance)
    {
        for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
        {
            double s = 0;
            for (int t = 0; t < d; t++) s += (double)a[i * d + t] * a[j * d + t];
            Assert.True(Math.Abs(s - (i == j ? 1 : 0)) < tolerance, $"(A·Aᵀ)[{i}, {j}] = {s}");
        }
    }

    /// <summary>Rows [n × 16] whose variance is almost all in the first 4 values (the first of 4 sub-vectors).</summary>
    private static List<float[]> Lopsided(int n, int seed)
    {
        var rng = new Random(seed);
        float[] scale = [6, 5, 4, 3, .2f, .2f, .2f, .2f, .1f, .1f, .1f, .1f, .05f, .05f, .05f, .05f];
        return [.. Enumerable.Range(0, n).Select(_ => { var g = Gaussian(rng, 16); for (int i = 0; i < 16; i++) g[i] *= scale[i]; return g; })];
    }

    private static double ReconstructionError(ProductQuantizer pq, List<float[]> rows)
    {
        var codes = new byte[pq.Subspaces];
        var back = new float[pq.Dimension];
        double e = 0;
        foreach (var row in rows)
        {
            pq.Encode(row, 1, codes);
            pq.Decode(codes, back);
            for (int i = 0; i < row.Length; i++) e += (row[i] - back[i]) * (double)(row[i] - back[i]);
        }
        return e / rows.Count;
    }

    [Fact]
    public void ProcrustesRecoversAKnownRotation()
    {
        var rng = new Random(3);
        const int d = 12, n = 200;
        var q = OpqRotation.RandomOrthonormal(d, rng);
        AssertOrthonormal(q, d, 1e-5f);
        // Ŷ = X·Qᵀ exactly, so the A minimising ‖Ŷ − X·Aᵀ‖ is Q: Procrustes of C = Ŷᵀ·X.
        var x = Enumerable.Range(0, n).Select(_ => Gaussian(rng, d)).ToArray();
        var y = x.Select(r => Turn(q, r)).ToArray();
        var c = new float[d * d];
        for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            c[i * d + j] = (float)Enumerable.Range(0, n).Sum(r => (double)y[r][i] * x[r][j]);
        var a = OpqRotation.Procrustes(c, d, d);
        for (int i = 0; i < d * d; i++) Assert.Equal(q[i], a[i], 1e-4f);
    }

    [Fact]
    public void TheRotationIsOrthonormalAndLosesLessThanPlainCodes()
    {
        var rows = Lopsided(3000, seed: 1);
        var options = new ProductQuantizerOptions { Subspaces = 4, Bits = 4, Seed = 5 };
        var plain = ProductQuantizer.Train(rows, options);
        var rotated = ProductQuantizer.Train(rows, options with { RotationRounds = 8 });
        Assert.False(plain.Rotated);
        Assert.True(rotated.Rotated);
        AssertOrthonormal(rotated.Rotation.ToArray(), 16, 1e-4f);
        double before = ReconstructionError(plain, rows), after = ReconstructionError(rotated, rows);
        Assert.True(after < 0.8 * before, $"squared error per row: plain {before:F3}, OPQ {after:F3}");
        var wide = new List<float[]> { new float[2048], new float[2048] };
        Assert.Contains("too slow above 1536", Assert.Throws<ArgumentException>(() =>
            ProductQuantizer.Train(wide, new ProductQuantizerOptions { Subspaces = 8, RotationRounds = 1 })).Message);
        // Repeatable from the seed.
        Assert.True(rotated.Rotation.SequenceEqual(ProductQuantizer.Train(rows, options with { RotationRounds = 8 }).Rotation));
    }

    [Fact]
    public void RotatedCodesTablesAndDecodedRowsAgreeWithRotatingByHand()
    {
        var rows = Lopsided(1000, seed: 2);
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 4, Bits = 3, RotationRounds = 2, Seed = 1 });
        var a = pq.Rotation.ToArray();
        var rng = new Random(9);
        var codes = new byte[4];
        var decoded = new float[16];
        var table = new float[4 * pq.Centroids];
        foreach (var row in rows.Take(50))
        {
            // Each code is its rotated sub-vector's nearest centroid.
            var y = Turn(a, row);
            pq.Encode(row, 1, codes);
            for (int m = 0; m < 4; m++)
            {
                var book = pq.Codebook(m).ToArray();
                int best = Enumerable.Range(0, pq.Centroids)
                    .OrderBy(j => TensorPrimitives.Distance(y.AsSpan(m * 4, 4), book.AsSpan(j * 4, 4))).ThenBy(j => j).First();
                Assert.Equal(best, codes[m]);
            }
            // Decode turns the centroids back: Aᵀ·ŷ.
            pq.Decode(codes, decoded);
            var yHat = Enumerable.Range(0, 4).SelectMany(m => pq.Codebook(m).Slice(codes[m] * 4, 4).ToArray()).ToArray();
            var back = Turn([.. Enumerable.Range(0, 256).Select(t => a[t % 16 * 16 + t / 16])], yHat); // Aᵀ
            for (int i = 0; i < 16; i++) Assert.Equal(back[i], decoded[i], 1e-5f);
            // A query's table scores the code as q · x̂ in the rows' own space.
            var q = Gaussian(rng, 16);
            pq.Table(q, table);
            Assert.Equal(TensorPrimitives.Dot(q, decoded), ProductQuantizer.Score(codes, table, pq.Centroids), 1e-4f);
        }
    }

    [Fact]
    public void TheRotationRoundTripsThroughTheFileAndDamageIsNamed()
    {
        var pq = ProductQuantizer.Train(Lopsided(500, seed: 3), new ProductQuantizerOptions { Subspaces = 4, Bits = 4, RotationRounds = 1 });
        string dir = Directory.CreateTempSubdirectory("skald-opq").FullName;
        string path = Path.Combine(dir, "pq.bin");
        using (var fs = File.Create(path)) pq.Write(fs);
        Assert.Equal(20 + 4L * 16 * 16 + 4L * 16 * 16, new FileInfo(path).Length); // codebooks [4 × 16 × 4], then A [16 × 16]
        Assert.Equal("SKALDPQ2", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path), 0, 8));
        var back = ProductQuantizer.Read(path, 16);
        Assert.True(back.Rotated);
        Assert.True(pq.Rotation.SequenceEqual(back.Rotation));
        for (int m = 0; m < 4; m++) Assert.True(pq.Codebook(m).SequenceEqual(back.Codebook(m)));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        Assert.Contains("and their rotation", Assert.Throws<EvaluationException>(() => ProductQuantizer.Read(path, 16)).Message);
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, bytes.Length - 4);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("not finite", Assert.Throws<EvaluationException>(() => ProductQuantizer.Read(path, 16)).Message);
        BitConverter.GetBytes(2f).CopyTo(bytes, bytes.Length - 4); // finite, but row 15 is no longer a unit vector
        File.WriteAllBytes(path, bytes);
        Assert.Contains("row 15 of the rotation has norm", Assert.Throws<EvaluationException>(() => ProductQuantizer.Read(path, 16)).Message);
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ARotatedIndexRanksAsItsDecodedRows(bool ivf)
    {
        var (model, records, queries) = IvfIndexTests.Corpus(1200, seed: 8);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-opq-index").FullName, "idx");
        var manifest = IndexBuilder.Build(folder, model, folder, records[..1100], new Bm25Options(), "nb", 0, 0, null, EmbeddingPrecision.Float32,
            ivf ? new IvfOptions { Lists = 8, Probes = 8 } : null, pq: new ProductQuantizerOptions { Subspaces = 8, Bits = 4, RotationRounds = 2 });
        Assert.True(manifest.PqRotated);
        byte[] quantizer = File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqFile));
        Assert.Equal(100, IndexBuilder.Add(folder, model, records[1100..]).Item1); // added rows: the same rotation and codebooks
        Assert.Equal(quantizer, File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqFile)));
        using var index = SearchIndex.Open(folder);
        Assert.Equal(1200, index.Records.Count);
        Assert.True(index.ProductQuantizer!.Rotated);
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        Assert.Equal(ProductCodes.Encode(index.ProductQuantizer, stored, index.Lists).ToStored(),
            File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqCodesFile)));
        foreach (var q in queries)
            Assert.Equal(PqIndexTests.ByDecodedRows(index, q, 8), index.Search("x", q, SearchMode.Dense, 8, null, 0, 0).Select(h => h.Row));
        // A manifest that disagrees with pq.bin about the rotation is named.
        string manifestPath = Path.Combine(folder, IndexWriter.ManifestFile);
        File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"pq_rotated\": true", "\"pq_rotated\": false"));
        Assert.Contains("holds an OPQ rotation", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }
}
