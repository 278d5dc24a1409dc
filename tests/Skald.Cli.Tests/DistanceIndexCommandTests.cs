using System.Text.Json;
using Skald.Models;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build</c> / <c>skald search</c> of a Euclidean or Manhattan model (the tiny BERT fixture's
/// <c>similarity_fn_name</c> changed): the index records the similarity and every dense hit's score is the model's
/// negated distance between the query's and the chunk's embeddings (made here by <see cref="SentenceEncoder"/>, in
/// double), ranked by it, over float32 and int8 rows, exact or through an HNSW graph or IVF lists searched as wide as the
/// index; <c>index reindex --hnsw / --ivf-lists</c> keeps the distance; the table and the JSON name the function.
/// </summary>
public sealed class DistanceIndexCommandTests
{
    private static readonly string Documents = SampleDocuments.Folder;
    private const string Query = "Hvor kan jeg parkere sykkelen?";

    private static double Negated(string similarity, float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += similarity == "euclidean" ? d * d : Math.Abs(d);
        }
        return similarity == "euclidean" ? -Math.Sqrt(sum) : -sum;
    }

    [Theory]
    [InlineData("euclidean", "float32", "")]
    [InlineData("manhattan", "float32", "")]
    [InlineData("euclidean", "int8", "")]
    [InlineData("manhattan", "uint8", "")]
    [InlineData("euclidean", "float32", "hnsw")]
    [InlineData("manhattan", "int8", "hnsw")]
    [InlineData("manhattan", "float32", "ivf")]
    [InlineData("euclidean", "uint8", "ivf")]
    public void DenseHitsAreRankedAndScoredByTheModelsNegatedDistance(string similarity, string precision, string layout)
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean", similarity);
        string docs = SampleDocuments.Copy();
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        string[] laid = layout switch { "hnsw" => ["--hnsw", "4"], "ivf" => ["--ivf-lists", "2"], _ => [] };
        var build = InProcessSkald.Capture(["index", "build", "--model", model, "--documents", docs, "--output", folder, "--language", "nb", "--precision", precision, .. laid]);
        Assert.True(build.ExitCode == 0, build.Stderr);
        Assert.Contains($"-d, {similarity}", build.Stderr);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal(similarity, manifest.GetProperty("similarity").GetString());
        int rows = manifest.GetProperty("rows").GetInt32();
        string all = rows.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] rescore = [.. precision == "float32" ? [] : new[] { "--rescore-multiplier", all },
            .. layout switch { "hnsw" => new[] { "--ef", all }, "ivf" => ["--probes", "2"], _ => [] }]; // every row reached: the exact search's hits

        var r = InProcessSkald.Capture(["search", "--index", folder, "--query", Query, "--mode", "dense", "--top-k", all, "--format", "json", .. rescore]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(similarity, root.GetProperty("similarity").GetString());
        var hits = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(rows, hits.Length);
        var encoder = SentenceEncoder.Load(model); // the model's own prompts: "query: " and "passage: "
        var q = encoder.Encode(Query, new EncodeOptions { Prompt = "query: " });
        var expected = hits.Select(h =>
        {
            string title = h.GetProperty("title").GetString()!, text = h.GetProperty("text").GetString()!;
            return Negated(similarity, q, encoder.Encode(title.Length == 0 ? text : title + " " + text, new EncodeOptions { Prompt = "passage: " }));
        }).ToArray();
        for (int i = 0; i < hits.Length; i++)
        {
            double score = hits[i].GetProperty("score").GetDouble();
            Assert.True(Math.Abs(expected[i] - score) < 1e-3 * Math.Max(1, Math.Abs(expected[i])), $"hit {i}: {score} != {expected[i]}");
            if (i > 0) Assert.True(expected[i] <= expected[i - 1] + 1e-4, $"hit {i} ({expected[i]}) ranked below a farther one ({expected[i - 1]})");
        }

        var table = InProcessSkald.Capture(["search", "--index", folder, "--query", Query, "--mode", "dense", "--top-k", "2", .. rescore]);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains($"-{similarity} distance", table.Stdout);
    }

    [Fact]
    public void ManhattanOpqIsOneLine()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean", "manhattan");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "--language", "nb", "--pq", "8", "--opq");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--opq", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(folder) && File.Exists(Path.Combine(folder, "index.json")));
    }

    [Theory]
    [InlineData("--hnsw", "4")]
    [InlineData("--ivf-lists", "2")]
    public void ReindexWithAGraphOrListsKeepsTheDistance(string option, string value)
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean", "manhattan");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var build = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "--language", "nb", "-q");
        Assert.True(build.ExitCode == 0, build.Stderr);
        var r = InProcessSkald.Capture("index", "reindex", "--index", folder, option, value);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"similarity\": \"manhattan\"", File.ReadAllText(Path.Combine(folder, "index.json")));
        var search = InProcessSkald.Capture("search", "--index", folder, "--query", Query, "--mode", "dense", "--top-k", "2", "--format", "json");
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Equal("manhattan", JsonDocument.Parse(search.Stdout).RootElement.GetProperty("similarity").GetString());
    }

    [Fact]
    public void AnIndexRecordingCosineForADistanceModelIsSearchedByCosineAndSaysSoOnce()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean", "euclidean");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var build = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "--language", "nb", "-q");
        Assert.True(build.ExitCode == 0, build.Stderr);
        string manifest = Path.Combine(folder, "index.json"), text = File.ReadAllText(manifest);
        Assert.Contains("\"similarity\": \"euclidean\"", text);
        File.WriteAllText(manifest, text.Replace("\"similarity\": \"euclidean\"", "\"similarity\": \"cosine\"", StringComparison.Ordinal)); // as Skald wrote it before
        var r = InProcessSkald.Capture("search", "--index", folder, "--query", Query, "--mode", "dense", "--top-k", "2", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("ranked by cosine, not euclidean", StringComparison.Ordinal));
        Assert.False(JsonDocument.Parse(r.Stdout).RootElement.TryGetProperty("similarity", out _));
    }
}
