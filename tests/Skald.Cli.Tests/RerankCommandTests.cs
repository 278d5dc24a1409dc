using System.Globalization;
using System.Text.Json;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Tests;

/// <summary><c>skald rerank</c> and <c>skald search --rerank</c> through the real CLI, on the tiny cross-encoder fixtures.</summary>
public sealed class RerankCommandTests
{
    private static readonly string Reranker = TestPaths.FixtureModel("ce-bert");

    private static string Documents(params string[] lines)
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "docs.txt");
        File.WriteAllLines(file, lines);
        return file;
    }

    [Fact]
    public void RerankPrintsTheDocumentsBestFirstWithTheLibrarysScores()
    {
        string[] docs = ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget, spor 3.", "Blåbærsyltetøy på vaffel er best.", "Räksmörgås med ägg och majonnäs."];
        const string query = "Kva tid går neste ferje over fjorden?";
        var r = SkaldProcess.Run("rerank", "--model", Reranker, "--query", query, "--documents", Documents(docs), "--format", "json", "--top-k", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
        var expected = CrossEncoder.Load(Reranker).Rank(query, docs, topK: 3);
        Assert.Equal(3, results.GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            var h = results[i];
            Assert.Equal(expected[i].Index, h.GetProperty("index").GetInt32());
            Assert.Equal(expected[i].Score, h.GetProperty("score").GetSingle(), 6);
            Assert.Equal(docs[expected[i].Index], h.GetProperty("text").GetString());
        }

        var table = InProcessSkald.Capture("rerank", "--model", Reranker, "--query", query, "--documents", Documents(docs));
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains(docs[expected[0].Index], table.Stdout, StringComparison.Ordinal);
        Assert.Contains(expected[0].Score.ToString("F4", CultureInfo.InvariantCulture), table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AClassifierAnEmbeddingModelAndABlankLineAreOneLineErrors()
    {
        string docs = Documents("en", "to");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", TestPaths.FixtureModel("ce-xlmr"), "--query", "q", "--documents", docs), 1, "3 labels");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--query", "q", "--documents", docs), 1, "not a cross-encoder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", Reranker, "--query", "q", "--documents", Documents("en", "", "to")), 1, ":2: blank line");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", Reranker, "--query", " ", "--documents", docs), 2, "--query is empty");
    }

    [Fact]
    public void SearchRerankScoresTheRetrievedCandidatesWithTheCrossEncoder()
    {
        string folder = SampleDocuments.Index(InProcessSkald.Capture, TestPaths.FixtureModel("bert-cased-mean"), "--language", "nb");
        const string query = "Hvor kan jeg parkere sykkelen?";

        var plain = InProcessSkald.Capture("search", "--index", folder, "--query", query, "--mode", "bm25", "--top-k", "8", "--format", "json");
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        var candidates = JsonDocument.Parse(plain.Stdout).RootElement.GetProperty("results").EnumerateArray()
            .Select(h => (Id: h.GetProperty("id").GetString()!, Text: FullText(h))).ToList();

        var r = SkaldProcess.Run("search", "--index", folder, "--query", query, "--mode", "bm25", "--top-k", "3", "--rerank", Reranker,
            "--rerank-candidates", "8", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var hits = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
        var expected = CrossEncoder.Load(Reranker).Rank(query, candidates.Select(c => c.Text).ToList(), topK: 3);
        Assert.Equal(3, hits.GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(candidates[expected[i].Index].Id, hits[i].GetProperty("id").GetString());
            Assert.Equal(expected[i].Score, hits[i].GetProperty("score").GetSingle(), 6);
        }
    }

    private static string FullText(JsonElement hit)
    {
        string title = hit.GetProperty("title").GetString()!, text = hit.GetProperty("text").GetString()!;
        return title.Length == 0 ? text : title + " " + text;
    }

    private static string Task(bool withCandidates)
    {
        string[] texts = ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget.", "Blåbærsyltetøy på vaffel er best.", "Kva tid går ferja?"];
        string dir = BeirFolder.Write(string.Join("\n", texts.Select((t, i) => $"{{\"_id\": \"d{i}\", \"text\": \"{t}\"}}")),
            "{\"_id\": \"q1\", \"text\": \"Kva tid går neste ferje over fjorden?\"}\n{\"_id\": \"q2\", \"text\": \"Blåbær på vaffel\"}",
            "q1\td3\t1\nq1\td0\t1\nq2\td2\t1\n");
        if (withCandidates)
        {
            File.WriteAllText(Path.Combine(dir, "top_ranked.jsonl"),
                "{\"query-id\": \"q1\", \"corpus-ids\": [\"d0\", \"d1\", \"d3\"]}\n{\"query-id\": \"q2\", \"corpus-ids\": [\"d2\", \"d1\"]}\n");
        }
        return dir;
    }

    [Fact]
    public void EvaluateScoresARerankingTaskWithACrossEncoderAndReranksBm25()
    {
        var r = InProcessSkald.Capture("evaluate", "--model", Reranker, "--task", Task(withCandidates: true), "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var result = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("reranking", result.GetProperty("type").GetString());
        Assert.Equal("map_at_1000", result.GetProperty("main_metric").GetString());

        var two = InProcessSkald.Capture("evaluate", "--model", "bm25", "--rerank", Reranker, "--rerank-candidates", "3", "--task", Task(withCandidates: false), "-q");
        Assert.True(two.ExitCode == 0, two.Stderr);
        var meta = JsonDocument.Parse(two.Stdout).RootElement.GetProperty("metadata");
        Assert.Equal("3", meta.GetProperty("model.rerank_candidates").GetString());

        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Reranker, "--task", Task(withCandidates: false)), 1, "--rerank");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "hybrid:" + TestPaths.FixtureModel("bert-cased-mean"), "--task", Task(withCandidates: true)), 1,
            "cannot score a reranking task's candidates");
        var bm25 = InProcessSkald.Capture("evaluate", "--model", "bm25", "--task", Task(withCandidates: true), "-q"); // BM25 scores the candidates
        Assert.True(bm25.ExitCode == 0, bm25.Stderr);
    }

    [Fact]
    public void CausalLmRerankersNameTheirMissingAnswerTokenOrTheMissingRoomInOneLine()
    {
        // The library's scores are checked against PyTorch in CrossEncoderTests; the tiny decoder's 128 positions hold
        // less than Qwen3-Reranker's prompt, which the command line uses.
        string qwen = TestPaths.FixtureModel("decoder-qwen3"), docs = Documents("Fjorden ligg stille.", "Bussen går 07:45.");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", qwen, "--causal-lm", "--query", "ferje", "--documents", docs), 1, "no token \"yes\"");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", qwen, "--causal-lm", "--answer-tokens", "y,n", "--query", "ferje", "--documents", docs), 1,
            "leave no room for the pair");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", qwen, "--causal-lm", "--answer-tokens", "y", "--query", "q", "--documents", docs), 2, "two tokens");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", Reranker, "--instruction", "x", "--query", "q", "--documents", docs), 2, "--causal-lm");
        // serve checks the prompt when it loads the reranker, before it listens
        SkaldProcess.AssertUserError(InProcessSkald.Capture("serve", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--reranker", qwen, "--reranker-causal-lm",
            "--port", "0"), 1, "no token \"yes\"");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("serve", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--reranker-causal-lm"), 2, "--reranker DIR");
        // evaluate and search take the same flag for their --rerank model
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "bm25", "--rerank", qwen, "--rerank-causal-lm", "--task", Task(withCandidates: false)), 1,
            "no token \"yes\"");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "bm25", "--rerank-causal-lm", "--task", Task(withCandidates: false)), 2, "--rerank DIR");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", "nowhere", "--query", "q", "--rerank-causal-lm"), 2, "--rerank DIR");
    }

    [Fact]
    public void QuantizeSavesAnInt8CrossEncoderThatScoresAsInt8Inference()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "ce-int8");
        var r = InProcessSkald.Capture("quantize", "--model", Reranker, "--output", dir);
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null)
        {
            SkaldProcess.AssertUserError(r, 1, "int8");
            return;
        }
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("cross-encoder", r.Stderr, StringComparison.Ordinal);
        var saved = CrossEncoder.Load(dir);
        Assert.True(saved.IsInt8Only);
        Assert.All(saved.Transformer.Parameters.Where(p => p.Shape.Length == 2 && p.Name.Contains("encoder.layer", StringComparison.Ordinal)),
            p => Assert.True(p.IsInt8Only, p.Name)); // loaded as int8, not re-quantised from float32
        var live = CrossEncoder.Load(Reranker);
        live.KeepInt8Only();
        (string, string)[] pairs = [("Hvor ligger Bergen?", "Bergen ligger på Vestlandet."), ("Kva tid går ferja?", "Katten sover.")];
        Assert.Equal(live.Score(pairs), saved.Score(pairs)); // the same int8 values: the same scores
        var rerank = InProcessSkald.Capture("rerank", "--model", dir, "--query", "Hvor ligger Bergen?", "--documents", Documents("Bergen ligger på Vestlandet.", "Katten sover."));
        Assert.True(rerank.ExitCode == 0, rerank.Stderr);
    }

    [Fact]
    public void ACrossEncoderGivenAsTheEmbeddingModelIsRefusedInOneLine()
    {
        // Mean pooling it (as sentence-transformers does with a warning) drops the head it was trained with; encode,
        // index build and serve refuse it, naming it and what scores pairs.
        string texts = Documents("Hvor går bussen?", "Bussen går fra torget.");
        string[] fragments = [$"{Reranker}: a cross-encoder", "CrossEncoder.Load", "skald rerank"];
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Reranker, "--input", texts, "--output", Path.Combine(TestPaths.NewTempDir(), "e.npy")),
            1, fragments);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Reranker, "--documents", texts,
            "--output", Path.Combine(TestPaths.NewTempDir(), "index")), 1, fragments);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("serve", "--model", Reranker, "--reranker", Path.Combine(TestPaths.NewTempDir(), "missing"), "--port", "0"), 1, fragments);
        var plain = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("plain-bert"), "--input", texts, "--output", Path.Combine(TestPaths.NewTempDir(), "e.npy"));
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.DoesNotContain("cross-encoder", plain.Stderr); // a plain BertModel folder is an encoder to pool
    }
}
