using System.Text.Json;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// Prompts on top of a ColBERT's prefixes against fixtures/models/make_colbert_prompt.py (PyLate's encode with
/// default_prompt_name "query" → "query: " before every text, queries and documents alike: [CLS] [Q] query: text ...):
/// the default prompt and the same prompt given explicitly (training such a folder: ColbertTrainingPromptTests).
/// </summary>
public sealed class ColbertPromptTests
{
    private static string WithDefaultPrompt()
    {
        string copy = TestPaths.CopyFolder(TestPaths.FixtureModel("colbert-bert-tiny"), Path.Combine(TestPaths.NewTempDir(), "colbert"));
        string file = Path.Combine(copy, ColbertSettings.FileName);
        string text = File.ReadAllText(file);
        Assert.Contains("\"prompts\": {}", text);
        File.WriteAllText(file, text.Replace("\"prompts\": {}", "\"prompts\": {\"query\": \"query: \"}", StringComparison.Ordinal)
            .Replace("\"default_prompt_name\": null", "\"default_prompt_name\": \"query\"", StringComparison.Ordinal));
        return copy;
    }

    private static List<(string Text, int[] Ids, float[] Vectors)> Read(string file) =>
        [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel("colbert-bert-tiny"), file)).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return (r.GetProperty("text").GetString()!, r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                r.GetProperty("vectors").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        })];

    private static void AssertMatches(List<(string Text, int[] Ids, float[] Vectors)> expected, TokenVectors[] actual)
    {
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Ids, actual[i].TokenIds);
            Assert.Equal(expected[i].Vectors.Length, actual[i].Values.Length);
            for (int j = 0; j < expected[i].Vectors.Length; j++)
                Assert.True(Math.Abs(actual[i].Values[j] - expected[i].Vectors[j]) <= 1e-5f, $"text {i}, value {j}: {actual[i].Values[j]} vs {expected[i].Vectors[j]}");
        }
    }

    [Fact]
    public void TheDefaultPromptGoesBeforeEveryTextAfterThePrefix()
    {
        using var model = ColbertEncoder.Load(WithDefaultPrompt());
        Assert.Equal("query: ", model.DefaultPrompt);
        var queries = Read("expected_queries_prompt.jsonl");
        var documents = Read("expected_documents_prompt.jsonl");
        AssertMatches(queries, model.EncodeQueries([.. queries.Select(e => e.Text)], batchSize: 5));
        AssertMatches(documents, model.EncodeDocuments([.. documents.Select(e => e.Text)], batchSize: 5));
    }

    [Fact]
    public void AnExplicitPromptReplacesTheDefault()
    {
        using var model = ColbertEncoder.Load(TestPaths.FixtureModel("colbert-bert-tiny"));
        Assert.Null(model.DefaultPrompt);
        var queries = Read("expected_queries_prompt.jsonl");
        AssertMatches(queries, model.EncodeQueries([.. queries.Select(e => e.Text)], "query: "));
        var plain = Read("expected_queries.jsonl").Take(queries.Count).ToList();
        using var prompted = ColbertEncoder.Load(WithDefaultPrompt());
        AssertMatches(plain, prompted.EncodeQueries([.. plain.Select(e => e.Text)], prompt: null));
    }
}
