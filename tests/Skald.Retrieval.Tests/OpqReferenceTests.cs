using System.Text.Json;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// OPQ with an output width other than the rows' (faiss's <c>OPQ{M}_{D'}</c>) against fixtures/opq/make_opq.py, a NumPy
/// restatement of faiss's <c>OPQMatrix::train</c> fed the same starting matrix and the same starting centroids: the
/// trained matrix, the final codebooks and the codes equal the reference's, for a reduction (16 → 8) and a widening
/// (8 → 12, its rounds' codebooks trained on the sample's first 200 rows of 300, as faiss caps the points per centroid).
/// </summary>
public sealed class OpqReferenceTests
{
    private static readonly ReferenceJson Data = new("opq", "opq.json");

    private static float[] Floats(JsonElement c, string name) => [.. c.GetProperty(name).EnumerateArray().Select(v => v.GetSingle())];

    private static int[][] Rows(JsonElement c, string name) =>
        [.. c.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray())];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void TheTrainedMatrixCodebooksAndCodesEqualNumpy(int which)
    {
        var c = Data["cases"][which];
        int n = c.GetProperty("n").GetInt32(), dim = c.GetProperty("dim").GetInt32(), dOut = c.GetProperty("d_out").GetInt32(),
            m = c.GetProperty("m").GetInt32(), k = c.GetProperty("k").GetInt32(), d = dOut / m;
        var data = Floats(c, "data");
        var start = new OpqStart(Floats(c, "start"), Rows(c, "first_rows"));
        var a = OpqRotation.Train((float[])data.Clone(), n, dim, dOut, m, k, c.GetProperty("rounds").GetInt32(), new Random(0), out var turned, start,
            c.GetProperty("points_per_centroid").GetInt32());
        Assert.Equal(dOut * dim, a.Length);
        var expected = Floats(c, "rotation");
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) < 2e-4f, $"A[{i / dim}, {i % dim}] = {a[i]}, NumPy {expected[i]}");

        // The final codebooks: Lloyd steps on the turned rows from the reference's starting rows.
        var books = new float[dOut * k];
        var finalRows = Rows(c, "final_rows");
        for (int s = 0; s < m; s++)
        {
            var slice = new float[n * d];
            for (int i = 0; i < n; i++) turned.AsSpan(i * dOut + s * d, d).CopyTo(slice.AsSpan(i * d, d));
            var init = finalRows[s].SelectMany(r => slice.AsSpan(r * d, d).ToArray()).ToArray();
            KMeans.Lloyd(slice, n, d, init, k, c.GetProperty("iterations").GetInt32(), spherical: false).CopyTo(books, s * k * d);
        }
        var expectedBooks = Floats(c, "codebooks");
        for (int i = 0; i < books.Length; i++) Assert.True(Math.Abs(expectedBooks[i] - books[i]) < 1e-3f, $"codebook value {i}: {books[i]}, NumPy {expectedBooks[i]}");

        var pq = new ProductQuantizer(dim, m, k, books, a);
        Assert.Equal(dOut, pq.CodeDimension);
        var codes = new byte[n * m];
        pq.Encode(data, n, codes);
        Assert.Equal(c.GetProperty("codes").EnumerateArray().Select(v => (byte)v.GetInt32()), codes);
    }
}
