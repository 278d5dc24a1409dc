using System.Text.Json;
using Skald.Models.BgeM3;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// BgeM3Retriever against make_bge_m3.py's PyTorch scores (fixtures/models/bge-m3-tiny/expected_scores.json): a whole-corpus
/// search gives each hit its reference score in the reference order, and a reranking task's candidates get theirs, for
/// each score alone and the weighted combination.
/// </summary>
public sealed class BgeM3RetrieverTests
{
    private static readonly string Model = TestPaths.FixtureModel("bge-m3-tiny");

    public static TheoryData<string, float, float, float> Modes => new()
    {
        { "dense", 1f, 0f, 0f }, { "sparse", 0f, 1f, 0f }, { "colbert", 0f, 0f, 1f }, { "combined", 0.4f, 0.2f, 0.4f },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void SearchAndCandidateScoresAreTheReferenceScores(string key, float dense, float sparse, float colbert)
    {
        var texts = File.ReadLines(Path.Combine(Model, "expected.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "expected_scores.json")));
        var scores = doc.RootElement.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        var corpus = texts.Select((t, i) => new CorpusDocument($"d{i:D2}", "", t)).ToList();
        string[] queries = [texts[0], texts[3], texts[6]];
        int[] rows = [0, 3, 6];
        using var model = BgeM3Encoder.Load(Model);
        var retriever = new BgeM3Retriever(model, new BgeM3Weights(dense, sparse, colbert), new Skald.Models.EncodeOptions { BatchSize = 5 });

        var hits = retriever.Search(corpus, queries, 10, null);
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(10, hits[q].Length);
            for (int h = 0; h < hits[q].Length; h++)
            {
                float expected = scores[rows[q]][hits[q][h].Index];
                Assert.True(Math.Abs(hits[q][h].Score - expected) <= 1e-5, $"query {q}, hit {h}: {hits[q][h].Score} vs {expected}");
                if (h > 0) Assert.True(scores[rows[q]][hits[q][h - 1].Index] >= expected - 1e-5, $"query {q}: hit {h} out of order");
            }
            float tenth = scores[rows[q]][hits[q][^1].Index];
            Assert.True(scores[rows[q]].Count(s => s > tenth + 1e-5) <= 9, $"query {q}: a better document was left out");
        }

        int[][] candidates = [[5, 9, 40], [1, 2], [41, 0, 17, 30]];
        var candidateScores = retriever.ScoreCandidates(corpus, queries, candidates, null);
        for (int q = 0; q < queries.Length; q++)
        {
            for (int c = 0; c < candidates[q].Length; c++)
                Assert.True(Math.Abs(candidateScores[q][c] - scores[rows[q]][candidates[q][c]]) <= 1e-5, $"query {q}, candidate {c}");
        }
        Assert.Contains("bge-m3", retriever.Metadata["scoring"]);
    }
}
