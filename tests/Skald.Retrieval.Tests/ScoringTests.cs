using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>An embedding model with hand-made vectors: a text's vector is looked up by the text.</summary>
internal sealed class TableModel(Dictionary<string, float[]> vectors, SimilarityFunction similarity = SimilarityFunction.Cosine) : IEmbeddingModel
{
    public string Name => "table";
    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
    public int Dimension => vectors.Values.First().Length;
    public SimilarityFunction Similarity => similarity;
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => [.. texts.Select(t => vectors[t])];
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
}

public sealed class ScoringTests
{
    private static readonly Dictionary<string, float[]> Vectors = new()
    {
        ["q"] = [1, 0], ["same"] = [1, 0.5f], ["other"] = [0, 1],
    };

    private static RetrievalData Data(string relevant) => RetrievalData.Create(
        [new CorpusDocument("a", "", "same"), new CorpusDocument("c", "", "other"), new CorpusDocument("b", "", "same")],
        [("q1", "q")],
        new Dictionary<string, IReadOnlyDictionary<string, int>> { ["q1"] = new Dictionary<string, int> { [relevant] = 1 } });

    [Theory]
    [InlineData("b", 1.0, 1.0)]   // tied with "a", larger id: ranked first
    [InlineData("a", 0.63092975357145753, 0.5)] // tied with "b": ranked second (1 / log2 3)
    public void TiedScoresRankByDocumentIdDescending(string relevant, double ndcg, double mrr)
    {
        var m = RetrievalScorer.Score(new DenseRetriever(new TableModel(Vectors)), Data(relevant), topK: 10, cutoffs: [10]);
        Assert.Equal(ndcg, m["ndcg_at_10"], 12);
        Assert.Equal(mrr, m["mrr_at_10"]);
        Assert.Equal(1.0, m["hit_rate_at_10"]);
        string[] keys = ["accuracy_at_10", "hit_rate_at_10", "map_at_10", "mrr_at_10", "ndcg_at_10", "precision_at_10", "recall_at_10"];
        Assert.Equal(keys, m.Keys);
    }

    [Fact]
    public void TopKDoesNotChangeTheMetricsAtItsCutoff()
    {
        var model = new DenseRetriever(new TableModel(Vectors));
        var few = RetrievalScorer.Score(model, Data("a"), topK: 10, cutoffs: [10]);
        var all = RetrievalScorer.Score(model, Data("a"));
        Assert.Equal(all["ndcg_at_10"], few["ndcg_at_10"]);
        Assert.Contains("map_at_100", all.Keys);
    }

    [Fact]
    public void CreateChecksIdsAndKeepsOnlyJudgedQueries()
    {
        CorpusDocument[] corpus = [new("a", "", "x")];
        var qrels = new Dictionary<string, IReadOnlyDictionary<string, int>> { ["q1"] = new Dictionary<string, int> { ["a"] = 1 } };
        var data = RetrievalData.Create(corpus, [("q1", "x"), ("q2", "y")], qrels);
        Assert.Single(data.Queries);
        Assert.Equal(1, data.UnjudgedQueries);
        var unknownDoc = new Dictionary<string, IReadOnlyDictionary<string, int>> { ["q1"] = new Dictionary<string, int> { ["z"] = 1 } };
        Assert.Contains("\"z\"", Assert.Throws<ArgumentException>(() => RetrievalData.Create(corpus, [("q1", "x")], unknownDoc)).Message);
        Assert.Throws<ArgumentException>(() => RetrievalData.Create([.. corpus, .. corpus], [("q1", "x")], qrels));
    }

    [Fact]
    public void TripletTiesCountAsWrong()
    {
        var model = new TableModel(new() { ["a"] = [1, 0], ["p"] = [1, 1], ["n"] = [1, -1], ["far"] = [0, 1] });
        var m = TripletScorer.Score(model, [new Triplet("a", "p", "n"), new Triplet("a", "p", "far")]);
        Assert.Equal(0.5, m["accuracy"]); // p and n are equally close to a: not counted
        Assert.Equal(0.5, m["cosine_accuracy"]);
        Assert.True(double.IsNaN(TripletScorer.Score(model, [])["accuracy"]));
    }
}
