using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="OutputFormat.JsonObject"/> end to end on the random-weight decoder fixtures, whose free output is
/// garbage: greedy and sampled (temperatures, top-k, top-p, several seeds) the text parses as a JSON object with
/// System.Text.Json and the row ends where the object closes, or it runs out of tokens (finish reason length) as a
/// prefix of one; rows of one batch and a request that joins it each keep their own constraint, and text rows are
/// untouched; a row no token can continue ends with length; a generator without token bytes refuses JSON rows.
/// </summary>
public sealed class JsonModeGenerationTests
{
    private static readonly int[] Prompt = [5, 9, 12, 3, 44, 17], Other = [7, 7, 2, 30];

    public static TheoryData<string> Folders => ["decoder-qwen2", "decoder-llama3", "decoder-gemma3", "decoder-mistral"];

    private static GenerationOptions Json(int max, float temperature = 0f, ulong seed = 0, int topK = 0, float topP = 1f) => new()
    {
        Format = OutputFormat.JsonObject, MaxNewTokens = max, Temperature = temperature, Seed = seed, TopK = topK, TopP = topP,
    };

    // A JSON row's result: a whole object that ended the row, or (out of tokens) a text that can still become one.
    private static void AssertJson(GenerationResult r, string what)
    {
        if (r.FinishReason == FinishReason.Length)
        {
            Assert.True(JsonPrefix.CanBecomeObject(r.Text), $"{what}: cut at the length, \"{r.Text}\" is not a prefix of an object");
            return;
        }
        Assert.True(JsonPrefix.IsObject(r.Text), $"{what}: \"{r.Text}\" ({r.FinishReason}) is not a JSON object");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void GreedyAndSampledOutputIsAJsonObject(string name)
    {
        var generator = TextGenerator.Load(TestPaths.FixtureModel(name));
        var free = generator.Generate([Prompt], new GenerationOptions { MaxNewTokens = 40 })[0];
        Assert.False(JsonPrefix.CanBecomeObject(free.Text), $"the fixture's free text \"{free.Text}\" is already JSON-like");
        int complete = 0, runs = 0;
        foreach (var (temperature, topK, topP) in new[] { (0f, 0, 1f), (0.7f, 0, 1f), (1f, 20, 1f), (1.5f, 0, 0.9f) })
        {
            for (ulong seed = 1; seed <= (temperature == 0 ? 1UL : 6UL); seed++)
            {
                var r = generator.Generate([Prompt], Json(100, temperature, seed, topK, topP))[0];
                AssertJson(r, $"{name} t={temperature} k={topK} p={topP} seed {seed}");
                runs++;
                if (r.FinishReason != FinishReason.Length) complete++;
            }
        }
        Assert.True(complete >= 2, $"{name}: {complete} of {runs} runs closed their object in 100 tokens");
    }

    [Fact]
    public void AnObjectThatDoesNotFitEndsWithLengthAndIsAPrefix()
    {
        var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-qwen2"));
        var r = generator.Generate([Prompt], Json(3, 1f, seed: 4))[0];
        Assert.Equal(FinishReason.Length, r.FinishReason);
        Assert.Equal(3, r.Ids.Length);
        Assert.False(JsonPrefix.IsObject(r.Text));
        Assert.True(JsonPrefix.CanBecomeObject(r.Text), r.Text);
    }

    [Fact]
    public void EachRowOfABatchAndAJoiningRequestKeepsItsOwnConstraint()
    {
        var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        var text = new GenerationOptions { MaxNewTokens = 30, Temperature = 1f, Seed = 3 };
        var json = Json(60, 1f, seed: 5);
        var soloText = generator.GenerateTogether([Prompt], [text])[0];
        bool joined = false;
        GenerationResult? late = null;
        var continuous = new ContinuousBatching
        {
            Rows = 3,
            Capacity = 120,
            Next = (_, _, _) =>
            {
                if (joined) return null;
                joined = true;
                return new GenerationJoin(Other, Json(50, 0.8f, seed: 9));
            },
        };
        var results = generator.GenerateTogether([Prompt, Other], [text, json], finished: (b, r) =>
        {
            if (b == 2) late = r;
        }, joining: continuous);
        Assert.Equal(soloText.Ids, results[0].Ids); // the text row decodes as it does alone
        AssertJson(results[1], "the batch's JSON row");
        Assert.NotNull(late);
        AssertJson(late, "the joining JSON row");
    }

    [Fact]
    public void ARowThatNoTokenCanContinueEndsWithLength()
    {
        // a vocabulary of "{" (id 0) and "x": after "{" nothing is valid
        var decoder = (Skald.Models.Architectures.IDecoder)Skald.Models.Architectures.ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2"));
        int vocab = decoder.LmHead!.VocabSize;
        var generator = new Generator(decoder, ids => string.Concat(ids.Select(id => id == 0 ? "{" : "x")), 0, [],
            () => [.. Enumerable.Range(0, vocab).Select(id => id == 0 ? "{"u8.ToArray() : "x"u8.ToArray())]);
        var r = generator.Generate([Prompt], Json(10, 1f, seed: 2))[0];
        Assert.Equal([0], r.Ids);
        Assert.Equal("{", r.Text);
        Assert.Equal(FinishReason.Length, r.FinishReason);
    }

    [Fact]
    public void AGeneratorWithoutTokenBytesRefusesJsonRows()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var e = Assert.Throws<ArgumentException>(() => generator.Generate([Prompt], Json(5)));
        Assert.Contains("token bytes", e.Message);
    }
}
