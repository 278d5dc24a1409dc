using System.Text.Json;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Sparse;

/// <summary>
/// An inference-free sparse encoder (fixtures/models/splade-router-tiny, made by make_splade_router.py: a Router whose
/// query route is a SparseStaticEmbedding and whose document route is splade-bert-tiny's MLMTransformer →
/// SpladePooling): documents equal the PyTorch SPLADE reference, queries are the static weights of the tokens the
/// HF tokenizer gives them (without special tokens), with no transformer run.
/// </summary>
public sealed class InferenceFreeSparseTests
{
    private static string Folder => TestPaths.FixtureModel("splade-router-tiny");

    private static List<(string Text, int[] Ids, Dictionary<int, float> Sparse)> Reference() =>
        [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel("splade-bert-tiny"), "expected_max_relu.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            var indices = r.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var values = r.GetProperty("values").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            return (r.GetProperty("text").GetString()!, r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                indices.Zip(values).ToDictionary(p => p.First, p => p.Second));
        })];

    [Fact]
    public void DocumentsRunSpladeAndQueriesTheStaticWeights()
    {
        var model = SentenceEncoder.Load(Folder);
        Assert.True(model.IsSparse);
        Assert.NotNull(model.StaticQuery);
        Assert.Equal("document", model.Folder.DefaultRoute);
        float[] weight;
        using (var w = Checkpoint.OpenFile(Path.Combine(Folder, "query_0_SparseStaticEmbedding", "model.safetensors")))
            weight = w.Read("weight", [800]);
        var reference = Reference().Where(r => r.Ids.Length < 64).Take(12).ToList(); // not truncated: the ids without [CLS] and [SEP] are the query's
        var texts = reference.Select(r => r.Text).ToList();

        var documents = model.Encode(texts); // default route: document
        for (int i = 0; i < texts.Count; i++)
        {
            for (int v = 0; v < 800; v++)
                Assert.Equal(reference[i].Sparse.GetValueOrDefault(v), documents[i][v], 1e-5f);
        }
        var queries = model.Encode(texts, new EncodeOptions { Route = "query" });
        for (int i = 0; i < texts.Count; i++)
        {
            var present = reference[i].Ids[1..^1].ToHashSet();
            for (int v = 0; v < 800; v++) Assert.Equal(present.Contains(v) ? weight[v] : 0f, queries[i][v]);
            Assert.Contains(queries[i], x => x > 0f);
        }
        var again = model.Encode(texts, new EncodeOptions { Route = "query", BatchSize = 1 });
        for (int i = 0; i < texts.Count; i++) Assert.Equal(queries[i], again[i]);
    }

    [Fact]
    public void AStaticQueryRouteNeedsASparseDocumentRoute()
    {
        using var copy = new TempFolderCopy(Folder);
        string config = Path.Combine(copy.Path, "router_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"document_0_MLMTransformer\",\n      \"document_1_SpladePooling\"", "\"document_0_MLMTransformer\""));
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(copy.Path));
        Assert.Contains("a SparseStaticEmbedding query route needs a \"document\" route of MLMTransformer → SpladePooling", e.Message);
    }
}
