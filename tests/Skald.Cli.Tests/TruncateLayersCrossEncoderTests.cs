using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald truncate-layers</c> of a cross-encoder (reranker): a sentence-transformers CrossEncoder folder (ce-bert,
/// ce-modernbert, ce-qwen3: config.json's sentence_transformers key) or a plain transformers <c>*ForSequenceClassification</c>
/// one (ce-xlmr), encoder or decoder, cut to its first N layers, scores what fixtures/models/make_cut_cross_encoders.py
/// computes with plain PyTorch from the ORIGINAL weights run through only their first N layers and then the head
/// (within 1e-5); the folder keeps the head's tensors and config.json whole but num_hidden_layers (and layer_types),
/// and loads in <c>skald rerank</c>. A causal-LM reranker (Qwen3-Reranker as published, a decoder folder) is cut too.
/// Bad layer counts are one line and write nothing.
/// </summary>
public sealed class TruncateLayersCrossEncoderTests : IDisposable
{
    private const float Tolerance = 1e-5f;

    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private sealed record Reference(string Query, string Document, float[] Logits, float[] Scores);

    private static List<Reference> Read(string file) =>
        [.. File.ReadLines(Path.Combine(TestPaths.Fixtures, "models", "ce-first-layers", file)).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            float[] Floats(string k) => [.. r.GetProperty(k).EnumerateArray().Select(x => x.GetSingle())];
            return new Reference(r.GetProperty("query").GetString()!, r.GetProperty("document").GetString()!, Floats("logits"), Floats("scores"));
        })];

    private string Cut(string model, int layers, string name)
    {
        string output = Path.Combine(dir, name);
        var r = InProcessSkald.Capture("truncate-layers", "--model", model, "--layers", layers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return output;
    }

    // Whether a checkpoint key names transformer layer `index` or a later one (encoder.layer.i., model.layers.i., layers.i.).
    private static bool InLayerFrom(string key, int index)
    {
        var parts = key.Split('.');
        for (int i = 0; i + 1 < parts.Length; i++)
        {
            if (parts[i] is "layer" or "layers" && int.TryParse(parts[i + 1], out int n)) return n >= index;
        }
        return false;
    }

    [Theory]
    [InlineData("ce-bert", 1)]
    [InlineData("ce-xlmr", 1)]
    [InlineData("ce-modernbert", 1)]
    [InlineData("ce-modernbert", 2)]
    [InlineData("ce-modernbert", 3)]
    [InlineData("ce-qwen3", 1)]
    public void TheCutFolderScoresTheFirstLayersOfTheOriginalWithItsHead(string name, int layers)
    {
        string source = TestPaths.FixtureModel(name), cut = Cut(source, layers, name);

        // config.json: the original's, num_hidden_layers cut; the weights: the original's without the later layers, head included.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        config["num_hidden_layers"] = layers;
        Assert.True(JsonNode.DeepEquals(config, JsonNode.Parse(File.ReadAllText(Path.Combine(cut, "config.json")))), "config.json");
        using (var original = SafeTensorsFile.Open(Path.Combine(source, "model.safetensors")))
        using (var written = SafeTensorsFile.Open(Path.Combine(cut, "model.safetensors")))
        {
            Assert.Equal(original.Tensors.Keys.Where(k => !InLayerFrom(k, layers)).Order(StringComparer.Ordinal), written.Tensors.Keys.Order(StringComparer.Ordinal));
            foreach (var key in written.Tensors.Keys) Assert.Equal(original.ReadFloat32(key), written.ReadFloat32(key));
        }

        var expected = Read($"{name}-{layers}.jsonl");
        var pairs = expected.Select(e => (e.Query, e.Document)).ToArray();
        using var model = CrossEncoder.Load(cut);
        Assert.Equal(layers, model.Transformer.Config.NumLayers);
        var scores = model.Predict(pairs, new CrossEncoderOptions { BatchSize = 5 });
        var logits = model.Predict(pairs, new CrossEncoderOptions { BatchSize = 7, Activation = ScoreActivation.Identity });
        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(expected[i].Scores.Length, scores[i].Length);
            for (int j = 0; j < scores[i].Length; j++)
            {
                Assert.True(Math.Abs(expected[i].Scores[j] - scores[i][j]) <= Tolerance, $"pair {i}, label {j}: score {scores[i][j]} vs {expected[i].Scores[j]}");
                Assert.True(Math.Abs(expected[i].Logits[j] - logits[i][j]) <= Tolerance, $"pair {i}, label {j}: logit {logits[i][j]} vs {expected[i].Logits[j]}");
            }
        }
    }

    [Fact]
    public void SkaldRerankLoadsTheCutFolder()
    {
        string cut = Cut(TestPaths.FixtureModel("ce-bert"), 1, "cut");
        var expected = Read("ce-bert-1.jsonl");
        var forQuery = expected.Where(e => e.Query == expected[0].Query).ToList();
        string documents = Path.Combine(dir, "documents.txt");
        File.WriteAllLines(documents, forQuery.Select(e => e.Document));
        var r = InProcessSkald.Capture("rerank", "--model", cut, "--query", expected[0].Query, "--documents", documents, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(forQuery.Count, results.Count);
        foreach (var result in results)
        {
            float want = forQuery[result.GetProperty("index").GetInt32()].Scores[0], got = result.GetProperty("score").GetSingle();
            Assert.True(Math.Abs(want - got) <= Tolerance, $"{got} vs {want}");
        }
    }

    [Fact]
    public void LayerTypesAreCutWithTheLayers()
    {
        // ce-qwen3 with a sliding second layer: the cut keeps the first entry, and so the first layer's full attention.
        string source = TestPaths.CopyFolder(TestPaths.FixtureModel("ce-qwen3"), Path.Combine(dir, "sliding"));
        string configPath = Path.Combine(source, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["sliding_window"] = 4;
        config["layer_types"] = new JsonArray("full_attention", "sliding_attention");
        File.WriteAllText(configPath, config.ToJsonString());
        string cut = Cut(source, 1, "cut");
        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(cut, "config.json")))!.AsObject();
        Assert.Equal(["full_attention"], written["layer_types"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(1, written["num_hidden_layers"]!.GetValue<int>());

        var expected = Read("ce-qwen3-1.jsonl");
        using var model = CrossEncoder.Load(cut);
        var scores = model.Score([.. expected.Select(e => (e.Query, e.Document))]);
        for (int i = 0; i < expected.Count; i++) Assert.True(Math.Abs(expected[i].Scores[0] - scores[i]) <= Tolerance, $"pair {i}: {scores[i]} vs {expected[i].Scores[0]}");
    }

    [Fact]
    public void ACausalLmRerankerIsCutAsTheDecoderItReads()
    {
        // Qwen3-Reranker as published: a *ForCausalLM folder whose yes/no logits at the last token are the score.
        string cut = Cut(TestPaths.FixtureModel("decoder-qwen3"), 1, "cut");
        var lines = File.ReadAllLines(Path.Combine(TestPaths.FixtureModel("ce-qwen3"), "expected_causal_lm.jsonl"));
        using var meta = JsonDocument.Parse(lines[0]);
        string M(string k) => meta.RootElement.GetProperty(k).GetString()!;
        var prompt = new PromptedPairs(M("prefix"), M("body"), M("suffix"), M("instruction"));
        using var model = CrossEncoder.FromCausalLm(cut, M("yes"), M("no"), prompt);
        var rows = File.ReadLines(Path.Combine(TestPaths.Fixtures, "models", "ce-first-layers", "decoder-qwen3-causal-lm-1.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var pairs = rows.Select(r => (r.GetProperty("query").GetString()!, r.GetProperty("document").GetString()!)).ToArray();
        var scores = model.Score(pairs, new CrossEncoderOptions { BatchSize = 5 });
        var logits = model.Predict(pairs, new CrossEncoderOptions { Activation = ScoreActivation.Identity });
        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.True(Math.Abs(rows[i].GetProperty("score").GetSingle() - scores[i]) <= Tolerance, $"pair {i}: score {scores[i]}");
            Assert.True(Math.Abs(rows[i].GetProperty("logit").GetSingle() - logits[i][0]) <= Tolerance, $"pair {i}: logit {logits[i][0]}");
        }
    }

    [Theory]
    [InlineData("ce-bert", "2", "has 2 layers; keep between 1 and 1 of them, not 2")] // all of them: nothing cut
    [InlineData("ce-modernbert", "9", "has 4 layers; keep between 1 and 3 of them, not 9")]
    [InlineData("ce-qwen3", "0", "--layers")]
    public void BadLayerCountsAreOneLineAndWriteNothing(string name, string layers, string message)
    {
        string cut = Path.Combine(dir, "bad");
        var r = InProcessSkald.Capture("truncate-layers", "--model", TestPaths.FixtureModel(name), "--layers", layers, "--output", cut);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(cut) && Directory.EnumerateFileSystemEntries(cut).Any());
    }

    [Fact]
    public void AOneLayerModelHasNoneToCutAway()
    {
        string one = Cut(TestPaths.FixtureModel("ce-bert"), 1, "one"), again = Path.Combine(dir, "again");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("truncate-layers", "--model", one, "--layers", "1", "--output", again), 1,
            one + ": the model has 1 layer; there is none to cut away");
        Assert.False(Directory.Exists(again) && Directory.EnumerateFileSystemEntries(again).Any());
    }
}
