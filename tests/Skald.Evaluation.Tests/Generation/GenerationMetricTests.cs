using System.Text.Json;
using Skald.Evaluation.Generation;
using Skald.Models;

namespace Skald.Evaluation.Tests.Generation;

/// <summary>ROUGE-L and BERTScore against fixtures/generation/make_generation_metrics.py (rouge_score's and bert_score's formulas in plain Python).</summary>
public sealed class GenerationMetricTests
{
    private static JsonElement Expected()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "generation", "expected.json")));
        return doc.RootElement.Clone();
    }

    private static double[] Triple(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetDouble())];

    private static void Near(double[] expected, PrfScore actual, double tolerance, string what)
    {
        Assert.True(Math.Abs(expected[0] - actual.Precision) <= tolerance, $"{what} P: {actual.Precision}, Python {expected[0]}");
        Assert.True(Math.Abs(expected[1] - actual.Recall) <= tolerance, $"{what} R: {actual.Recall}, Python {expected[1]}");
        Assert.True(Math.Abs(expected[2] - actual.F) <= tolerance, $"{what} F: {actual.F}, Python {expected[2]}");
    }

    [Fact]
    public void RougeLEqualsThePythonReferenceWithBothTokenizers()
    {
        foreach (var pair in Expected().GetProperty("rouge").EnumerateArray())
        {
            string reference = pair.GetProperty("reference").GetString()!, prediction = pair.GetProperty("prediction").GetString()!;
            Near(Triple(pair.GetProperty("unicode")), RougeL.Score(reference, prediction), 1e-12, $"unicode '{prediction}'");
            Near(Triple(pair.GetProperty("rouge_score")), RougeL.Score(reference, prediction, RougeTokenizer.RougeScore), 1e-12, $"rouge_score '{prediction}'");
        }
    }

    [Fact]
    public void TheUnicodeTokenizerKeepsScandinavianWordsWholeAndRougeScoresSplitsThem()
    {
        Assert.Equal(["blåbær", "og", "smörgås"], RougeTokens.Split("Blåbær og SMÖRGÅS!", RougeTokenizer.Unicode));
        Assert.Equal(["bl", "b", "r", "og", "sm", "rg", "s"], RougeTokens.Split("Blåbær og SMÖRGÅS!", RougeTokenizer.RougeScore));
        Assert.Single(RougeTokens.Split("bla\u030Abær", RougeTokenizer.Unicode)); // a decomposed å stays inside its word
        Assert.Equal(new PrfScore(0, 0, 0), RougeL.Score("", "noe"));
    }

    [Fact]
    public void BertScoreEqualsThePythonReferencePlainIdfAndRescaled()
    {
        var e = Expected().GetProperty("bertscore");
        string[] refs = [.. e.GetProperty("references").EnumerateArray().Select(x => x.GetString()!)];
        string[] preds = [.. e.GetProperty("predictions").EnumerateArray().Select(x => x.GetString()!)];
        var model = SentenceEncoder.Load(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "plain-bert"));
        string baselineFile = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "generation", "baseline.csv");
        var cases = new (string Key, BertScorer Scorer)[]
        {
            ("plain", new BertScorer(model)),
            ("idf", new BertScorer(model, idf: true)),
            ("rescaled", new BertScorer(model, baseline: BertScoreBaseline.Read(baselineFile, model.Transformer.Config.NumLayers))),
        };
        foreach (var (key, scorer) in cases)
        {
            var scores = scorer.Score(refs, preds);
            var expected = e.GetProperty(key).EnumerateArray().Select(Triple).ToArray();
            for (int i = 0; i < refs.Length; i++) Near(expected[i], scores[i], 1e-6, $"{key} #{i}");
        }
        Assert.Contains("no row for layer 7", Assert.Throws<ModelFormatException>(() => BertScoreBaseline.Read(baselineFile, 7)).Message);
    }

    [Fact]
    public void ABaselineRowCutShortIsNamedNotSkipped()
    {
        // the short row was skipped: "no row for layer 2", where the file has one, with a field missing
        string path = Path.Combine(TestPaths.NewTempDir(), "baseline.csv");
        File.WriteAllText(path, "LAYER,P,R,F\n\n1,0.2,0.2,0.2\n2,0.3,0.3\n");
        var e = Assert.Throws<ModelFormatException>(() => BertScoreBaseline.Read(path, 2));
        Assert.Equal($"{path}:4: 3 fields, the header has 4 (LAYER,P,R,F)", e.Message);
        Assert.Equal(new BertScoreBaseline(0.2, 0.2, 0.2), BertScoreBaseline.Read(path, 1)); // a blank line is no row
    }
}
