using Skald.Retrieval.Models;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary><see cref="DenseRetriever"/> over quantized document embeddings: a rescored first page, then the quantized order.</summary>
public sealed class QuantizedRetrievalTests
{
    [Theory]
    [InlineData(true)]  // rescored with the float embeddings (as an index does)
    [InlineData(false)] // with the bits as 0 / 1 (sentence-transformers' semantic_search_*)
    public void TheFirstPageIsRescoredAndTheRestKeepsTheQuantizedOrder(bool floats)
    {
        var rng = new Random(9);
        int docs = 40, dim = 16;
        var vectors = new Dictionary<string, float[]>();
        var corpus = new List<CorpusDocument>();
        for (int d = 0; d < docs; d++)
        {
            vectors[$"text {d}"] = [.. Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.5f)];
            corpus.Add(new CorpusDocument($"d{d:00}", "", $"text {d}"));
        }
        vectors["query"] = [.. vectors["text 7"].Select(v => v + 0.2f * ((float)rng.NextDouble() - 0.5f))];
        var retriever = new DenseRetriever(new TableModel(vectors), LongDocuments.Truncate,
            new QuantizedSearchOptions(EmbeddingPrecision.Ubinary, RescoreMultiplier: 2) { RescoredHits = 3, RescoreWithFloats = floats });
        var hits = retriever.Search(corpus, ["query"], 15, null)[0];

        // Independently: unit vectors, sign bits, the ±1 score; ties to the larger document id (the higher tie key).
        float[] Unit(float[] v) { float n = MathF.Sqrt(v.Sum(x => x * x)); return [.. v.Select(x => x / n)]; }
        var q = Unit(vectors["query"]);
        var first = Enumerable.Range(0, docs)
            .Select(d => (d, s: Unit(vectors[$"text {d}"]).Zip(q, (a, b) => (a > 0) == (b > 0) ? 1 : -1).Sum()))
            .OrderByDescending(p => p.s).ThenByDescending(p => p.d).Select(p => p.d).ToList();
        var page = first.Take(6)
            .Select(d => (d, s: Unit(vectors[$"text {d}"]).Zip(q, (a, b) => floats ? a * b : a > 0 ? b : 0f).Sum()))
            .OrderByDescending(p => p.s).ThenByDescending(p => p.d).Take(3).Select(p => p.d).ToList();
        var expected = page.Concat(first.Where(d => !page.Contains(d))).Take(15).ToList();

        Assert.Equal(expected, hits.Select(h => h.Index));
        for (int i = 1; i < hits.Length; i++) Assert.True(hits[i].Score < hits[i - 1].Score, $"scores fall at {i}");
        Assert.Equal(7, hits[0].Index);
        Assert.Contains($"ubinary, top 3 rescored from the best 6 with the {(floats ? "float" : "quantized")} embeddings", retriever.Metadata["search"]);
    }

    [Fact]
    public void WithoutRescoringTheQuantizedOrderIsTheAnswer()
    {
        var vectors = new Dictionary<string, float[]>
        {
            ["query"] = [1, 1, 1, 1, 1, 1, 1, -1], ["a"] = [1, 1, 1, 1, 1, 1, 1, 1], ["b"] = [1, 1, 1, 1, 1, 1, 1, -1], ["c"] = [-1, -1, -1, -1, -1, -1, -1, -1],
        };
        var retriever = new DenseRetriever(new TableModel(vectors), LongDocuments.Truncate, new QuantizedSearchOptions(EmbeddingPrecision.Binary, 0));
        var hits = retriever.Search([new("a", "", "a"), new("b", "", "b"), new("c", "", "c")], ["query"], 3, null)[0];
        Assert.Equal([1, 0, 2], hits.Select(h => h.Index));
        Assert.Equal([8f, 6f, -6f], hits.Select(h => h.Score)); // dimensions − 2·Hamming
    }

    [Fact]
    public void BitsOfAWidthNotDivisibleByEightAreOneLine()
    {
        var vectors = new Dictionary<string, float[]> { ["query"] = new float[12], ["a"] = new float[12] };
        var retriever = new DenseRetriever(new TableModel(vectors), LongDocuments.Truncate, new QuantizedSearchOptions(EmbeddingPrecision.Ubinary));
        var e = Assert.Throws<EvaluationException>(() => retriever.Search([new("a", "", "a")], ["query"], 1, null));
        Assert.Contains("divisible by 8", e.Message);
        Assert.StartsWith("table: ", e.Message);
    }
}
