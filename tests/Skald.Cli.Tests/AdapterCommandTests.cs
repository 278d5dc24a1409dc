using System.Text.Json;
using Skald.Tests;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald adapter train</c> and <c>skald evaluate --model openai:URL#MODEL</c> end to end, the remote model being
/// <see cref="FakeEmbeddingServer"/> on 127.0.0.1.
/// </summary>
public sealed class AdapterCommandTests
{
    /// <summary>Pairs whose queries share no words with their passages but a fixed word mapping (so the base ranks badly, an adapter learns).</summary>
    private static string Pairs(int n)
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "pairs.jsonl");
        var lines = Enumerable.Range(0, n).Select(i => JsonSerializer.Serialize(new { query = $"spørsmål q{i} q{i % 7}x", passage = $"svar p{i} p{i % 7}x" }));
        File.WriteAllLines(file, lines);
        return file;
    }

    [Fact]
    public void AdapterTrainOverARemoteModelReportsBeforeAndAfterAndSavesTheAdapter()
    {
        using var server = new FakeEmbeddingServer();
        string output = Path.Combine(TestPaths.NewTempDir(), "adapter");
        var r = InProcessSkald.Capture("adapter", "train", "--model", $"openai:{server.Url}#fake", "--data", Pairs(40), "--output", output,
            "--epochs", "2", "--batch-size", "8", "--price-per-1m", "0.1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var summary = JsonDocument.Parse(r.Stdout);
        var root = summary.RootElement;
        Assert.Equal(8, root.GetProperty("eval_pairs").GetInt32());
        Assert.True(root.GetProperty("before").TryGetProperty("mrr@10", out _));
        Assert.True(root.GetProperty("after").TryGetProperty("hit_rate@10", out _));
        Assert.True(root.GetProperty("tokens").GetInt64() > 0);
        Assert.True(root.TryGetProperty("cost", out _));
        Assert.True(File.Exists(Path.Combine(output, "remote_adapter.json")));
        Assert.True(File.Exists(Path.Combine(output, "query_0_Dense", "model.safetensors")));
        Assert.Contains("tokens", r.Stderr);

        // The saved adapter evaluates: queries through the adapter over the remote model's embeddings.
        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"svar p1 p1x\"}\n{\"_id\": \"d2\", \"text\": \"svar p2 p2x\"}\n",
            "{\"_id\": \"q1\", \"text\": \"spørsmål q1 q1x\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        int before = server.Requests;
        var evaluate = InProcessSkald.Capture("evaluate", "--model", output, "--task", task);
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        Assert.Contains($"openai:{server.Url}#fake", evaluate.Stdout);
        Assert.True(server.Requests > before);
    }

    [Fact]
    public void AdapterTrainOverAModelFolderWritesARouterFolderThatEvaluates()
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "router");
        var r = InProcessSkald.Capture("adapter", "train", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--data", Pairs(30), "--output", output,
            "--kind", "mlp", "--hidden", "16", "--epochs", "1", "--eval-data", Pairs(6));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var summary = JsonDocument.Parse(r.Stdout))
        {
            Assert.Equal(30, summary.RootElement.GetProperty("train_pairs").GetInt32());
            Assert.Equal(6, summary.RootElement.GetProperty("eval_pairs").GetInt32());
        }
        Assert.True(File.Exists(Path.Combine(output, "router_config.json")));
        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"svar p1\"}\n{\"_id\": \"d2\", \"text\": \"svar p2\"}\n",
            "{\"_id\": \"q1\", \"text\": \"spørsmål q1\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        var evaluate = InProcessSkald.Capture("evaluate", "--model", output, "--task", task);
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        Assert.Contains("\"model.query_prompt\"", evaluate.Stdout);
    }

    [Fact]
    public void EvaluateAgainstARefusingEndpointIsOneLine()
    {
        using var server = new FakeEmbeddingServer { ApiKey = "secret" };
        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"a b\"}\n", "{\"_id\": \"q1\", \"text\": \"a\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        var r = SkaldProcess.RunWith(null, new Dictionary<string, string> { ["OPENAI_API_KEY"] = "wrong" },
            "evaluate", "--model", $"openai:{server.Url}#fake", "--task", task);
        SkaldProcess.AssertUserError(r, 1, "API key was refused (HTTP 401)");
        r = SkaldProcess.RunWith(null, new Dictionary<string, string> { ["OPENAI_API_KEY"] = "secret" },
            "evaluate", "--model", $"openai:{server.Url}#fake", "--task", task);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("ndcg_at_10 = 1.0000", r.Stderr);
        Assert.Contains("requests", r.Stderr);
    }

    [Fact]
    public void AStaticBaseModelIsRefusedBeforeEmbedding()
    {
        // Found only when the adapter folder was written (no transformer config to route), after all the training.
        string dir = TestPaths.NewTempDir(), staticModel = Path.Combine(dir, "static"), output = Path.Combine(dir, "adapter");
        Assert.Equal(0, InProcessSkald.Capture("static", "distill", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--dim", "8",
            "--output", staticModel).ExitCode);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("adapter", "train", "--model", staticModel, "--data", Pairs(30), "--output", output), 1,
            $"{staticModel}: a static embedding model; a query adapter needs a transformer model");
        Assert.False(Directory.Exists(output));
    }
}
