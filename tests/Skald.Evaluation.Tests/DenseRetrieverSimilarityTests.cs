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

    [Fact]
    public void AnApproximateSearchSaysItRanksADistanceModelByCosine()
    {
        var retriever = new DenseRetriever(NanoBeirReference.Model(SimilarityFunction.Euclidean), hnsw: new Skald.Retrieval.Hnsw.HnswOptions());
        Assert.Contains("cosine (an approximate or quantized search ranks a euclidean model by cosine)", retriever.Metadata["search"]);
    }
}
