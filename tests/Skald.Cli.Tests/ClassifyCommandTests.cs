using System.Text.Json;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Tests;

/// <summary><c>skald classify</c>: a cross-encoder's per-label scores for every pair of a file, as the library's Predict gives them.</summary>
public sealed class ClassifyCommandTests
{
    private static string Pairs(string dir)
    {
        string path = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(path, [
            "{\"premise\": \"Det regner i Bergen.\", \"hypothesis\": \"Det er vått i Bergen.\"}",
            "{\"premise\": \"Katten sover.\", \"hypothesis\": \"Katten jager en mus.\"}",
            "{\"premise\": \"Ferja går klokka sju.\", \"hypothesis\": \"Ferja er rød.\"}",
        ]);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WritesEachPairsScoresPerLabelAndTheBestLabel(bool softmax)
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out.jsonl"), model = TestPaths.FixtureModel("ce-xlmr");
        string[] args = ["classify", "--model", model, "--input", Pairs(dir), "--output", output];
        var r = InProcessSkald.Capture(softmax ? [.. args, "--softmax"] : args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var library = CrossEncoder.Load(model);
        var expected = library.Predict([("Det regner i Bergen.", "Det er vått i Bergen."), ("Katten sover.", "Katten jager en mus."), ("Ferja går klokka sju.", "Ferja er rød.")],
            new CrossEncoderOptions { ApplySoftmax = softmax });
        Assert.Equal(3, rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            var scores = rows[i].GetProperty("scores").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(3, scores.Length);
            for (int c = 0; c < 3; c++) Assert.Equal(expected[i][c], scores[c], 5);
            int best = Array.IndexOf(scores, scores.Max());
            Assert.Equal(library.Config.Labels[best], rows[i].GetProperty("label").GetString());
            Assert.True(rows[i].TryGetProperty("premise", out _));
            if (softmax) Assert.Equal(1.0, scores.Sum(), 4);
        }
        Assert.Contains("wrote 3 pairs", r.Stderr + r.Stdout);
    }

    [Fact]
    public void ARerankerGivesOneScoreAndBadInputIsOneLine()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out.jsonl");
        var r = InProcessSkald.Capture("classify", "--model", TestPaths.FixtureModel("ce-bert"), "--input", Pairs(dir), "--output", output, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var first = JsonDocument.Parse(File.ReadLines(output).First()).RootElement;
        Assert.Equal(1, first.GetProperty("scores").GetArrayLength());
        Assert.False(first.TryGetProperty("label", out _));

        SkaldProcess.AssertUserError(InProcessSkald.Capture("classify", "--model", TestPaths.FixtureModel("ce-bert"), "--input", Pairs(dir), "--output", Path.Combine(dir, "o.csv")), 2, ".jsonl");
        string single = Path.Combine(dir, "one.txt");
        File.WriteAllText(single, "bare en tekst\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("classify", "--model", TestPaths.FixtureModel("ce-bert"), "--input", single, "--output", output), 1, "two text columns");
    }

    [Fact]
    public void InfoDescribesACrossEncoderByItsLabelsNotAsAnEmbeddingModel()
    {
        var r = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("ce-xlmr"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("cross-encoder:    3 labels (contradiction, entailment, neutral), activation Identity", r.Stdout);
        Assert.DoesNotContain("pooling:", r.Stdout);
        Assert.DoesNotContain("similarity:", r.Stdout);
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs.txt");
        File.WriteAllText(docs, "Fjorden ligg stille.\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("rerank", "--model", TestPaths.FixtureModel("ce-xlmr"), "--query", "q", "--documents", docs), 1,
            "a classifier with 3 labels", "skald classify");
        var embedding = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("bert-cased-mean"));
        Assert.Contains("pooling:", embedding.Stdout);
        Assert.DoesNotContain("cross-encoder:", embedding.Stdout);
    }

    [Fact]
    public void AMultiLabelClassifierIsDescribedSoAndRefusesASoftmax()
    {
        // ce-xlmr with transformers' problem_type multi_label_classification (what training bce over several labels writes).
        string folder = Path.Combine(TestPaths.NewTempDir(), "multi");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(TestPaths.FixtureModel("ce-xlmr"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["problem_type"] = "multi_label_classification";
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var info = InProcessSkald.Capture("info", "--model", folder);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("a multi-label classifier of pairs", info.Stdout);
        Assert.DoesNotContain("multi-label", InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("ce-xlmr")).Stdout);
        string dir = TestPaths.NewTempDir();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("classify", "--model", folder, "--input", Pairs(dir), "--output", Path.Combine(dir, "o.jsonl"), "--softmax"), 2,
            "is a multi-label classifier");
        var r = InProcessSkald.Capture("classify", "--model", folder, "--input", Pairs(dir), "--output", Path.Combine(dir, "o.jsonl"), "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
    }
}
