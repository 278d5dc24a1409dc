using System.Text.Json;
using Xunit.Abstractions;

namespace Skald.Models.Tests;

/// <summary>
/// Embeddings against the PyTorch reference of fixtures/models/make_models.py (the HF architectures re-implemented in
/// plain PyTorch, token ids from the real HF tokenizers library): 1e-5 absolute per component.
/// </summary>
public sealed class ParityTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> ModelNames =>
        ["bert-cased-mean", "bert-uncased-max", "xlmr-cls-f16", "plain-bert", "bert-sharded", "bert-bf16"];

    internal sealed record Expected(string Text, int[] Ids, float[] Embedding);

    internal static List<Expected> ReadExpected(string file) =>
        File.ReadLines(file).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Expected(r.GetProperty("text").GetString()!,
                r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                r.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        }).ToList();

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void EmbeddingsMatchPyTorchReference(string name)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        var expected = ReadExpected(Path.Combine(TestPaths.FixtureModel(name), "expected.jsonl"));
        var texts = expected.Select(e => e.Text).ToList();

        var encodings = model.Tokenize(texts);
        for (int i = 0; i < texts.Count; i++) Assert.Equal(expected[i].Ids, encodings[i].Ids);

        var actual = model.Encode(texts, new EncodeOptions { BatchSize = 8 });
        float worst = CompareAll(expected.Select(e => e.Embedding).ToList(), actual);
        output.WriteLine($"{name}: {texts.Count} texts, dimension {model.Dimension}, max |diff| {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void BatchedEncodingEqualsOneByOne(string name)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        var texts = ReadExpected(Path.Combine(TestPaths.FixtureModel(name), "expected.jsonl")).Select(e => e.Text).ToList();
        var single = model.Encode(texts, new EncodeOptions { BatchSize = 1 });
        var batched = model.Encode(texts, new EncodeOptions { BatchSize = 16 });
        // Padding must not change anything: the two differ only by float re-association in the products.
        CompareAll(single, batched, 2e-6f);
    }

    [Fact]
    public void NamedPromptMatchesReference()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var expected = ReadExpected(Path.Combine(TestPaths.FixtureModel("bert-cased-mean"), "expected_prompt.jsonl"));
        var actual = model.Encode(expected.Select(e => e.Text).ToList(), new EncodeOptions { PromptName = "query" });
        CompareAll(expected.Select(e => e.Embedding).ToList(), actual);
        var literal = model.Encode(expected.Select(e => e.Text).ToList(), new EncodeOptions { Prompt = "query: " });
        CompareAll(actual, literal, 0f);
    }

    [Fact]
    public void UnknownPromptNameIsNamed()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var e = Assert.Throws<ModelFormatException>(() => model.Encode(["x"], new EncodeOptions { PromptName = "nope" }));
        Assert.Contains("no prompt named \"nope\"", e.Message);
    }

    [Fact]
    public void LongTextsAreTruncatedToMaxSeqLength()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-uncased-max"));
        Assert.Equal(32, model.MaxSeqLength);
        var expected = ReadExpected(Path.Combine(TestPaths.FixtureModel("bert-uncased-max"), "expected.jsonl"));
        Assert.Contains(expected, e => e.Ids.Length == 32); // the fixture really exercises truncation
        Assert.All(model.Tokenize(expected.Select(e => e.Text).ToList()), enc => Assert.True(enc.Ids.Length <= 32));
    }

    private static float CompareAll(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        float worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++)
            {
                float d = MathF.Abs(expected[i][j] - actual[i][j]);
                worst = MathF.Max(worst, d);
                if (!(d <= tolerance))
                    Assert.Fail($"text {i} component {j}: expected {expected[i][j]:R}, got {actual[i][j]:R} (|diff| {d:E2} > {tolerance:E0})");
            }
        }
        return worst;
    }
}

public sealed class FixtureConsistencyTests
{
    /// <summary>
    /// The model fixtures' references were computed with copies of fixtures/tokenizers/*; if a tokenizer fixture changes,
    /// fixtures/models/make_models.py must be rerun, and this test says so.
    /// </summary>
    [Theory]
    [InlineData("bert-cased-mean", "wordpiece-cased")]
    [InlineData("plain-bert", "wordpiece-cased")]
    [InlineData("bert-uncased-max", "wordpiece-uncased")]
    [InlineData("xlmr-cls-f16", "unigram")]
    public void ModelTokenizerCopiesAreCurrent(string model, string tokenizer)
    {
        var copy = File.ReadAllBytes(Path.Combine(TestPaths.FixtureModel(model), "tokenizer.json"));
        var original = File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "tokenizers", tokenizer, "tokenizer.json"));
        Assert.True(copy.AsSpan().SequenceEqual(original), $"fixtures/models/{model}/tokenizer.json is stale: rerun fixtures/models/make_models.py");
    }
}
