using System.Text.Json;
using Skald.Models;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// Evaluation during training of a ColBERT (fixtures/models/colbert-bert-tiny): the token vectors it evaluates with
/// equal PyTorch's (make_colbert.py's expected_queries / expected_documents), and the triplet accuracy (PyLate's
/// ColBERTTripletEvaluator) and retrieval metrics equal a plain computation here over those PyTorch vectors: MaxSim
/// summed over query tokens, strict &gt; for a triplet, the positive's rank among the pairs' documents for MRR@10,
/// nDCG@10 and hit rate@10.
/// </summary>
public sealed class ColbertEvaluationTests
{
    private static readonly string Model = CorePaths.FixtureModel("colbert-bert-tiny");

    private static Dictionary<string, double[][]> Vectors(string file)
    {
        var result = new Dictionary<string, double[][]>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(Path.Combine(Model, file)).Where(l => l.Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            var flat = doc.RootElement.GetProperty("vectors").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            int dim = 16;
            result[doc.RootElement.GetProperty("text").GetString()!] = [.. Enumerable.Range(0, flat.Length / dim).Select(r => flat[(r * dim)..((r + 1) * dim)])];
        }
        return result;
    }

    private static readonly Dictionary<string, double[][]> Queries = Vectors("expected_queries.jsonl");
    private static readonly Dictionary<string, double[][]> Documents = Vectors("expected_documents.jsonl");

    private static double MaxSim(double[][] q, double[][] d) =>
        q.Sum(qt => d.Max(dt => qt.Zip(dt).Sum(p => p.First * p.Second)));

    // 14 (query, positive, negative) rows over the fixture's texts.
    private static TextDataset Rows()
    {
        var texts = Queries.Keys.ToArray();
        var rows = Enumerable.Range(0, 14).Select(i => new[] { texts[i], texts[(i + 17) % texts.Length], texts[(i + 29) % texts.Length] }).ToArray();
        return new TextDataset("eval", ["query", "positive", "negative"], rows);
    }

    private static TrainableEncoder Trainable() => TrainableEncoder.For(SentenceEncoder.LoadLateInteraction(Model), dropout: 0.1f);

    [Fact]
    public void TheTokenVectorsAreTheReferences()
    {
        var model = new TrainingColbertEncoder(Trainable());
        var texts = Queries.Keys.ToArray();
        foreach (var (encoded, expected) in new[] { (model.EncodeQueries(texts, 5), Queries), (model.EncodeDocuments(texts, 7), Documents) })
        {
            for (int i = 0; i < texts.Length; i++)
            {
                var want = expected[texts[i]];
                Assert.Equal(want.Length, encoded[i].Count);
                for (int r = 0; r < want.Length; r++)
                    for (int x = 0; x < 16; x++) Assert.True(Math.Abs(want[r][x] - encoded[i].Values[r * 16 + x]) <= 1e-5, $"{texts[i]} row {r}");
            }
        }
    }

    [Fact]
    public void TripletAccuracyIsMaxSimOfThePyTorchVectors()
    {
        var rows = Rows();
        int right = 0;
        foreach (var r in rows.Rows)
        {
            double positive = MaxSim(Queries[r[0]], Documents[r[1]]), negative = MaxSim(Queries[r[0]], Documents[r[2]]);
            Assert.True(Math.Abs(positive - negative) > 1e-4, "a near tie would let rounding decide");
            if (positive > negative) right++;
        }
        double expected = (double)right / rows.Count;
        Assert.InRange(expected, 0.01, 0.99); // neither all right nor all wrong
        var metrics = TripletEvaluator.FromDataset(rows).Evaluate(Trainable(), batchSize: 4);
        Assert.Equal(expected, metrics["eval_triplet_accuracy"], 12);
    }

    [Fact]
    public void RetrievalMetricsAreMaxSimRanksOfThePyTorchVectors()
    {
        var rows = Rows();
        var corpus = rows.Rows.SelectMany(r => r.Skip(1)).Distinct().ToArray();
        double mrr = 0, ndcg = 0, hits = 0;
        var ranks = new List<int>();
        foreach (var r in rows.Rows)
        {
            var scores = corpus.Select(d => MaxSim(Queries[r[0]], Documents[d])).OrderDescending().ToArray();
            double own = MaxSim(Queries[r[0]], Documents[r[1]]);
            Assert.True(scores.All(s => s == own || Math.Abs(s - own) > 1e-4), "a near tie would let rounding decide");
            int rank = 1 + scores.Count(s => s > own);
            ranks.Add(rank);
            if (rank <= 10)
            {
                mrr += 1.0 / rank;
                ndcg += 1 / Math.Log2(rank + 1);
                hits++;
            }
        }
        Assert.Contains(ranks, k => k > 1);
        Assert.Contains(ranks, k => k > 10); // every metric is exercised below its ceiling
        int n = rows.Count;
        var metrics = RetrievalEvaluator.FromPairs(rows).Evaluate(Trainable(), batchSize: 4);
        Assert.Equal(hits / n, metrics["eval_pairs_hit_rate@10"], 9);
        Assert.Equal(mrr / n, metrics["eval_pairs_mrr@10"], 9);
        Assert.Equal(ndcg / n, metrics["eval_pairs_ndcg@10"], 9);
    }
}
