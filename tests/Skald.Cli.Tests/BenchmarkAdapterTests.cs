using System.Text.Json;
using Skald.Models.Checkpoints;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald benchmark --models</c> with PEFT adapter folders as model specs: an adapter on an embedding model is ranked
/// at each <c>--truncate-dim</c> width as its base would be; an adapter on a cross-encoder is a reranker, as its base is
/// (<c>bm25&gt;ADAPTER</c> alone, and the part after '&gt;' of <c>FIRST&gt;CE</c>), not an embedding model.
/// </summary>
public sealed class BenchmarkAdapterTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // A rank-2 LoRA on layer 0's query projection [32, 32] of a BERT fixture (its keys under prefix), its base named.
    private static string Adapter(string folder, string baseModel, string prefix = "")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{JsonSerializer.Serialize(baseModel)}}}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Sin(s * 7 + i))];
        string module = $"base_model.model.{prefix}encoder.layer.0.attention.self.query";
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"),
            [new($"{module}.lora_A.weight", [2, 32], Values(1)), new($"{module}.lora_B.weight", [32, 2], Values(2))]);
        return folder;
    }

    private string Suite()
    {
        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"Bussen går klokka sju.\"}\n{\"_id\": \"d2\", \"text\": \"Huset ligger ved sjøen.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": {{JsonSerializer.Serialize(task)}}, "language": "nb"}]}""");
        return suite;
    }

    private static List<string> Ranked(string report)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(report + ".json"));
        return [.. doc.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!)];
    }

    [Fact]
    public void AnAdapterOnAnEmbeddingModelIsRankedAtEachWidth()
    {
        // --truncate-dim read the spec's folder as a model folder, and an adapter folder is none: it was refused.
        string adapter = Adapter(Path.Combine(dir, "lora"), TestPaths.FixtureModel("bert-cased-mean"));
        string report = Path.Combine(dir, "report");
        var r = InProcessSkald.Capture("benchmark", "--models", adapter, "--suite", Suite(), "--output", report, "--truncate-dim", "16,8", "--no-cache");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["lora (16d)", "lora (8d)"], Ranked(report).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AnAdapterOnACrossEncoderReranks()
    {
        // It was taken for an embedding model (no config.json of its own): ranked as one, and refused after '>'.
        string reranker = Adapter(Path.Combine(dir, "ce-lora"), TestPaths.FixtureModel("ce-bert"), "bert.");
        string first = Adapter(Path.Combine(dir, "lora"), TestPaths.FixtureModel("bert-cased-mean"));
        string report = Path.Combine(dir, "report");
        var r = InProcessSkald.Capture("benchmark", "--models", $"{reranker},{first}>{reranker}", "--suite", Suite(), "--output", report, "--no-cache");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["bm25>ce-lora", "lora>ce-lora"], Ranked(report).Order(StringComparer.Ordinal));
    }
}
