using System.Text.Json;
using Skald.Retrieval.Mining;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Paraphrase mining and community detection against fixtures/mining/make_mining_reference.py (sentence-transformers'
/// util.paraphrase_mining_embeddings and util.community_detection restated in torch).
/// </summary>
public sealed class MiningTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "mining", "mining.json"))).RootElement;

    private static float[][] Embeddings() =>
        [.. Reference.GetProperty("embeddings").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];

    [Fact]
    public void ParaphrasePairsAreTheReferences()
    {
        var embeddings = Embeddings();
        foreach (var setting in Reference.GetProperty("paraphrases").EnumerateArray())
        {
            int topK = setting.GetProperty("top_k").GetInt32(), maxPairs = setting.GetProperty("max_pairs").GetInt32();
            var expected = setting.GetProperty("pairs").EnumerateArray()
                .ToDictionary(p => (p[1].GetInt32(), p[2].GetInt32()), p => p[0].GetDouble());
            var pairs = ParaphraseMining.Mine(embeddings, topK, maxPairs);
            Assert.Equal(expected.Count, pairs.Count);
            foreach (var p in pairs)
            {
                Assert.True(p.First < p.Second);
                Assert.True(expected.TryGetValue((p.First, p.Second), out double score), $"top_k {topK}: pair ({p.First}, {p.Second}) is not the reference's");
                Assert.Equal(score, p.Score, 1e-5);
            }
            for (int i = 1; i < pairs.Count; i++) Assert.True(pairs[i - 1].Score >= pairs[i].Score); // best first
        }
    }

    [Fact]
    public void CommunitiesAreTheReferences()
    {
        var embeddings = Embeddings();
        foreach (var setting in Reference.GetProperty("communities").EnumerateArray())
        {
            float threshold = setting.GetProperty("threshold").GetSingle();
            int minSize = setting.GetProperty("min_size").GetInt32();
            var expected = setting.GetProperty("communities").EnumerateArray().Select(c => c.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToList();
            var found = CommunityDetection.Find(embeddings, threshold, minSize);
            Assert.Equal(expected.Count, found.Count);
            for (int c = 0; c < found.Count; c++) Assert.Equal(expected[c], found[c]); // members most similar first, the proposer leading
        }
    }

    [Fact]
    public void BitextPairsAreTheReferences()
    {
        var bitext = Reference.GetProperty("bitext");
        float[][] Rows(string key) => [.. bitext.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];
        var source = Rows("source");
        var target = Rows("target");
        foreach (var setting in bitext.GetProperty("settings").EnumerateArray())
        {
            double minScore = setting.GetProperty("min_score").GetDouble();
            var expected = setting.GetProperty("pairs").EnumerateArray().Select(p => (Score: p[0].GetDouble(), Source: p[1].GetInt32(), Target: p[2].GetInt32())).ToList();
            var pairs = BitextMining.Mine(source, target, bitext.GetProperty("k").GetInt32(), minScore);
            Assert.Equal(expected.Select(e => (e.Source, e.Target)), pairs.Select(p => (p.Source, p.Target)));
            for (int i = 0; i < pairs.Count; i++) Assert.Equal(expected[i].Score, pairs[i].Score, 1e-5);
        }
    }

    [Fact]
    public void SmallInputsAndBadSettings()
    {
        Assert.Empty(ParaphraseMining.Mine([[1f, 0f]]));
        Assert.Empty(CommunityDetection.Find([]));
        Assert.Equal([[0, 1]], CommunityDetection.Find([[1f, 0f], [1f, 0.01f], [0f, 1f]], 0.9f, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ParaphraseMining.Mine([[1f], [2f]], topK: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommunityDetection.Find([[1f]], minCommunitySize: 0));
    }

    /// <summary>
    /// <see cref="ParaphraseMining.Evaluate"/> against fixtures/st-api/make_paraphrase_evaluator_reference.py
    /// (sentence-transformers' ParaphraseMiningEvaluator and add_transitive_closure restated over this fixture's mining).
    /// </summary>
    [Fact]
    public void ParaphraseEvaluationIsUpstreamsEvaluator()
    {
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "st-api", "paraphrase_evaluator.json"))).RootElement;
        var duplicates = reference.GetProperty("duplicates").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32())).ToArray();
        var embeddings = Embeddings();
        foreach (var setting in reference.GetProperty("settings").EnumerateArray())
        {
            bool closure = setting.GetProperty("add_transitive_closure").GetBoolean();
            var scores = ParaphraseMining.Evaluate(embeddings, duplicates, closure,
                setting.GetProperty("top_k").GetInt32(), setting.GetProperty("max_pairs").GetInt32());
            string at = $"top_k {setting.GetProperty("top_k").GetInt32()}, closure {closure}";
            Assert.True(setting.GetProperty("duplicates").GetInt32() == scores.Duplicates, at);
            Assert.True(Math.Abs(setting.GetProperty("average_precision").GetDouble() - scores.AveragePrecision) < 1e-9, $"{at}: AP {scores.AveragePrecision}");
            Assert.True(Math.Abs(setting.GetProperty("f1").GetDouble() - scores.F1) < 1e-9, $"{at}: F1 {scores.F1}");
            Assert.True(Math.Abs(setting.GetProperty("precision").GetDouble() - scores.Precision) < 1e-9, $"{at}: precision {scores.Precision}");
            Assert.True(Math.Abs(setting.GetProperty("recall").GetDouble() - scores.Recall) < 1e-9, $"{at}: recall {scores.Recall}");
            Assert.True(Math.Abs(setting.GetProperty("threshold").GetDouble() - scores.Threshold) < 1e-5, $"{at}: threshold {scores.Threshold}");
        }
        Assert.Throws<ArgumentException>("duplicates", () => ParaphraseMining.Evaluate(embeddings, []));
        Assert.Throws<ArgumentException>("duplicates", () => ParaphraseMining.Evaluate(embeddings, [(0, 60)]));
        Assert.Throws<ArgumentException>("duplicates", () => ParaphraseMining.Evaluate(embeddings, [(4, 4)]));
    }
}
