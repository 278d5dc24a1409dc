using System.Numerics.Tensors;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// OPQ's output width (<see cref="ProductQuantizerOptions.RotationDimension"/>): on anisotropic rows (a random rotation
/// of a diagonal-scaled Gaussian) OPQ loses less than plain codes and finds at least as many of the exact top 10; a
/// reduction to fewer values than the rows' loses less than plain codes of the same bytes there; the matrix has
/// orthonormal rows (reduction) or columns (widening) and round-trips through <c>pq.bin</c>; an index of reduced
/// codes (flat and IVF) ranks as its decoded rows after it is built, after <c>index add</c> and after a reindex.
/// </summary>
public sealed class OpqDimensionTests
{
    // Rows [n × dim]: Gaussian values scaled by a geometric ramp from 5 down to 0.05, turned by a random rotation.
    private static List<float[]> Anisotropic(int n, int dim, int seed)
    {
        var rng = new Random(seed);
        var turn = OpqRotation.RandomOrthonormal(dim, rng);
        var rows = new List<float[]>();
        for (int i = 0; i < n; i++)
        {
            var g = new float[dim];
            for (int j = 0; j < dim; j++) g[j] = (float)(Gaussian(rng) * 5 * Math.Pow(0.01, j / (dim - 1.0)));
            var row = new float[dim];
            for (int r = 0; r < dim; r++) row[r] = TensorPrimitives.Dot(turn.AsSpan(r * dim, dim), g);
            rows.Add(row);
        }
        return rows;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

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

    // Mean recall@10 of ranking the rows by their codes' table scores against the exact inner products.
    private static double Recall(ProductQuantizer pq, List<float[]> rows, List<float[]> queries)
    {
        var codes = ProductCodes.Encode(pq, rows);
        var table = new float[pq.Subspaces * pq.Centroids];
        double found = 0;
        foreach (var q in queries)
        {
            pq.Table(q, table);
            var exact = Enumerable.Range(0, rows.Count).OrderByDescending(r => TensorPrimitives.Dot(q, rows[r])).Take(10).ToHashSet();
            found += Enumerable.Range(0, rows.Count).OrderByDescending(r => codes.Score(r, table)).Take(10).Count(exact.Contains);
        }
        return found / (10.0 * queries.Count);
    }

    private static void AssertOrthonormal(ReadOnlySpan<float> a, int rows, int cols)
    {
        bool byRow = rows <= cols;
        int count = byRow ? rows : cols, length = byRow ? cols : rows;
        for (int i = 0; i < count; i++)
        for (int j = 0; j < count; j++)
        {
            double s = 0;
            for (int t = 0; t < length; t++) s += byRow ? (double)a[i * cols + t] * a[j * cols + t] : (double)a[t * cols + i] * a[t * cols + j];
            Assert.True(Math.Abs(s - (i == j ? 1 : 0)) < 1e-4, $"{(byRow ? "rows" : "columns")} {i}·{j} = {s}");
        }
    }

    [Fact]
    public void OnAnisotropicRowsOpqLosesLessAndRecallsAtLeastAsMuch()
    {
        var rows = Anisotropic(2000, 32, seed: 4);
        var queries = Anisotropic(40, 32, seed: 5);
        var options = new ProductQuantizerOptions { Subspaces = 8, Bits = 4, Seed = 2 };
        var plain = ProductQuantizer.Train(rows, options);
        var rotated = ProductQuantizer.Train(rows, options with { RotationRounds = 10 });
        double before = ReconstructionError(plain, rows), after = ReconstructionError(rotated, rows);
        Assert.True(after < 0.9 * before, $"squared error per row: plain {before:F3}, OPQ {after:F3}");
        double recallPlain = Recall(plain, rows, queries), recallOpq = Recall(rotated, rows, queries);
        Assert.True(recallOpq >= recallPlain, $"recall@10: plain {recallPlain:F3}, OPQ {recallOpq:F3}");

        // The same 4 bytes a row from a 32 → 16 reduction (8 sub-vectors of 2): the dropped directions hold little.
        var reduced = ProductQuantizer.Train(rows, options with { RotationRounds = 10, RotationDimension = 16 });
        Assert.Equal((32, 16, 8), (reduced.Dimension, reduced.CodeDimension, reduced.Subspaces));
        AssertOrthonormal(reduced.Rotation, 16, 32);
        double lessWide = ReconstructionError(reduced, rows);
        Assert.True(lessWide < before, $"squared error per row: plain {before:F3}, OPQ to 16-d {lessWide:F3}");
    }

    [Fact]
    public void AWideningMatrixHasOrthonormalColumnsAndRoundTripsThroughTheFile()
    {
        var rows = Anisotropic(600, 8, seed: 6);
        var pq = ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 3, Bits = 4, RotationRounds = 3, RotationDimension = 12 });
        Assert.Equal(12, pq.CodeDimension);
        AssertOrthonormal(pq.Rotation, 12, 8);
        // Aᵀ·A = I: a query's table scores a code as q · (its decoded row).
        var codes = new byte[3];
        var decoded = new float[8];
        var table = new float[3 * pq.Centroids];
        pq.Encode(rows[0], 1, codes);
        pq.Decode(codes, decoded);
        pq.Table(rows[1], table);
        Assert.Equal(TensorPrimitives.Dot(rows[1], decoded), ProductQuantizer.Score(codes, table, pq.Centroids), 1e-4f);

        string path = Path.Combine(Directory.CreateTempSubdirectory("skald-opq-dim").FullName, "pq.bin");
        using (var fs = File.Create(path)) pq.Write(fs);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("SKALDPQ3", System.Text.Encoding.ASCII.GetString(bytes, 0, 8));
        Assert.Equal(24 + 4L * 12 * 16 + 4L * 12 * 8, bytes.Length); // header with D', codebooks [3 × 16 × 4], A [12 × 8]
        var back = ProductQuantizer.Read(path, 8);
        Assert.Equal(12, back.CodeDimension);
        Assert.True(pq.Rotation.SequenceEqual(back.Rotation));
        for (int m = 0; m < 3; m++) Assert.True(pq.Codebook(m).SequenceEqual(back.Codebook(m)));
        BitConverter.GetBytes(2f).CopyTo(bytes, bytes.Length - 4); // finite, but column 7 is no longer a unit vector
        File.WriteAllBytes(path, bytes);
        Assert.Contains("column 7 of the rotation has norm", Assert.Throws<EvaluationException>(() => ProductQuantizer.Read(path, 8)).Message);
        Assert.Contains("output dimensions do not split into 5", Assert.Throws<ArgumentException>(() =>
            ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 5, RotationRounds = 1, RotationDimension = 12 })).Message);
        Assert.Contains("needs OPQ rounds", Assert.Throws<ArgumentException>(() =>
            ProductQuantizer.Train(rows, new ProductQuantizerOptions { Subspaces = 4, RotationDimension = 12 })).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AReducedIndexRanksAsItsDecodedRowsAfterAddAndReindex(bool ivf)
    {
        var (model, records, queries) = IvfIndexTests.Corpus(1200, seed: 9);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-opq-dim-index").FullName, "idx");
        var pq = new ProductQuantizerOptions { Subspaces = 4, Bits = 4, RotationRounds = 2, RotationDimension = 8 };
        var lists = ivf ? new IvfOptions { Lists = 8, Probes = 8 } : null;
        var manifest = IndexBuilder.Build(folder, model, folder, records[..1100], new Bm25Options(), "nb", 0, 0, null, EmbeddingPrecision.Float32, lists, pq: pq);
        Assert.Equal((true, 8), (manifest.PqRotated, manifest.PqRotatedDim));
        byte[] quantizer = File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqFile));
        Assert.Equal(100, IndexBuilder.Add(folder, model, records[1100..]).Item1);
        Assert.Equal(quantizer, File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqFile)));
        AssertRanksAsDecodedRows(folder, queries, 1200);

        var again = IndexBuilder.Reindex(folder, new DenseLayout { Pq = pq, Ivf = lists });
        Assert.Equal(8, again.PqRotatedDim);
        AssertRanksAsDecodedRows(folder, queries, 1200);

        string manifestPath = Path.Combine(folder, IndexWriter.ManifestFile);
        File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"pq_rotated_dim\": 8", "\"pq_rotated_dim\": 16"));
        Assert.Contains("maps the rows to 8 values, the manifest says pq_rotated_dim 16", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }

    private static void AssertRanksAsDecodedRows(string folder, float[][] queries, int rows)
    {
        using var index = SearchIndex.Open(folder);
        Assert.Equal(rows, index.Records.Count);
        Assert.Equal((16, 8), (index.ProductQuantizer!.Dimension, index.ProductQuantizer.CodeDimension));
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        Assert.Equal(ProductCodes.Encode(index.ProductQuantizer, stored, index.Lists).ToStored(),
            File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqCodesFile)));
        foreach (var q in queries)
            Assert.Equal(PqIndexTests.ByDecodedRows(index, q, 8), index.Search("x", q, SearchMode.Dense, 8, null, 0, 0).Select(h => h.Row));
    }
}
