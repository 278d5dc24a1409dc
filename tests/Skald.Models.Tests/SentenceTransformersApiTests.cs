using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Models.Tests;

/// <summary>
/// The sentence-transformers names the library answers to, against fixtures/st-api/make_st_api_reference.py (upstream's
/// util.cos_sim / dot_score / euclidean_sim / manhattan_sim and their pairwise_* forms, SparseEncoder.intersection,
/// sparsity and decode, restated in plain torch): <see cref="Similarities.Matrix(SimilarityFunction, IReadOnlyList{float[]}, IReadOnlyList{float[]})"/>, <see cref="Similarities.Pairwise(SimilarityFunction, IReadOnlyList{float[]}, IReadOnlyList{float[]})"/>
/// and <see cref="SentenceEncoder.SimilarityPairwise(IReadOnlyList{float[]}, IReadOnlyList{float[]})"/> (dense and
/// sparse), <see cref="SparseEmbedding.Intersection"/>,
/// <see cref="SparseEmbedding.Sparsity(IReadOnlyList{SparseEmbedding}, int)"/> and <see cref="SentenceEncoder.Decode(SparseEmbedding, int?)"/>.
/// </summary>
public sealed class SentenceTransformersApiTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "st-api", "st_api.json"))).RootElement;

    private static float[][] Rows(JsonElement e) => [.. e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];

    private static SparseEmbedding Sparse(JsonElement e) => new(
        [.. e.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32())],
        [.. e.GetProperty("values").EnumerateArray().Select(x => x.GetSingle())]);

    [Theory]
    [InlineData("cosine", SimilarityFunction.Cosine)]
    [InlineData("dot", SimilarityFunction.Dot)]
    [InlineData("euclidean", SimilarityFunction.Euclidean)]
    [InlineData("manhattan", SimilarityFunction.Manhattan)]
    public void MatrixAndPairwiseAreUpstreamsFunctions(string name, SimilarityFunction f)
    {
        var s = Reference.GetProperty("similarity");
        float[][] a = Rows(s.GetProperty("a")), b = Rows(s.GetProperty("b")), c = Rows(s.GetProperty("c"));
        var wantMatrix = Rows(s.GetProperty("matrix").GetProperty(name));
        var matrix = Similarities.Matrix(f, a, c);
        Assert.Equal(a.Length, matrix.GetLength(0));
        Assert.Equal(c.Length, matrix.GetLength(1));
        for (int i = 0; i < a.Length; i++)
        {
            for (int j = 0; j < c.Length; j++) Assert.True(Math.Abs(wantMatrix[i][j] - matrix[i, j]) <= 1e-5f * Math.Max(1f, Math.Abs(wantMatrix[i][j])), $"{name} ({i}, {j}): {matrix[i, j]} vs {wantMatrix[i][j]}");
        }
        var wantPairs = s.GetProperty("pairwise").GetProperty(name).EnumerateArray().Select(x => x.GetSingle()).ToArray();
        var pairs = Similarities.Pairwise(f, a, b);
        Assert.Equal(wantPairs.Length, pairs.Length);
        for (int i = 0; i < pairs.Length; i++)
            Assert.True(Math.Abs(wantPairs[i] - pairs[i]) <= 1e-5f * Math.Max(1f, Math.Abs(wantPairs[i])), $"{name} pair {i}: {pairs[i]} vs {wantPairs[i]}");
    }

    [Fact]
    public void ModelSimilarityPairwiseUsesTheModelsFunction()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var s = Reference.GetProperty("similarity");
        float[][] a = Rows(s.GetProperty("a")), b = Rows(s.GetProperty("b"));
        Assert.Equal(Similarities.Pairwise(model.SimilarityFunction, a, b), model.SimilarityPairwise(a, b));
        var name = Similarities.Name(model.SimilarityFunction);
        var want = s.GetProperty("pairwise").GetProperty(name).EnumerateArray().Select(x => x.GetSingle()).ToArray();
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], model.SimilarityPairwise(a, b)[i], 5);
        Assert.Throws<ArgumentException>("b", () => model.SimilarityPairwise(a, b[..2]));
    }

    [Theory]
    [InlineData("cosine", SimilarityFunction.Cosine)]
    [InlineData("dot", SimilarityFunction.Dot)]
    [InlineData("euclidean", SimilarityFunction.Euclidean)]
    [InlineData("manhattan", SimilarityFunction.Manhattan)]
    public void SparseSimilaritiesAreThoseOfTheDenseVectors(string name, SimilarityFunction f)
    {
        var s = Reference.GetProperty("sparse");
        var vectors = s.GetProperty("vectors").EnumerateArray().Select(Sparse).ToArray();
        SparseEmbedding[] first = vectors[..3], second = vectors[3..];
        var want = Rows(s.GetProperty("matrix").GetProperty(name));
        var matrix = Similarities.Matrix(f, first, second);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) Assert.True(Math.Abs(want[i][j] - matrix[i, j]) <= 1e-5f * Math.Max(1f, Math.Abs(want[i][j])), $"{name} ({i}, {j}): {matrix[i, j]} vs {want[i][j]}");
        }
        var wantPairs = s.GetProperty("pairwise").GetProperty(name).EnumerateArray().Select(x => x.GetSingle()).ToArray();
        var pairs = Similarities.Pairwise(f, first, second);
        for (int i = 0; i < 3; i++)
            Assert.True(Math.Abs(wantPairs[i] - pairs[i]) <= 1e-5f * Math.Max(1f, Math.Abs(wantPairs[i])), $"{name} pair {i}: {pairs[i]} vs {wantPairs[i]}");
    }

    [Fact]
    public void SparseModelSimilarityIsDotAsUpstreamsSparseEncoder()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("splade-bert-tiny"));
        var s = Reference.GetProperty("sparse");
        var vectors = s.GetProperty("vectors").EnumerateArray().Select(Sparse).ToArray();
        var want = Rows(s.GetProperty("matrix").GetProperty("dot"));
        var matrix = model.Similarity(vectors[..3], vectors[3..]);
        var pairs = model.SimilarityPairwise(vectors[..3], vectors[3..]);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(want[i][i], pairs[i], 4);
            for (int j = 0; j < 3; j++) Assert.Equal(want[i][j], matrix[i, j], 4);
        }
    }

    [Fact]
    public void IntersectionAndSparsityAreUpstreams()
    {
        var s = Reference.GetProperty("sparse");
        var vectors = s.GetProperty("vectors").EnumerateArray().Select(Sparse).ToArray();
        foreach (var p in s.GetProperty("intersections").EnumerateArray())
        {
            var want = Sparse(p);
            var got = SparseEmbedding.Intersection(vectors[p.GetProperty("a").GetInt32()], vectors[p.GetProperty("b").GetInt32()]);
            Assert.Equal(want.Indices, got.Indices);
            for (int i = 0; i < want.Count; i++) Assert.Equal(want.Values[i], got.Values[i], 5);
        }
        var stats = SparseEmbedding.Sparsity(vectors, s.GetProperty("width").GetInt32());
        Assert.Equal(s.GetProperty("sparsity").GetProperty("active_dims").GetDouble(), stats.ActiveDims, 12);
        Assert.Equal(s.GetProperty("sparsity").GetProperty("sparsity_ratio").GetDouble(), stats.SparsityRatio, 12);
        Assert.Equal(new SparsityStatistics(0, 1), SparseEmbedding.Sparsity(Array.Empty<SparseEmbedding>(), 40));
    }

    [Fact]
    public void DecodeIsUpstreamsTokensByWeight()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("splade-bert-tiny"));
        var rows = Reference.GetProperty("decode").EnumerateArray().ToArray();
        var embeddings = rows.Select(Sparse).ToArray();
        var all = model.Decode(embeddings);
        for (int r = 0; r < rows.Length; r++)
        {
            foreach (var (key, got) in new[] { ("all", all[r]), ("top5", model.Decode(embeddings[r], topK: 5)) })
            {
                var want = rows[r].GetProperty(key).EnumerateArray().Select(e => (e[0].GetString()!, e[1].GetSingle())).ToArray();
                Assert.Equal(want.Select(w => w.Item1), got.Select(g => g.Token));
                Assert.Equal(want.Select(w => w.Item2), got.Select(g => g.Weight));
            }
        }
        // The decoded weights of an encoded text are its embedding's entries.
        var encoded = model.EncodeSparse([rows[0].GetProperty("text").GetString()!])[0];
        Assert.Equal(encoded.Count, model.Decode(encoded).Length);
    }

    [Fact]
    public void DecodeRefusesWhatHasNoTokens()
    {
        using var dense = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using var csr = SentenceEncoder.Load(TestPaths.FixtureModel("csr-bert-tiny"));
        using var splade = SentenceEncoder.Load(TestPaths.FixtureModel("splade-bert-tiny"));
        var e = new SparseEmbedding([3], [1f]);
        Assert.Contains("not a sparse encoder", Assert.Throws<ModelFormatException>(() => dense.Decode(e)).Message);
        Assert.Contains("latents", Assert.Throws<ModelFormatException>(() => csr.Decode(e)).Message);
        Assert.Throws<ArgumentException>("embedding", () => splade.Decode(new SparseEmbedding([splade.Dimension + 5], [1f])));
        Assert.Throws<ArgumentOutOfRangeException>("topK", () => splade.Decode(e, topK: 0));
    }
}
