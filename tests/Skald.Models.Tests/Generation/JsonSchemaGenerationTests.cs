using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="OutputFormat.JsonSchema"/> end to end on the random-weight decoder fixtures, whose free output is garbage:
/// greedy and sampled (temperatures, top-k, top-p, several seeds) a row that ends before its token budget is a JSON
/// object that an independent validator (<see cref="SchemaValidator"/>) finds valid against the schema, and one that
/// runs out is a prefix of a JSON object; rows of one batch and a joining request keep their own schema, JSON mode and
/// text rows beside them untouched.
/// </summary>
public sealed class JsonSchemaGenerationTests
{
    private static readonly int[] Prompt = [5, 9, 12, 3, 44, 17], Other = [7, 7, 2, 30];

    private const string Person = """
        {"type": "object", "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 8}, "age": {"type": "integer"},
           "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 3}, "ok": {"type": "boolean"},
           "note": {"type": ["string", "null"], "maxLength": 4}},
         "required": ["name", "age", "ok"], "additionalProperties": false}
        """;

    private const string Flags = """
        {"type": "object", "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}, "tag": {"enum": ["a", "b"]}}, "required": ["ok", "n"]}
        """;

    public static TheoryData<string> Folders => ["decoder-qwen2", "decoder-llama3", "decoder-gemma3", "decoder-mistral"];

    private static GenerationOptions Options(string schema, int max, float temperature = 0f, ulong seed = 0, int topK = 0, float topP = 1f) => new()
    {
        Format = OutputFormat.JsonSchema, Schema = JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement),
        MaxNewTokens = max, Temperature = temperature, Seed = seed, TopK = topK, TopP = topP,
    };

    // A schema row's result: a valid document that ended the row, or (out of tokens) a prefix of a JSON object.
    private static bool AssertValid(string schema, GenerationResult r, string what)
    {
        if (r.FinishReason == FinishReason.Length)
        {
            Assert.True(JsonPrefix.CanBecomeObject(r.Text), $"{what}: cut at the length, \"{r.Text}\" is not a prefix of an object");
            return false;
        }
        Assert.True(JsonPrefix.IsObject(r.Text), $"{what}: \"{r.Text}\" ({r.FinishReason}) is not a JSON object");
        Assert.Null(SchemaValidator.Problem(schema, r.Text));
        return true;
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void GreedyAndSampledOutputValidatesAgainstTheSchema(string name)
    {
        var generator = TextGenerator.Load(TestPaths.FixtureModel(name));
        int complete = 0, runs = 0;
        foreach (var (temperature, topK, topP) in new[] { (0f, 0, 1f), (0.7f, 0, 1f), (1f, 20, 1f), (1.5f, 0, 0.9f) })
        {
            for (ulong seed = 1; seed <= (temperature == 0 ? 1UL : 5UL); seed++)
            {
                var r = generator.Generate([Prompt], Options(Flags, 110, temperature, seed, topK, topP))[0];
                if (AssertValid(Flags, r, $"{name} t={temperature} k={topK} p={topP} seed {seed}")) complete++;
                runs++;
            }
        }
        Assert.True(complete >= 3, $"{name}: {complete} of {runs} runs closed their object in 90 tokens");
    }

    [Fact]
    public void ARecursiveSchemaIsFollowedToItsLeaves()
    {
        var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        string schema = JsonSchemaConstraintTests.Schema;
        int complete = 0;
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var r = generator.Generate([Prompt], Options(schema, 115, 1f, seed))[0];
            if (AssertValid(schema, r, $"seed {seed}")) complete++;
        }
        Assert.True(complete >= 2, $"{complete} of 8 runs closed their object");
    }

    [Fact]
    public void AnObjectThatDoesNotFitEndsWithLengthAndIsAPrefix()
    {
        var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-qwen2"));
        var r = generator.Generate([Prompt], Options(Person, 4, 1f, seed: 4))[0];
        Assert.Equal(FinishReason.Length, r.FinishReason);
        Assert.Equal(4, r.Ids.Length);
        Assert.True(JsonPrefix.CanBecomeObject(r.Text), r.Text);
        Assert.StartsWith("{", r.Text.TrimStart());
    }

    [Fact]
    public void EachRowOfABatchAndAJoiningRequestKeepsItsOwnSchema()
    {
        var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        var text = new GenerationOptions { MaxNewTokens = 30, Temperature = 1f, Seed = 3 };
        var json = new GenerationOptions { Format = OutputFormat.JsonObject, MaxNewTokens = 60, Temperature = 1f, Seed = 5 };
        const string flags = """{"type": "object", "properties": {"x": {"type": "boolean"}, "y": {"enum": [1, 2]}}, "required": ["x", "y"]}""";
        var soloText = generator.GenerateTogether([Prompt], [text])[0];
        var soloJson = generator.GenerateTogether([Prompt], [json])[0];
        bool joined = false;
        GenerationResult? late = null;
        var continuous = new ContinuousBatching
        {
            Rows = 4,
            Capacity = 120,
            Next = (_, _, _) =>
            {
                if (joined) return null;
                joined = true;
                return new GenerationJoin(Other, Options(flags, 100, 0.8f, seed: 9));
            },
        };
        var results = generator.GenerateTogether([Prompt, Prompt, Other], [text, json, Options(Person, 90, 1f, seed: 2)], finished: (b, r) =>
        {
            if (b == 3) late = r;
        }, joining: continuous);
        Assert.Equal(soloText.Ids, results[0].Ids); // the text row decodes as it does alone
        Assert.Equal(soloJson.Ids, results[1].Ids); // and the JSON mode row
        AssertValid(Person, results[2], "the batch's schema row");
        Assert.NotNull(late);
        Assert.True(AssertValid(flags, late, "the joining schema row"), late.Text);
    }

    [Fact]
    public void ASchemaRowWithoutASchemaIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new GenerationOptions { Format = OutputFormat.JsonSchema }.Validate());
        Assert.Contains("Schema", e.Message);
    }
}
