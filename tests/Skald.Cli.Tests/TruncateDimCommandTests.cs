using System.Text.Json;
using Skald.Models;

namespace Skald.Cli.Tests;

/// <summary><c>--truncate-dim</c> on <c>skald encode</c> and <c>skald evaluate</c>: the library's truncated embeddings, the width in the results, and one line for a bad width.</summary>
public sealed class TruncateDimCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    [Fact]
    public void EncodeWritesTheTruncatedEmbeddingsAndEvaluateSaysTheWidth()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        string[] texts = ["Hvor ligger legekontoret?", "Bussen går klokka sju."];
        File.WriteAllLines(input, texts);
        var r = InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", output, "--truncate-dim", "8", "--normalize");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var expected = SentenceEncoder.Load(Model).Encode(texts, new EncodeOptions { TruncateDim = 8, Normalize = true });
        var rows = File.ReadAllLines(output).Select(l => JsonSerializer.Deserialize<float[]>(l)!).ToArray();
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], rows[i]);

        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"Bussen går klokka sju.\"}\n{\"_id\": \"d2\", \"text\": \"Huset ligger ved sjøen.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--truncate-dim", "16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"model.truncate_dim\": \"16\"", r.Stdout);
        Assert.Contains("\"model.dimension\": \"16\"", r.Stdout);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", input, "--output", output, "--truncate-dim", "64"), 2, "--truncate-dim must be in 1..32");
    }

    [Fact]
    public void AnIndexOfTruncatedEmbeddingsCutsItsQueriesAlike()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        string documents = SampleDocuments.Folder;
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", documents, "--output", folder, "--truncate-dim", "16", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal(16, manifest.GetProperty("truncate_dim").GetInt32());
        Assert.Equal(16, manifest.GetProperty("dimension").GetInt32());
        const string query = "Hvor kan jeg parkere sykkelen?";
        r = InProcessSkald.Capture("search", "--index", folder, "--query", query, "--mode", "dense", "--top-k", "3", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var encoder = SentenceEncoder.Load(Model);
        float[] Cut(string text, string prompt) => encoder.Encode(text, new EncodeOptions { TruncateDim = 16, Normalize = true, PromptName = prompt });
        var q = Cut(query, "query"); // the fixture's role prompts, as the index embeds

        foreach (var h in JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray())
        {
            string title = h.GetProperty("title").GetString()!, text = h.GetProperty("text").GetString()!;
            var d = Cut(title.Length == 0 ? text : title + " " + text, "passage");
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(q, d), h.GetProperty("score").GetSingle(), 4);
        }
    }

    [Fact]
    public void BenchmarkRanksEachWidthAndRefusesABadOne()
    {
        string dir = TestPaths.NewTempDir();
        string task = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"Bussen går klokka sju.\"}\n{\"_id\": \"d2\", \"text\": \"Huset ligger ved sjøen.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{task}}", "language": "nb"}]}""");
        string report = Path.Combine(dir, "report");
        var r = InProcessSkald.Capture("benchmark", "--models", Model, "--suite", suite, "--output", report, "--truncate-dim", "16,8", "--no-cache");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string md = File.ReadAllText(report + ".md");
        Assert.Contains("bert-cased-mean (16d)", md);
        Assert.Contains("bert-cased-mean (8d)", md);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("benchmark", "--models", Model, "--suite", suite, "--output", report, "--truncate-dim", "16,x"),
            2, "--truncate-dim: 'x' is not a whole number of at least 1");
    }
}
