using System.Text.Json;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// PyLate ColBERT folders against fixtures/models/make_colbert.py's plain-PyTorch re-implementation of PyLate's
/// tokenize/encode and colbert_scores (colbert-bert-tiny: prefix tokens, query expansion on, attended and off,
/// documents' skiplist with its unknown-token fallback), each reference text encoded alone and Skald's in padded batches.
/// </summary>
public sealed class ColbertParityTests
{
    private const float Tolerance = 1e-5f;

    private sealed record Expected(string Text, int[] Ids, float[] Vectors);

    private static string Folder => TestPaths.FixtureModel("colbert-bert-tiny");

    private static List<Expected> Read(string file) =>
        [.. File.ReadLines(Path.Combine(Folder, file)).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Expected(r.GetProperty("text").GetString()!, [.. r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())],
                [.. r.GetProperty("vectors").EnumerateArray().Select(x => x.GetSingle())]);
        })];

    private static void AssertMatches(IReadOnlyList<Expected> expected, TokenVectors[] actual)
    {
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Ids, actual[i].TokenIds);
            Assert.Equal(expected[i].Vectors.Length, actual[i].Values.Length);
            for (int j = 0; j < expected[i].Vectors.Length; j++)
                Assert.True(Math.Abs(actual[i].Values[j] - expected[i].Vectors[j]) <= Tolerance,
                    $"text {i} (\"{expected[i].Text}\"), value {j}: {actual[i].Values[j]} vs {expected[i].Vectors[j]}");
        }
    }

    [Theory]
    [InlineData("expected_queries.jsonl", true, false)]
    [InlineData("expected_queries_attend.jsonl", true, true)]
    [InlineData("expected_queries_no_expansion.jsonl", false, false)]
    public void QueryVectorsMatchPyLate(string file, bool expansion, bool attend)
    {
        var settings = ColbertSettings.Read(Folder) with { DoQueryExpansion = expansion, AttendToExpansionTokens = attend };
        using var model = ColbertEncoder.Load(Folder, settings);
        var expected = Read(file);
        AssertMatches(expected, model.EncodeQueries([.. expected.Select(e => e.Text)], batchSize: 5));
    }

    [Fact]
    public void DocumentVectorsMatchPyLateWithTheSkiplist()
    {
        using var model = ColbertEncoder.Load(Folder);
        Assert.Equal(16, model.Dimension);
        Assert.Equal(24, model.Settings.DocumentLength);
        var expected = Read("expected_documents.jsonl");
        AssertMatches(expected, model.EncodeDocuments([.. expected.Select(e => e.Text)], batchSize: 5));
    }

    [Fact]
    public void MaxSimScoresMatchColbertScores()
    {
        using var model = ColbertEncoder.Load(Folder);
        var texts = Read("expected_documents.jsonl").Select(e => e.Text).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected_scores.json")));
        var scores = doc.RootElement.GetProperty("scores");
        var queries = model.EncodeQueries(texts);
        var documents = model.EncodeDocuments(texts);
        for (int q = 0; q < texts.Count; q++)
        {
            var row = scores[q];
            for (int d = 0; d < texts.Count; d++)
            {
                float expected = row[d].GetSingle(), actual = ColbertEncoder.Score(queries[q], documents[d]);
                Assert.True(Math.Abs(actual - expected) <= Tolerance, $"query {q}, document {d}: {actual} vs {expected}");
            }
        }
    }

    [Fact]
    public void RankOrdersByMaxSim()
    {
        using var model = ColbertEncoder.Load(Folder);
        var texts = Read("expected_documents.jsonl").Select(e => e.Text).Take(8).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected_scores.json")));
        var row = doc.RootElement.GetProperty("scores")[0];
        var expected = Enumerable.Range(0, texts.Count).OrderByDescending(d => row[d].GetSingle()).Take(3).ToArray();
        var ranked = model.Rank(texts[0], texts, topK: 3);
        Assert.Equal(expected, ranked.Select(r => r.Index));
    }

    [Fact]
    public void BadArgumentsNameTheirParameterAndDisposalStopsEncoding()
    {
        var model = ColbertEncoder.Load(Folder);
        Assert.Empty(model.EncodeDocuments([]));
        Assert.Equal("texts", Assert.Throws<ArgumentNullException>(() => model.EncodeQueries(null!)).ParamName);
        Assert.Equal("texts", Assert.Throws<ArgumentException>(() => model.EncodeDocuments(["a", null!])).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodeQueries(["a"], batchSize: 0)).ParamName);
        Assert.Equal("documents", Assert.Throws<ArgumentNullException>(() => model.Rank("q", null!)).ParamName);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => model.Rank("q", ["a"], topK: 0)).ParamName);
        var q = model.EncodeQueries(["a"])[0];
        Assert.Throws<ArgumentException>(() => ColbertEncoder.Score(q, new TokenVectors(new float[8], [1], 8)));
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.EncodeQueries(["a"]));
    }

    [Fact]
    public void ASentenceEmbedderLoadOfItIsRefusedAndOtherFoldersAreNotColbert()
    {
        Assert.True(ColbertEncoder.IsColbert(Folder));
        Assert.False(ColbertEncoder.IsColbert(TestPaths.FixtureModel("bert-cased-mean")));
        Assert.Contains("late-interaction", Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Folder)).Message);
        Assert.Contains("not a late-interaction model", Assert.Throws<ModelFormatException>(() => ColbertEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"))).Message);
    }

    [Theory]
    [InlineData("config_sentence_transformers.json", "\"default_prompt_name\": null", "\"default_prompt_name\": \"passage\"", "default_prompt_name \"passage\" is not among the prompts")]
    [InlineData("config_sentence_transformers.json", "\"document_length\": 24", "\"document_length\": 1", "key \"document_length\" must be at least 2")]
    [InlineData("config_sentence_transformers.json", "\"document_length\": 24", "\"document_length\": 65", "key \"document_length\" is 65")]
    [InlineData("config_sentence_transformers.json", "\"skiplist_words\": [", "\"skiplist_words\": [1, ", "key \"skiplist_words\" must be a list of strings")]
    public void WhatItCannotRunIsOneLineNamingFileAndKey(string file, string from, string to, string message)
    {
        string copy = TestPaths.CopyFolder(Folder, Path.Combine(TestPaths.NewTempDir(), "colbert"));
        string path = Path.Combine(copy, file);
        string text = File.ReadAllText(path);
        Assert.Contains(from, text);
        if (to.Contains("default_prompt_name", StringComparison.Ordinal)) text = text.Replace("\"prompts\": {}", "\"prompts\": {\"query\": \"q: \"}", StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => ColbertEncoder.Load(copy));
        Assert.StartsWith(Path.GetFullPath(path), Path.GetFullPath(e.Message.Split(": ")[0]));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
