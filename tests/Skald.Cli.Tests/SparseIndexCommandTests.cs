using System.Text.Json;
using Skald.Models;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index</c> / <c>search</c> with a sparse encoder (fixtures/models/splade-bert-tiny): the rows stored as their
/// non-zero entries, dense-mode scores equal to the model's sparse dot products, hybrid, delete and add, info, and the
/// dense-only options refused.
/// </summary>
public sealed class SparseIndexCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("splade-bert-tiny");
    private static readonly string Documents = SampleDocuments.Folder;

    private static JsonElement Search(string folder, string query, string mode, int k)
    {
        var r = InProcessSkald.Capture("search", "--index", folder, "--query", query, "--mode", mode, "--top-k", k.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").Clone();
    }

    /// <summary>A CSR model whose similarity is cosine: the index says cosine and the scores are the codes' cosines.</summary>
    [Fact]
    public void ACosineCsrIndexScoresAreTheCodesCosines()
    {
        string model = Path.Combine(TestPaths.NewTempDir(), "csr");
        foreach (var f in Directory.EnumerateFiles(TestPaths.FixtureModel("csr-bert-tiny"), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(model, Path.GetRelativePath(TestPaths.FixtureModel("csr-bert-tiny"), f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        string config = Path.Combine(model, "config_sentence_transformers.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"dot\"", "\"cosine\"", StringComparison.Ordinal));
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "--language", "nb", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"similarity\": \"cosine\"", File.ReadAllText(Path.Combine(folder, "index.json")));
        var encoder = SentenceEncoder.Load(model);
        const string query = "Hvor kan jeg parkere sykkelen?";
        var q = encoder.EncodeSparse([query])[0];
        foreach (var h in Search(folder, query, "dense", 4).EnumerateArray())
        {
            string title = h.GetProperty("title").GetString()!, text = h.GetProperty("text").GetString()!;
            var d = encoder.EncodeSparse([title.Length == 0 ? text : title + " " + text])[0];
            double cosine = SparseEmbedding.Dot(q, d) / Math.Sqrt(SparseEmbedding.Dot(q, q) * SparseEmbedding.Dot(d, d));
            Assert.Equal(cosine, h.GetProperty("score").GetSingle(), 3);
        }
    }

    [Fact]
    public void ASparseIndexStoresEntriesAndScoresAreTheModelsDotProducts()
    {
        string docs = SampleDocuments.Copy();
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder, "--language", "nb", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))))
        {
            Assert.True(manifest.RootElement.GetProperty("sparse").GetBoolean());
            Assert.Equal("dot", manifest.RootElement.GetProperty("similarity").GetString());
            Assert.Equal(800, manifest.RootElement.GetProperty("dimension").GetInt32());
        }
        Assert.True(File.Exists(Path.Combine(folder, "embeddings.sparse")));
        Assert.True(File.Exists(Path.Combine(folder, "sparse.postings"))); // the inverted index, mapped at open
        Assert.False(File.Exists(Path.Combine(folder, "embeddings.f32")));

        var encoder = SentenceEncoder.Load(Model);
        const string query = "Hvor kan jeg parkere sykkelen?";
        var q = encoder.EncodeSparse([query])[0];
        var hits = Search(folder, query, "dense", 4);
        Assert.Equal(4, hits.GetArrayLength());
        float previous = float.PositiveInfinity;
        foreach (var h in hits.EnumerateArray())
        {
            string title = h.GetProperty("title").GetString()!, text = h.GetProperty("text").GetString()!;
            var d = encoder.EncodeSparse([title.Length == 0 ? text : title + " " + text])[0];
            float score = h.GetProperty("score").GetSingle();
            Assert.Equal(SparseEmbedding.Dot(q, d), score, 3);
            Assert.True(score <= previous);
            previous = score;
        }
        Assert.Equal(5, Search(folder, query, "hybrid", 5).GetArrayLength());

        var info = InProcessSkald.Capture("index", "info", "--index", folder);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("sparse", info.Stdout);
        Assert.Contains("active_dims_mean", info.Stdout);

        var del = InProcessSkald.Capture("index", "delete", "--index", folder, "--source", Path.Combine(docs, "kantine.md"));
        Assert.True(del.ExitCode == 0, del.Stderr);
        foreach (var mode in new[] { "dense", "hybrid" })
            foreach (var h in Search(folder, "glutenfrit brød", mode, 50).EnumerateArray())
                Assert.DoesNotContain("kantine.md", h.GetProperty("source").GetString());
        string extra = Path.Combine(TestPaths.NewTempDir(), "fjordhest.txt");
        File.WriteAllText(extra, "Fjordhesten Blakken står i stallen bak kontoret. Han får høy hver morgen klokken sju.");
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", extra);
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.Empty(File.ReadAllText(Path.Combine(folder, "tombstones.txt")).Trim()); // compacted
        // (The random fixture model ranks by its biases more than by words: look for the new row among all of them.)
        var added = Search(folder, "Fjordhesten Blakken", "dense", 100).EnumerateArray()
            .Single(h => h.GetProperty("id").GetString() == Path.GetRelativePath(docs, extra) + "#c0"); // under the documents root
        var fjord = encoder.EncodeSparse([added.GetProperty("text").GetString()!])[0];
        Assert.Equal(SparseEmbedding.Dot(encoder.EncodeSparse(["Fjordhesten Blakken"])[0], fjord), added.GetProperty("score").GetSingle(), 3);
        // The kept rows survive the rewrite unchanged: the first query ranks the same documents with the same scores.
        var after = Search(folder, query, "dense", 4).EnumerateArray().Where(h => !h.GetProperty("source").GetString()!.EndsWith("fjordhest.txt")).ToList();
        Assert.Contains(after, h => h.GetProperty("id").GetString() == hits[0].GetProperty("id").GetString());
    }

    /// <summary>An inference-free sparse encoder: documents indexed with SPLADE, queries embedded by their tokens' static weights.</summary>
    [Fact]
    public void AnInferenceFreeModelSearchesWithStaticQueryWeights()
    {
        string model = TestPaths.FixtureModel("splade-router-tiny");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var encoder = SentenceEncoder.Load(model);
        const string query = "Hvor kan jeg parkere sykkelen?";
        var q = encoder.EncodeSparse([query], new EncodeOptions { Route = "query" })[0];
        foreach (var h in Search(folder, query, "dense", 3).EnumerateArray())
        {
            string title = h.GetProperty("title").GetString()!, text = h.GetProperty("text").GetString()!;
            var d = encoder.EncodeSparse([title.Length == 0 ? text : title + " " + text])[0];
            Assert.Equal(SparseEmbedding.Dot(q, d), h.GetProperty("score").GetSingle(), 3);
        }
    }

    /// <summary>--max-active-dims: rows and queries keep their N largest entries; rows added later too; dense models refused.</summary>
    [Fact]
    public void MaxActiveDimsPrunesRowsAndQueriesAlike()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--max-active-dims", "6", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"max_active_dims\": 6", File.ReadAllText(Path.Combine(folder, "index.json")));
        var encoder = SentenceEncoder.Load(Model);
        SparseEmbedding Pruned(string text) => SparseEmbedding.FromDense(encoder.Encode(text), 6);
        const string query = "Hvor kan jeg parkere sykkelen?";
        var hits = Search(folder, query, "dense", 5);
        Assert.Equal(5, hits.GetArrayLength());
        foreach (var h in hits.EnumerateArray())
        {
            string title = h.GetProperty("title").GetString()!, text = h.GetProperty("text").GetString()!;
            Assert.Equal(SparseEmbedding.Dot(Pruned(query), Pruned(title.Length == 0 ? text : title + " " + text)), h.GetProperty("score").GetSingle(), 4);
        }
        string extra = Path.Combine(TestPaths.NewTempDir(), "fjordhest.txt");
        File.WriteAllText(extra, "Fjordhesten Blakken står i stallen og et høy.");
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", extra, "-q");
        Assert.True(add.ExitCode == 0, add.Stderr);
        var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        var fields = JsonDocument.Parse(info.Stdout).RootElement;
        Assert.Equal(6, fields.GetProperty("max_active_dims").GetInt32());
        Assert.True(fields.GetProperty("active_dims_mean").GetDouble() <= 6, info.Stdout); // no row above 6, the added one included
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--documents", Documents,
            "--output", Path.Combine(TestPaths.NewTempDir(), "dense"), "--max-active-dims", "6"), 1, "max_active_dims is for sparse encoders");
    }

    [Fact]
    public void DenseOnlyOptionsAreRefused()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder,
            "--precision", "int8"), 1, "--precision is for dense embedding models");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder,
            "--ivf-lists", "2"), 1, "--ivf-lists is for dense embedding models");
    }
}
