using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Training.Evaluation;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// Matryoshka evaluation during training scores every width from one cache of full-width vectors: each width's metrics
/// equal those of the model evaluated at that width on its own (<see cref="TrainingEmbeddingModel.For"/> with
/// <c>truncateDim</c>, encoding afresh), under a cosine and a dot model (the cut is not normalised again), and a width's
/// vectors are copied out of the cache at that width, with no full-width copy of every text per width (the cache gave
/// full-width copies that were then cut, twice the corpus's embeddings for each width).
/// </summary>
public sealed class MatryoshkaCacheTests
{
    private const int Width = 16;

    // A reproducible vector per word (no two alike), some entries negative so that a cut changes the ranking.
    private static Dictionary<string, float[]> Table(int count, int dim)
    {
        var random = new Random(20261207);
        return Enumerable.Range(0, count).ToDictionary(i => "w" + i, _ => Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
    }

    // 30 documents w0..w29, 10 queries w30..w39, each with three relevant documents.
    private static RetrievalData Data()
    {
        var corpus = Enumerable.Range(0, 30).Select(i => new CorpusDocument("d" + i, "", "w" + i)).ToList();
        var queries = Enumerable.Range(30, 10).Select(i => ("q" + i, "w" + i)).ToList();
        var qrels = queries.ToDictionary(q => q.Item1, q =>
        {
            int i = int.Parse(q.Item1[1..], System.Globalization.CultureInfo.InvariantCulture);
            return (IReadOnlyDictionary<string, int>)new Dictionary<string, int> { ["d" + (i % 30)] = 1, ["d" + (i * 7 % 30)] = 1, ["d" + (i * 11 % 30)] = 2 };
        });
        return RetrievalData.Create(corpus, queries, qrels);
    }

    [Theory]
    [InlineData(SimilarityFunction.Cosine)]
    [InlineData(SimilarityFunction.Dot)]
    public void EachWidthsScoresAreThoseOfThatWidthEvaluatedOnItsOwn(SimilarityFunction similarity)
    {
        var model = new VectorTableModel(Table(40, Width), similarity);
        var inner = new RetrievalEvaluator(Data(), "retrieval", similarity);
        var wrapped = Assert.IsType<MatryoshkaEvaluator>(Assert.Single(MatryoshkaEvaluator.Wrap([inner], [Width, 8, 4, 2], Width)));
        var m = wrapped.Evaluate(model, batchSize: 4);

        foreach (var (key, value) in inner.Evaluate(TrainingEmbeddingModel.For(model, 4))) Assert.Equal(value, m[key]);
        bool differs = false;
        foreach (int d in new[] { 8, 4, 2 })
        {
            var own = inner.Evaluate(TrainingEmbeddingModel.For(model, 4, truncateDim: d));
            Assert.NotEmpty(own);
            foreach (var (key, value) in own)
            {
                string widthKey = "eval_retrieval_dim_" + d + "_" + key["eval_retrieval_".Length..];
                Assert.True(value.Equals(m[widthKey]), $"{widthKey}: {m[widthKey]} from the cache, {value} on its own");
                differs |= value != m[key];
            }
        }
        Assert.True(differs); // the widths are scored apart: some metric moves with the width
    }

    [Fact]
    public void AWidthIsCopiedOutOfTheOneCacheWithoutAFullWidthCopyPerText()
    {
        const int n = 64, dim = 1024, width = 8;
        string[] texts = [.. Enumerable.Range(0, n).Select(i => "t" + i)];
        int encoded = 0;
        float[] Vector(string t) => [.. Enumerable.Range(0, dim).Select(j => (float)(t.Length + j % 7 - 3 + int.Parse(t[1..], System.Globalization.CultureInfo.InvariantCulture)))];
        var cached = new TrainingEmbeddingModel(ts =>
        {
            encoded += ts.Count;
            return [.. ts.Select(Vector)];
        }, dim, SimilarityFunction.Cosine).Cached();
        cached.Embed(texts, TextRole.Document); // the one encoding
        var narrow = cached.Truncated(width);
        narrow.Embed(texts, TextRole.Document); // (code paths run once before the count)

        long before = GC.GetAllocatedBytesForCurrentThread();
        var cut = narrow.Embed(texts, TextRole.Document);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(n, encoded); // every text encoded once, at full width
        for (int i = 0; i < n; i++) Assert.Equal(Vector(texts[i])[..width], cut[i]);
        // one full-width copy of every text would be n * dim * 4 bytes (256 KiB); a width-8 copy of each is 32 bytes
        Assert.True(allocated < n * dim * sizeof(float) / 4, $"{allocated} bytes allocated for {n} vectors of width {width}");

        cut[0][0] = 1e6f; // a scorer normalising its vectors in place changes its copy, not the cache
        Assert.Equal(Vector(texts[0])[..width], narrow.Embed([texts[0]], TextRole.Document)[0]);
        Assert.Equal(Vector(texts[0]), cached.Embed([texts[0]], TextRole.Document)[0]);
        Assert.Equal(n, encoded);
    }
}
