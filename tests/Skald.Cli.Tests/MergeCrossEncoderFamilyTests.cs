using System.Text.Json;
using Skald.Models.CrossEncoders;
using static Skald.Cli.Tests.MergeCrossEncoderTests;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald merge</c> of cross-encoders beyond BERT and Qwen3 (<see cref="MergeCrossEncoderTests"/>): a LoRA on an
/// XLM-R cross-encoder with three named labels and on a ModernBERT one (its <c>head.*</c> and mean classifier pooling)
/// keeps the class transformers builds, the labels, the pad id and the activation sentence-transformers scores with, as
/// the fixtures' own config.json says them, and scores as the adapter loaded; and a SEQ_CLS adapter given as --model
/// with a second adapter chained on it merges both, with the first one's head (the head was looked for in the last
/// adapter only, which saves none: the merge, rerank and serve --reranker failed).
/// </summary>
public sealed class MergeCrossEncoderFamilyTests
{
    [Theory]
    [InlineData("ce-xlmr", "roberta.encoder.layer.0.attention.self.query", "query", 32, "XLMRobertaForSequenceClassification", "classifier.out_proj.weight")]
    [InlineData("ce-modernbert", "model.layers.0.attn.Wqkv", "Wqkv", 96, "ModernBertForSequenceClassification", "head.dense.weight")]
    public void ALoraOnACrossEncoderKeepsWhatTransformersAndSentenceTransformersRead(string fixture, string module, string target,
        int outFeatures, string architecture, string headKey)
    {
        string dir = TestPaths.NewTempDir(), model = TestPaths.FixtureModel(fixture), merged = Path.Combine(dir, "merged");
        string adapter = WriteAdapter(Path.Combine(dir, "adapter"), new Case(fixture, module, target, outFeatures, 32, null, [], []));
        var r = InProcessSkald.Capture("merge", "--model", model, "--adapters", adapter, "--output", merged);
        Assert.True(r.ExitCode == 0, r.Stderr);

        using var source = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "config.json")));
        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "config.json")));
        var before = source.RootElement;
        var after = written.RootElement;
        Assert.Equal([architecture], after.GetProperty("architectures").EnumerateArray().Select(x => x.GetString()));
        var labels = before.GetProperty("id2label").EnumerateObject().Select(p => (p.Name, p.Value.GetString())).ToList();
        Assert.Equal(labels, after.GetProperty("id2label").EnumerateObject().Select(p => (p.Name, p.Value.GetString())));
        foreach (var (id, name) in labels) Assert.Equal(int.Parse(id, System.Globalization.CultureInfo.InvariantCulture), after.GetProperty("label2id").GetProperty(name!).GetInt32());
        Assert.Equal(before.GetProperty("pad_token_id").GetInt32(), after.GetProperty("pad_token_id").GetInt32());
        // sentence-transformers' CrossEncoder: the fixture's activation if it names one, else its default for the labels
        // (Sigmoid for one, Identity for several)
        string activation = before.TryGetProperty("sentence_transformers", out var st) ? st.GetProperty("activation_fn").GetString()!
            : labels.Count == 1 ? "torch.nn.modules.activation.Sigmoid" : "torch.nn.modules.linear.Identity";
        Assert.Equal(activation, after.GetProperty("sentence_transformers").GetProperty("activation_fn").GetString());
        if (before.TryGetProperty("classifier_pooling", out var pooling))
            Assert.Equal(pooling.GetString(), after.GetProperty("classifier_pooling").GetString());

        string weights = Path.Combine(merged, "model.safetensors");
        Assert.Equal(Tensor(Path.Combine(model, "model.safetensors"), headKey), Tensor(weights, headKey)); // the head as it was
        float[] a = Values(2 * 32, 1, 0.2f), b = Values(outFeatures * 2, 2, 0.2f);
        float[] w = Tensor(Path.Combine(model, "model.safetensors"), module + ".weight"), got = Tensor(weights, module + ".weight");
        for (int o = 0; o < outFeatures; o++)
        {
            for (int i = 0; i < 32; i++)
            {
                float expected = w[o * 32 + i] + 2f * (b[o * 2] * a[i] + b[o * 2 + 1] * a[32 + i]);
                Assert.True(MathF.Abs(expected - got[o * 32 + i]) <= 1e-6f, $"{module}[{o},{i}]: {got[o * 32 + i]} vs {expected}");
            }
        }

        using var loaded = CrossEncoder.Load(model, [adapter]);
        using var saved = CrossEncoder.Load(merged);
        Assert.Equal(labels.Count, saved.NumLabels);
        float[][] expectedScores = loaded.Predict(Pairs), scores = saved.Predict(Pairs);
        for (int i = 0; i < expectedScores.Length; i++)
        {
            for (int j = 0; j < labels.Count; j++)
                Assert.True(MathF.Abs(expectedScores[i][j] - scores[i][j]) <= 1e-5f, $"pair {i} label {j}: {scores[i][j]} vs {expectedScores[i][j]}");
        }
    }

    [Fact]
    public void ASequenceClassificationAdapterGivenAsTheModelIsMergedWithTheAdaptersChainedOnIt()
    {
        string dir = TestPaths.NewTempDir(), merged = Path.Combine(dir, "merged");
        string first = WriteAdapter(Path.Combine(dir, "seq-cls"), Encoder); // its base: plain-bert, no head
        // a second LoRA, on layer 0's key, whose base is the first adapter
        string second = WriteAdapter(Path.Combine(dir, "second"),
            new Case("plain-bert", "bert.encoder.layer.0.attention.self.key", "key", 32, 32, null, [], []));
        var r = InProcessSkald.Capture("merge", "--model", first, "--adapters", second, "--output", merged);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(CrossEncoder.IsCrossEncoder(merged));
        Assert.True(File.Exists(Path.Combine(merged, "tokenizer.json")));

        string weights = Path.Combine(merged, "model.safetensors"), baseWeights = Path.Combine(TestPaths.FixtureModel("plain-bert"), "model.safetensors");
        float[] a = Values(64, 1, 0.2f), b = Values(64, 2, 0.2f);
        foreach (string m in new[] { "query", "key" })
        {
            float[] w = Tensor(baseWeights, $"encoder.layer.0.attention.self.{m}.weight"), got = Tensor(weights, $"bert.encoder.layer.0.attention.self.{m}.weight");
            for (int o = 0; o < 32; o++)
            {
                for (int i = 0; i < 32; i++)
                {
                    float expected = w[o * 32 + i] + 2f * (b[o * 2] * a[i] + b[o * 2 + 1] * a[32 + i]);
                    Assert.True(MathF.Abs(expected - got[o * 32 + i]) <= 1e-6f, $"{m}[{o},{i}]: {got[o * 32 + i]} vs {expected}");
                }
            }
        }
        Assert.Equal(Values(32, 3, 0.3f), Tensor(weights, "classifier.weight")); // the first adapter's head (modules_to_save)

        using var loaded = CrossEncoder.Load(first, [second]);
        using var saved = CrossEncoder.Load(merged);
        float[] expectedScores = loaded.Score(Pairs), scores = saved.Score(Pairs);
        for (int i = 0; i < expectedScores.Length; i++)
            Assert.True(MathF.Abs(expectedScores[i] - scores[i]) <= 1e-5f, $"score {i}: {scores[i]} vs {expectedScores[i]}");
    }
}
