using Skald.Retrieval.Data;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A reranking file's <c>{"query", "positive", "documents"}</c> rows (sentence-transformers' CrossEncoderRerankingEvaluator
/// samples of a first stage's list): the documents are the candidates in their order, marked as a ranking
/// (<see cref="RetrievalData.CandidatesRanked"/>), a positive they lack judged relevant but not a candidate, a lone
/// positive a string; a row giving both negative and documents is one line.
/// </summary>
public sealed class RerankingDocumentsRowTests
{
    [Fact]
    public void TheDocumentsAreTheCandidatesInTheirOrder()
    {
        string dir = TestPaths.NewTempDir(), path = Path.Combine(dir, "ranked.jsonl");
        File.WriteAllLines(path,
        [
            """{"query": "q", "positive": ["near", "far"], "documents": ["other", "near", "same"]}""",
            """{"query": "r", "positive": "same", "documents": ["same", "other"]}""",
        ]);
        var data = RerankingLists.Load(path);
        Assert.True(data.CandidatesRanked);
        Assert.Equal(["other", "near", "same", "far"], data.Corpus.Select(d => d.Text));
        Assert.Equal([[0, 1, 2], [2, 0]], data.Candidates!);
        Assert.Equal(new Dictionary<string, int> { ["d0"] = 0, ["d1"] = 1, ["d2"] = 0, ["d3"] = 1 }, data.Qrels["q1"]);
        Assert.Equal(new Dictionary<string, int> { ["d2"] = 1, ["d0"] = 0 }, data.Qrels["q2"]);

        File.WriteAllLines(path, ["""{"query": "q", "positive": ["near"], "negative": ["other"]}"""]);
        Assert.False(RerankingLists.Load(path).CandidatesRanked);

        File.WriteAllLines(path, ["""{"query": "q", "positive": ["near"], "negative": ["other"], "documents": ["near", "other"]}"""]);
        var e = Assert.Throws<EvaluationException>(() => RerankingLists.Load(path));
        Assert.Equal($"{path}:1: a reranking row gives \"negative\" or \"documents\" beside \"positive\", not both", e.Message);
    }
}
