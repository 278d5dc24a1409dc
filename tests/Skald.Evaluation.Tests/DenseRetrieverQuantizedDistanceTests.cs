using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <c>skald evaluate --precision/--pq</c>'s exact search (<see cref="DenseRetriever"/> with quantization) of a Euclidean
/// or Manhattan model ranks by its distance (it was ranked by cosine before): its first stage scores the quantized rows
/// by the distance (int8 / uint8 dequantized, PQ reconstructions; binary by the Hamming distance of its sign bits), its
/// rescored page by the distance of the float embeddings, so with every document rescored the metrics are
/// make_nanobeir_reference.py's exact ones under that function; the metadata names what ranked.
/// </summary>
public sealed class DenseRetrieverQuantizedDistanceTests
{
    public static TheoryData<SimilarityFunction, string> Compressions => new()
    {
        { SimilarityFunction.Euclidean, "int8" }, { SimilarityFunction.Manhattan, "int8" },
        { SimilarityFunction.Euclidean, "uint8" }, { SimilarityFunction.Manhattan, "uint8" },
        { SimilarityFunction.Euclidean, "binary" }, { SimilarityFunction.Manhattan, "ubinary" },
        { SimilarityFunction.Euclidean, "pq" }, { SimilarityFunction.Manhattan, "pq" },
    };

    /// <summary>The reference's model with its vectors padded by two zeros to 8 values (bits need whole bytes; the distances stay).</summary>
    private static FakeModel Padded(SimilarityFunction similarity) => new(NanoBeirReference.Root.GetProperty("vectors").EnumerateObject()
        .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).Concat([0f, 0f]).ToArray()), similarity);

    private static QuantizedSearchOptions Options(string compression, int multiplier) => compression == "pq"
        ? new QuantizedSearchOptions(EmbeddingPrecision.Float32, multiplier) { Product = new ProductQuantizerOptions { Subspaces = 4, Bits = 3, Seed = 4 }, RescoredHits = 1000 }
        : new QuantizedSearchOptions(EmbeddingQuantizer.Parse(compression), multiplier) { RescoredHits = 1000 };

    /// <summary>The retriever's metrics on every reference dataset are make_nanobeir_reference.py's exact ones under <paramref name="name"/>.</summary>
    private static void AssertExactMetrics(DenseRetriever retriever, string name)
    {
        var expected = NanoBeirReference.Expected(name);
        foreach (var data in NanoBeirReference.Datasets())
        {
            var hits = retriever.Search(data.Corpus, [.. data.Queries.Select(q => q.Text)], InformationRetrievalMetrics.MaxK, null);
            var ranked = hits.Select(h => (IReadOnlyList<string>)[.. RankingMetrics.Rank(h.Select(x => (data.Corpus[x.Index].Id, x.Score))).Select(r => r.DocId)]).ToArray();
            foreach (var (metric, value) in InformationRetrievalMetrics.Compute(ranked, data.Relevant))
                Assert.True(Math.Abs(expected[$"{data.Name}_{name}_{metric}"] - value) < 1e-9, $"{data.Name} {metric}: {value}");
        }
    }

    [Theory]
    [MemberData(nameof(Compressions))]
    public void WithEveryDocumentRescoredTheMetricsAreTheExactDistanceSearchs(SimilarityFunction similarity, string compression)
    {
        string name = Similarities.Name(similarity);
        var retriever = new DenseRetriever(Padded(similarity), quantization: Options(compression, 1));
        AssertExactMetrics(retriever, name);
        string search = retriever.Metadata["search"];
        Assert.StartsWith($"exact top-k, {name} (", search);
        Assert.DoesNotContain("cosine", search);
        Assert.Contains(compression == "pq" ? "of the PQ codes' reconstructions" : EmbeddingQuantizer.IsBinary(EmbeddingQuantizer.Parse(compression))
            ? "candidates by the Hamming distance" : $"of the {compression} rows dequantized", search);
    }

    /// <summary>
    /// Not rescored, the hits are the quantized rows' own: int8 / uint8 scored by the distance of the query to the
    /// row's dequantized values, PQ by the distance to the decoded code of the same codebooks (trained here again, one
    /// seed), computed here in double; binary by dimension − 2·Hamming of the sign bits, and the metadata says so.
    /// </summary>
    [Theory]
    [MemberData(nameof(Compressions))]
    public void NotRescoredTheQuantizedRowsDistanceRanks(SimilarityFunction similarity, string compression)
    {
        var model = Padded(similarity);
        var options = Options(compression, 0);
        var retriever = new DenseRetriever(model, quantization: options);
        foreach (var data in NanoBeirReference.Datasets())
        {
            var texts = data.Queries.Select(q => q.Text).ToList();
            var documents = model.Embed([.. data.Corpus.Select(d => d.FullText)], TextRole.Document);
            var queries = model.Embed(texts, TextRole.Query);
            var reference = Reference(similarity, compression, options, queries, documents);
            var hits = retriever.Search(data.Corpus, texts, 5, null);
            for (int q = 0; q < texts.Count; q++)
            {
                var best = reference[q].Order().Reverse().Take(5).ToArray();
                Assert.Equal(best.Length, hits[q].Length);
                for (int i = 0; i < best.Length; i++)
                {
                    Assert.True(Math.Abs(reference[q][hits[q][i].Index] - hits[q][i].Score) < 1e-4, $"{data.Name} query {q} hit {i}: {hits[q][i].Score} vs {reference[q][hits[q][i].Index]}");
                    Assert.True(Math.Abs(best[i] - hits[q][i].Score) < 1e-4, $"{data.Name} query {q} hit {i}: {hits[q][i].Score}, the {i}th best is {best[i]}");
                }
            }
        }
        if (compression is "binary" or "ubinary")
            Assert.Contains($"Hamming distance of the {compression} sign bits (they hold no {Similarities.Name(similarity)} distance), {compression}, not rescored", retriever.Metadata["search"]);
    }

    /// <summary>Each query's score of every document as the quantized rows give it (higher is better), in double.</summary>
    private static double[][] Reference(SimilarityFunction similarity, string compression, QuantizedSearchOptions options, float[][] queries, float[][] documents)
    {
        int dim = documents[0].Length;
        if (compression is "binary" or "ubinary")
            return [.. queries.Select(q => documents.Select(d => (double)dim - 2 * q.Zip(d, (a, b) => a > 0 != b > 0 ? 1 : 0).Sum()).ToArray())];
        float[][] values;
        if (options.Product is { } product)
        {
            var pq = ProductQuantizer.Train(documents, product);
            var codes = ProductCodes.Encode(pq, documents);
            var code = new byte[pq.Subspaces];
            values = [.. Enumerable.Range(0, documents.Length).Select(r =>
            {
                codes.Code(r, code);
                var row = new float[dim];
                pq.Decode(code, row);
                return row;
            })];
        }
        else
        {
            var quantized = EmbeddingQuantizer.Quantize(documents, options.Precision);
            values = [.. Enumerable.Range(0, documents.Length).Select(r =>
            {
                var row = new float[dim];
                EmbeddingQuantizer.Dequantize(quantized, r, row); // proven against numpy: QuantizedDistanceSearchTests
                return row;
            })];
        }
        return [.. queries.Select(q => values.Select(v =>
        {
            double sum = 0;
            for (int i = 0; i < dim; i++)
                sum += similarity == SimilarityFunction.Euclidean ? ((double)q[i] - v[i]) * ((double)q[i] - v[i]) : Math.Abs((double)q[i] - v[i]);
            return -(similarity == SimilarityFunction.Euclidean ? Math.Sqrt(sum) : sum);
        }).ToArray())];
    }

    [Fact]
    public void CombinationsThatKeepNoDistanceAreRefusedWithOneLine()
    {
        var euclidean = Padded(SimilarityFunction.Euclidean);
        var bits = Assert.Throws<EvaluationException>(() => new DenseRetriever(euclidean,
            quantization: new QuantizedSearchOptions(EmbeddingPrecision.Binary) { RescoreWithFloats = false }));
        Assert.Contains("--rescore-quantized", bits.Message);
        Assert.DoesNotContain("\n", bits.Message);
        var opq = new ProductQuantizerOptions { Subspaces = 4, Bits = 3, RotationRounds = 2 };
        Assert.Contains("--opq: an OPQ rotation does not keep Manhattan distances", Assert.Throws<EvaluationException>(() => new DenseRetriever(Padded(SimilarityFunction.Manhattan),
            quantization: new QuantizedSearchOptions(EmbeddingPrecision.Float32) { Product = opq })).Message);
        Assert.Contains("--opq-dim 16: an OPQ rotation to more dimensions than the rows' 8", Assert.Throws<EvaluationException>(() => new DenseRetriever(euclidean,
            quantization: new QuantizedSearchOptions(EmbeddingPrecision.Float32) { Product = opq with { RotationDimension = 16 } })).Message);
        // what still works: binary rescored with the float embeddings, OPQ for a Euclidean model, a cosine model with either
        _ = new DenseRetriever(euclidean, quantization: new QuantizedSearchOptions(EmbeddingPrecision.Binary));
        _ = new DenseRetriever(euclidean, quantization: new QuantizedSearchOptions(EmbeddingPrecision.Float32) { Product = opq });
        _ = new DenseRetriever(Padded(SimilarityFunction.Cosine), quantization: new QuantizedSearchOptions(EmbeddingPrecision.Binary) { RescoreWithFloats = false });
    }

    /// <summary>
    /// The evaluation path end to end with a real (tiny) model folder whose <c>similarity_fn_name</c> is euclidean: a
    /// benchmark searches its binary rows by the distance (the metadata says so), and refuses binary rows rescored
    /// against themselves before the model's first task (a non-retrieval one) runs.
    /// </summary>
    [Fact]
    public void ABenchmarkOfAEuclideanModelFolderRanksByItsDistanceAndRefusesEarly()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean", "euclidean");
        var (suite, task) = StsThenRetrievalSuite.Write(TestPaths.NewTempDir());

        var run = Skald.Evaluation.Benchmark.BenchmarkRunner.Run(Skald.Evaluation.Benchmark.Suite.Load(suite), [model], new Skald.Evaluation.Benchmark.BenchmarkOptions
        {
            Retrieval = new Skald.Evaluation.Evaluators.RetrievalOptions { Quantization = new QuantizedSearchOptions(EmbeddingPrecision.Binary) },
        });
        Assert.Contains("exact top-k, euclidean (candidates by the Hamming distance of the binary sign bits), binary",
            run.Board.Results[("bert-cased-mean", Path.GetFileName(task))].Metadata["model.search"]);

        var log = new List<string>();
        var e = Assert.Throws<EvaluationException>(() => Skald.Evaluation.Benchmark.BenchmarkRunner.Run(Skald.Evaluation.Benchmark.Suite.Load(suite), [model],
            new Skald.Evaluation.Benchmark.BenchmarkOptions
            {
                Log = log.Add,
                Retrieval = new Skald.Evaluation.Evaluators.RetrievalOptions { Quantization = new QuantizedSearchOptions(EmbeddingPrecision.Binary) { RescoreWithFloats = false } },
            }));
        Assert.Contains("--rescore-quantized with --precision binary: sign bits hold no euclidean distance", e.Message);
        Assert.Empty(log); // no task ran for it
    }

    /// <summary>
    /// Under IVF lists (every list probed) or an HNSW graph (an ef above the corpus) a quantized search of a distance
    /// model ranks by its distance too (it was ranked by cosine before): with every document rescored the metrics are
    /// the exact distance search's, and the metadata names the distance, the lists' k-means or the graph's distance.
    /// </summary>
    [Theory]
    [MemberData(nameof(Compressions))]
    public void UnderIvfOrHnswWithEveryDocumentReachedTheMetricsAreTheExactDistanceSearchs(SimilarityFunction similarity, string compression)
    {
        string name = Similarities.Name(similarity);
        var ivf = new DenseRetriever(Padded(similarity), quantization: Options(compression, 1), ivf: new Skald.Retrieval.Ivf.IvfOptions { Lists = 3, Probes = 3 });
        var hnsw = new DenseRetriever(Padded(similarity), quantization: Options(compression, 1), hnsw: new Skald.Retrieval.Hnsw.HnswOptions { M = 4, EfSearch = 64 });
        foreach (var retriever in new[] { ivf, hnsw })
        {
            AssertExactMetrics(retriever, name);
            string search = retriever.Metadata["search"];
            Assert.DoesNotContain("cosine", search);
            Assert.Contains(ReferenceEquals(retriever, ivf) ? $"{name} (" : $"{name} distance", search);
            Assert.Contains(ReferenceEquals(retriever, ivf) ? "in lists by Euclidean k-means" : "the graph linked and walked by", search);
        }
    }
}
