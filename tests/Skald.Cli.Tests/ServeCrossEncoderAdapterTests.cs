using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald serve --model ADAPTER</c> with a PEFT adapter folder that loads as a cross-encoder is refused in one line
/// naming the adapter folder and skald rerank: also a SEQ_CLS adapter over a base that is an embedding model (the base
/// alone is no cross-encoder). The refusal comes before the reranker loads (a --reranker folder that does not exist is
/// not what is reported), before the server listens. A SEQ_CLS adapter given
/// with --adapters (merged into the embedding model) is refused in one line naming it and --reranker, before anything loads.
/// </summary>
public sealed class ServeCrossEncoderAdapterTests
{
    private static string Adapter(string folder, string baseModel, string prefix, string? taskType)
    {
        Directory.CreateDirectory(folder);
        string task = taskType is null ? "" : $", \"task_type\": \"{taskType}\"";
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(baseModel)}}{{task}}}""");
        string module = $"base_model.model.{prefix}encoder.layer.0.attention.self.query";
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"),
            [new($"{module}.lora_A.weight", [2, 32], new float[64]), new($"{module}.lora_B.weight", [32, 2], new float[64])]);
        return folder;
    }

    // exit 1 on the missing --reranker folder, one line, no stack trace
    private static void AssertEndedAtTheReranker(SkaldProcess.Result r)
    {
        Assert.True(r.ExitCode == 1, r.Stderr);
        Assert.Contains("model folder not found", r.Stderr.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("bert-cased-mean", "", "SEQ_CLS")]
    [InlineData("ce-bert", "bert.", null)]
    public void AnAdapterThatIsACrossEncoderIsRefusedByItsOwnName(string fixture, string prefix, string? taskType)
    {
        string dir = TestPaths.NewTempDir();
        string adapter = Adapter(Path.Combine(dir, "lora"), TestPaths.FixtureModel(fixture), prefix, taskType);
        var r = InProcessSkald.Capture("serve", "--model", adapter, "--reranker", Path.Combine(dir, "missing"), "--port", "0");
        SkaldProcess.AssertUserError(r, 1, $"{adapter}: a cross-encoder", "CrossEncoder.Load", "skald rerank");
    }

    [Fact]
    public void AnAdapterOnAnEmbeddingModelIsNotWarnedAbout()
    {
        string dir = TestPaths.NewTempDir();
        string adapter = Adapter(Path.Combine(dir, "lora"), TestPaths.FixtureModel("bert-cased-mean"), "", null);
        var r = InProcessSkald.Capture("serve", "--model", adapter, "--reranker", Path.Combine(dir, "missing"), "--port", "0");
        AssertEndedAtTheReranker(r);
        Assert.DoesNotContain("cross-encoder", r.Stderr);
    }

    [Fact]
    public void ASequenceClassificationAdapterGivenWithAdaptersIsRefusedNamingIt()
    {
        string dir = TestPaths.NewTempDir();
        string plain = Adapter(Path.Combine(dir, "plain"), TestPaths.FixtureModel("bert-cased-mean"), "", null);
        string classifier = Adapter(Path.Combine(dir, "seq-cls"), TestPaths.FixtureModel("bert-cased-mean"), "", "SEQ_CLS");
        var r = InProcessSkald.Capture("serve", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--adapters", $"{plain},{classifier}",
            "--reranker", Path.Combine(dir, "missing"), "--port", "0");
        SkaldProcess.AssertUserError(r, 1, classifier + ": a SEQ_CLS adapter", "--reranker " + classifier, "not with --adapters");
        Assert.DoesNotContain(plain, r.Stderr); // the first, an embedding adapter, is not the one named
    }

    [Fact]
    public void AnAdapterWithAnotherTaskTypeGivenWithAdaptersIsMerged()
    {
        string dir = TestPaths.NewTempDir();
        string adapter = Adapter(Path.Combine(dir, "lora"), TestPaths.FixtureModel("bert-cased-mean"), "", "FEATURE_EXTRACTION");
        var r = InProcessSkald.Capture("serve", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--adapters", adapter,
            "--reranker", Path.Combine(dir, "missing"), "--port", "0");
        AssertEndedAtTheReranker(r); // loaded, merged, then the missing reranker
        Assert.DoesNotContain("SEQ_CLS", r.Stderr);
    }

    [Fact]
    public async Task ASequenceClassificationAdapterIsServedForRerankWithReranker()
    {
        // What the refusal above points to: --reranker ADAPTER loads it onto the base adapter_config.json names, its head
        // from modules_to_save, and /v1/rerank answers the scores of that model.
        string dir = TestPaths.NewTempDir();
        string adapter = MergeCrossEncoderTests.WriteAdapter(Path.Combine(dir, "seq-cls"), MergeCrossEncoderTests.Encoder);
        string query = "Hvor ligger Bergen?";
        string[] documents = ["Bergen ligger på Vestlandet.", "Katten søv på trappa.", "Ferja går kvar time."];
        float[] expected;
        using (var model = CrossEncoder.Load(TestPaths.FixtureModel("plain-bert"), [adapter]))
            expected = model.Score([.. documents.Select(d => (query, d))]);
        using var process = System.Diagnostics.Process.Start(SkaldProcess.StartInfo(null,
            "serve", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--reranker", adapter, "--port", "0"))!;
        try
        {
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            var address = System.Text.RegularExpressions.Regex.Match(line, @"http://127\.0\.0\.1:\d+/");
            Assert.True(address.Success, line);
            using var client = new HttpClient { BaseAddress = new Uri(address.Value), Timeout = TimeSpan.FromSeconds(60) };
            using var response = await client.PostAsync("v1/rerank", new StringContent(
                JsonSerializer.Serialize(new { query, documents }), System.Text.Encoding.UTF8, "application/json"));
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            var results = JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray()
                .ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("relevance_score").GetSingle());
            Assert.Equal(documents.Length, results.Count);
            for (int i = 0; i < documents.Length; i++)
                Assert.True(MathF.Abs(expected[i] - results[i]) <= 1e-5f, $"document {i}: {results[i]} vs {expected[i]}");
        }
        finally
        {
            process.Kill(true);
            process.WaitForExit();
        }
    }
}
