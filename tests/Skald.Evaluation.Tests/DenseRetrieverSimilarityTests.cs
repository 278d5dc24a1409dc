using Skald.Models.Modules;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Search;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <c>skald evaluate</c>'s dense search (<see cref="DenseRetriever"/>) ranks by the model's own similarity: a dot,
/// Euclidean or Manhattan model's hits give the metrics of make_nanobeir_reference.py's restatement of upstream's
/// InformationRetrievalEvaluator under that function (a Euclidean or Manhattan model was ranked by cosine before), its
/// scores are the function's, and its metadata names it.
/// </summary>
public sealed class DenseRetrieverSimilarityTests
{
    [Theory]
    [InlineData(SimilarityFunction.Dot, "dot")]
    [InlineData(SimilarityFunction.Euclidean, "euclidean")]
    [InlineData(SimilarityFunction.Manhattan, "manhattan")]
    public void TheSearchRanksByTheModelsSimilarityAsUpstreamScores(SimilarityFunction similarity, string name)
    {
        var expected = NanoBeirReference.Expected(name);
        var model = NanoBeirReference.Model(similarity);
        var retriever = new DenseRetriever(model);
        foreach (var data in NanoBeirReference.Datasets())
        {
            var hits = retriever.Search(data.Corpus, [.. data.Queries.Select(q => q.Text)], InformationRetrievalMetrics.MaxK, null);
            var ranked = hits.Select(h => (IReadOnlyList<string>)[.. RankingMetrics.Rank(h.Select(x => (data.Corpus[x.Index].Id, x.Score))).Select(r => r.DocId)]).ToArray();
            foreach (var (metric, value) in InformationRetrievalMetrics.Compute(ranked, data.Relevant))
            {
                double want = expected[$"{data.Name}_{name}_{metric}"];
                Assert.True(Math.Abs(want - value) < 1e-9, $"{data.Name} {metric}: {value} != {want}");
            }
            // the scores are the function's of the raw vectors (a distance negated), as model.similarity gives them
            var q = model.Embed([data.Queries[0].Text], Skald.Retrieval.Models.TextRole.Query)[0];
            var top = hits[0][0];
            var d = model.Embed([data.Corpus[top.Index].FullText], Skald.Retrieval.Models.TextRole.Document)[0];
            Assert.Equal(Similarities.Compute(similarity, q, d), top.Score, 4);
            var scored = retriever.ScoreCandidates(data.Corpus, [data.Queries[0].Text], [[top.Index]], null);
            Assert.Equal(top.Score, scored[0][0], 4);
        }
        Assert.EndsWith(", " + (similarity == SimilarityFunction.Dot ? "dot product" : name), retriever.Metadata["search"]);
    }

    /// <summary>
    /// Under an HNSW graph or IVF lists a Euclidean or Manhattan model is ranked by its distance (the graph linked and
    /// walked by it, the lists grouped by Euclidean k-means): with every document reached (an ef above the corpus, every
    /// list probed) the metrics are upstream's exact ones; with one list of four
    /// probed the hits are still ordered and scored by the distance of the raw vectors (computed here by hand).
    /// </summary>
    [Theory]
    [InlineData(SimilarityFunction.Euclidean, "euclidean")]
    [InlineData(SimilarityFunction.Manhattan, "manhattan")]
    public void AnHnswOrIvfSearchRanksADistanceModelByItsDistance(SimilarityFunction similarity, string name)
    {
        var expected = NanoBeirReference.Expected(name);
        var model = NanoBeirReference.Model(similarity);
        var hnsw = new DenseRetriever(model, hnsw: new Skald.Retrieval.Hnsw.HnswOptions { EfSearch = 64 });
        var ivf = new DenseRetriever(model, ivf: new Skald.Retrieval.Ivf.IvfOptions { Lists = 3, Probes = 3 });
        foreach (var retriever in new[] { hnsw, ivf })
        {
            foreach (var data in NanoBeirReference.Datasets())
            {
                var hits = retriever.Search(data.Corpus, [.. data.Queries.Select(q => q.Text)], InformationRetrievalMetrics.MaxK, null);
                var ranked = hits.Select(h => (IReadOnlyList<string>)[.. RankingMetrics.Rank(h.Select(x => (data.Corpus[x.Index].Id, x.Score))).Select(r => r.DocId)]).ToArray();
                foreach (var (metric, value) in InformationRetrievalMetrics.Compute(ranked, data.Relevant))
                    Assert.True(Math.Abs(expected[$"{data.Name}_{name}_{metric}"] - value) < 1e-9, $"{data.Name} {metric}: {value}");
            }
            Assert.Contains(ReferenceEquals(retriever, ivf) ? $", {name}, in lists by Euclidean k-means, probed by the nearest centroids"
                : $", {name}, the graph linked and walked by {name} distance", retriever.Metadata["search"]);
        }

        var probed = new DenseRetriever(model, ivf: new Skald.Retrieval.Ivf.IvfOptions { Lists = 4, Probes = 1 });
        foreach (var data in NanoBeirReference.Datasets())
        {
            var texts = data.Queries.Select(q => q.Text).ToList();
            var hits = probed.Search(data.Corpus, texts, 5, null);
            for (int i = 0; i < texts.Count; i++)
            {
                var q = model.Embed([texts[i]], Skald.Retrieval.Models.TextRole.Query)[0];
                Assert.NotEmpty(hits[i]);
                foreach (var hit in hits[i])
                {
                    var d = model.Embed([data.Corpus[hit.Index].FullText], Skald.Retrieval.Models.TextRole.Document)[0];
                    double distance = similarity == SimilarityFunction.Euclidean
                        ? Math.Sqrt(q.Zip(d, (a, b) => (double)(a - b) * (a - b)).Sum())
                        : q.Zip(d, (a, b) => Math.Abs((double)a - b)).Sum();
                    Assert.Equal(-distance, hit.Score, 4);
                }
                Assert.True(hits[i].Zip(hits[i].Skip(1), (a, b) => a.Score >= b.Score).All(x => x), "best first");
            }
        }
    }
}
