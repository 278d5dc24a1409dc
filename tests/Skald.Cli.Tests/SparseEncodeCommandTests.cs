using System.Text.Json;
using Skald.Models;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode</c> and <c>info</c> on a sparse encoder (fixtures/models/splade-bert-tiny, SPLADE): sparse rows equal
/// to the PyTorch reference, with their tokens; --max-active-dims; dense .npy; one line for each misuse.
/// </summary>
public sealed class SparseEncodeCommandTests
{
    private static string Model => TestPaths.FixtureModel("splade-bert-tiny");

    [Fact]
    public void JsonlRowsAreTheReferencesNonZeroEntriesWithTheirTokens()
    {
        var expected = File.ReadLines(Path.Combine(Model, "expected_max_relu.jsonl")).Take(6).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, expected.Select(e => JsonSerializer.Serialize(new { text = e.GetProperty("text").GetString() })));
        var r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("sparse embeddings over 800 vocabulary entries", r.Stderr + r.Stdout);
        var tokenizer = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "tokenizer.json"))).RootElement.GetProperty("model").GetProperty("vocab");
        var byId = tokenizer.EnumerateObject().ToDictionary(p => p.Value.GetInt32(), p => p.Name);
        var lines = File.ReadAllLines(output);
        Assert.Equal(expected.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var row = doc.RootElement;
            int[] indices = [.. row.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32())];
            float[] values = [.. row.GetProperty("values").EnumerateArray().Select(x => x.GetSingle())];
            int[] want = [.. expected[i].GetProperty("indices").EnumerateArray().Select(x => x.GetInt32())];
            float[] wantValues = [.. expected[i].GetProperty("values").EnumerateArray().Select(x => x.GetSingle())];
            Assert.Equal(want, indices);
            for (int j = 0; j < values.Length; j++) Assert.Equal(wantValues[j], values[j], 1e-5f);
            Assert.Equal(indices.Select(id => byId[id]), row.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        }

        r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", output, "--max-active-dims", "5");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var line in File.ReadAllLines(output))
            Assert.Equal(5, JsonDocument.Parse(line).RootElement.GetProperty("indices").GetArrayLength());

        string npy = Path.Combine(dir, "out.npy");
        r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", npy);
        Assert.True(r.ExitCode == 0, r.Stderr);
        long header = new FileInfo(npy).Length - expected.Count * 800 * 4; // then float32 [N, 800]
        Assert.True(header > 0 && header % 64 == 0, $"header of {header} bytes");
    }

    [Fact]
    public void ACsrModelWritesItsLatentsWithoutTokensAndKeepsMaxActiveDims()
    {
        string csr = TestPaths.FixtureModel("csr-bert-tiny");
        var expected = File.ReadLines(Path.Combine(csr, "expected_k4.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, expected.Select(e => e.GetProperty("text").GetString()!));
        var r = InProcessSkald.Capture("encode", "--model", csr, "--input", input, "--output", output, "--max-active-dims", "4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("sparse embeddings over 128 latents (4.0 active on average)", r.Stderr + r.Stdout);
        var lines = File.ReadAllLines(output);
        for (int i = 0; i < lines.Length; i++)
        {
            var row = JsonDocument.Parse(lines[i]).RootElement;
            Assert.False(row.TryGetProperty("tokens", out _)); // latents are no vocabulary entries
            Assert.Equal(expected[i].GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()), row.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()));
        }
        var info = InProcessSkald.Capture("info", "--model", csr);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("CSR, SparseAutoEncoder 32 → 128 latents, top 8 kept", info.Stdout);
    }

    [Fact]
    public void EvaluateKeepsMaxActiveDimsAndRefusesItForADenseModel()
    {
        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"Bussen går klokka sju.\"}\n{\"_id\": \"d2\", \"text\": \"Huset ligger ved sjøen.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("csr-bert-tiny"), "--task", task, "--max-active-dims", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"model.max_active_dims\": \"3\"", r.Stdout);
        Assert.Contains("\"model.corpus_active_dims\": \"3.0\"", r.Stdout);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", task, "--max-active-dims", "3"),
            1, "max_active_dims is for sparse encoders");
    }

    [Fact]
    public void InfoSaysSparseAndMisusesAreOneLine()
    {
        var info = InProcessSkald.Capture("info", "--model", Model);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("SPLADE, max of relu-activated masked-LM logits (BertForMaskedLM's head)", info.Stdout);
        Assert.Contains("similarity:       dot", info.Stdout);
        Assert.DoesNotContain("inference-free", info.Stdout);
        var router = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("splade-router-tiny"));
        Assert.True(router.ExitCode == 0, router.Stderr);
        Assert.Contains("queries:          inference-free", router.Stdout);
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "t.txt");
        File.WriteAllText(input, "Hei verden\n");
        // --route query: the inference-free query side (the tokens' static weights), as the library gives it.
        string queries = Path.Combine(dir, "q.jsonl");
        var encoded = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("splade-router-tiny"), "--input", input, "--output", queries, "--route", "query");
        Assert.True(encoded.ExitCode == 0, encoded.Stderr);
        var expected = SentenceEncoder.Load(TestPaths.FixtureModel("splade-router-tiny")).EncodeSparse(["Hei verden"], new EncodeOptions { Route = "query" })[0];
        using (var row = JsonDocument.Parse(File.ReadAllLines(queries)[0]))
            Assert.Equal(expected.Indices, row.RootElement.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", queries, "--route", "query"), 2,
            "--route is for Router models");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input,
            "--output", Path.Combine(dir, "o.jsonl"), "--max-active-dims", "4"), 2, "--max-active-dims is for sparse encoders");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", input,
            "--output", Path.Combine(dir, "o.jsonl"), "--precision", "int8"), 2, "a sparse encoder's are written as float32");
    }

    [Fact]
    public void EvaluateSearchesTheInvertedIndexAndReportsActiveDims()
    {
        string task = BeirFolder.Write(
            "{\"_id\": \"d1\", \"text\": \"Legekontoret ligger i sentrum.\"}\n{\"_id\": \"d2\", \"text\": \"Bussen går klokka sju.\"}\n" +
            "{\"_id\": \"d3\", \"text\": \"Billetten kostar hundre kroner.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Hvor ligger legekontoret?\"}\n{\"_id\": \"q2\", \"text\": \"Kor mykje kostar billetten?\"}\n",
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n");
        string results = Path.Combine(TestPaths.NewTempDir(), "results.json");
        var r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--output", results);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string json = File.ReadAllText(results);
        Assert.Contains("sparse inverted index, exact top-k, dot product", json);
        Assert.Contains("corpus_active_dims", json);
        Assert.Contains("ndcg_at_10", json);
        var hybrid = InProcessSkald.Capture("evaluate", "--model", "hybrid:" + Model, "--task", task, "--fusion", "rerank", "--output", results);
        Assert.True(hybrid.ExitCode == 0, hybrid.Stderr);
        Assert.Contains("sparse inverted index", File.ReadAllText(results)); // BM25 fused with the sparse encoder's own search
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--ivf-lists", "2"), 1,
            "--ivf-lists is for dense embedding models; a sparse encoder searches its own inverted index");
    }
}
