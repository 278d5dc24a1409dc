using Skald.Models.CrossEncoders;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// <c>loss.type: cross_entropy</c> through the trainer: a classifier of pairs with more than one label (NLI-style),
/// from a 3-label cross-encoder folder or from an embedding model with <c>loss.num_labels</c>; classification metrics
/// on the eval rows, exact resume, a saved folder <see cref="CrossEncoder"/> loads with its label names, bad labels one line.
/// </summary>
public sealed class CrossEncoderClassificationRunTests
{
    private static readonly string[] Premises = ["Det regner i Bergen.", "Katten sover på sofaen.", "Ferja går klokka sju.", "Biblioteket åbner klokken ni."];

    private static string Rows(string dir, string name, int n, Func<int, string>? label = null)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i =>
            $"{{\"sentence1\": \"{Premises[i / 3 % Premises.Length]}\", \"sentence2\": \"{(i % 3) switch { 0 => "Det stemmer.", 1 => $"Noe annet nummer {i}.", _ => "Det stemmer ikke." }}\", " +
            $"\"label\": {label?.Invoke(i) ?? (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture)}}}"));
        return path;
    }

    private static TrainingConfig Config(string dir, string outName, string model, string extra = "", Func<int, string>? label = null) => ConfigLoader.Parse($$"""
        model: {path: {{model}}, dropout: 0.1}
        data: {train: {{Rows(dir, "train.jsonl", 24, label)}}, eval: {{Rows(dir, "eval.jsonl", 9)}}}
        training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 6}
        loss: {type: cross_entropy{{extra}}}
        evaluation: {steps: 3}
        output: {dir: {{Path.Combine(dir, outName)}}, save_steps: 2, tensorboard: false}
        """, "nli.yaml");

    [Fact]
    public void TrainsAThreeLabelClassifierEvaluatesResumesAndSavesIt()
    {
        string dir = TestPaths.NewTempDir(), nli = CorePaths.TrainingFixture("ce-bert-nli");
        var setup = TrainingRun.Build(Config(dir, "full", nli));
        var loss = Assert.IsType<CrossEncoderCrossEntropyLoss>(setup.Loss);
        Assert.Equal(3, loss.Head.NumLabels); // the folder's classifier, no num_labels needed
        var full = new SentenceTrainer(setup).Run();
        Assert.Contains("eval_classification_f1_macro", full.FinalMetrics.Keys);
        Assert.InRange(full.FinalMetrics["eval_classification_accuracy"], 0, 1);
        // upstream's three F1s; micro F1 is the share right with one label per row
        Assert.Equal(full.FinalMetrics["eval_classification_accuracy"], full.FinalMetrics["eval_classification_f1_micro"]);
        Assert.Contains("eval_classification_f1_weighted", full.FinalMetrics.Keys);

        var model = CrossEncoder.Load(full.ModelPath);
        Assert.Equal(3, model.NumLabels);
        Assert.Equal(["entailment", "neutral", "contradiction"], model.Config.Labels);
        Assert.Equal(ScoreActivation.Identity, model.Activation);
        Assert.Equal(3, model.Predict([("Det regner i Bergen.", "Det stemmer.")])[0].Length);
        string card = File.ReadAllText(Path.Combine(full.ModelPath, "README.md"));
        Assert.Contains("pipeline_tag: text-classification", card, StringComparison.Ordinal);
        Assert.Contains("loss:CrossEntropyLoss", card, StringComparison.Ordinal);
        Assert.Contains("entailment, neutral, contradiction", card, StringComparison.Ordinal);

        // Killed after step 3, resumed from the step-2 checkpoint: the same weights byte for byte.
        CrossEncoderRunTests.AssertKilledRunResumesExactly(Config(dir, "cut", nli), full);
    }

    [Fact]
    public void BceOverSeveralLabelsTrainsAMultiLabelClassifierWithSigmoidScores()
    {
        string dir = TestPaths.NewTempDir(), nli = CorePaths.TrainingFixture("ce-bert-nli");
        string[] sets = ["[1, 0, 1]", "[0, 1, 0]", "[1, 1, 0]", "[0, 0, 1]"];
        var config = ConfigLoader.Parse($$"""
            model: {path: {{nli}}, dropout: 0.1}
            data: {train: {{Rows(dir, "multi.jsonl", 24, i => sets[i % 4])}}, eval: {{Rows(dir, "multi-eval.jsonl", 8, i => sets[i % 4])}}}
            training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 4}
            loss: {type: bce, num_labels: 3}
            evaluation: {steps: 2}
            output: {dir: {{Path.Combine(dir, "multi")}}, save_steps: 2, tensorboard: false}
            """, "multi.yaml");
        var setup = TrainingRun.Build(config);
        Assert.Equal(3, Assert.IsType<BinaryCrossEntropyLoss>(setup.Loss).Head.NumLabels);
        var result = new SentenceTrainer(setup).Run();
        Assert.Equal("eval_multilabel_f1_macro", setup.Evaluators.Single().MetricNames[0]);
        foreach (var metric in new[] { "eval_multilabel_f1_macro", "eval_multilabel_f1_micro", "eval_multilabel_subset_accuracy" })
            Assert.InRange(result.FinalMetrics[metric], 0, 1);
        var model = CrossEncoder.Load(result.ModelPath);
        Assert.Equal(3, model.NumLabels);
        Assert.Equal(ScoreActivation.Sigmoid, model.Activation);
        var scores = model.Predict([("Det regner i Bergen.", "Det stemmer.")])[0];
        Assert.Equal(3, scores.Length);
        Assert.All(scores, v => Assert.InRange(v, 0f, 1f));
        Assert.True(Math.Abs(scores.Sum() - 1f) > 1e-4f, "independent sigmoids, not a softmax"); // three sigmoids sum to 1 only by chance
        Assert.Contains("\"multi_label_classification\"", File.ReadAllText(Path.Combine(result.ModelPath, "config.json")));
        Assert.True(model.Config.MultiLabel);

        // One number per row for a 3-label bce, and lists for a 1-label one, are one line each.
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(ConfigLoader.Parse($$"""
            model: {path: {{nli}}}
            data: {train: {{Rows(dir, "single.jsonl", 8, _ => "1")}}}
            loss: {type: bce, num_labels: 3}
            output: {dir: {{Path.Combine(dir, "x")}}}
            """, "x.yaml")));
        Assert.Contains("loss.type bce with num_labels 3 needs 3 labels per row (a JSONL list, each in [0, 1]), not 1", e.Message);
        e = Assert.Throws<TrainingException>(() => TrainingRun.Build(ConfigLoader.Parse($$"""
            model: {path: {{CorePaths.FixtureModel("ce-bert")}}}
            data: {train: {{Rows(dir, "lists.jsonl", 8, _ => "[1, 0]")}}}
            loss: {type: bce}
            output: {dir: {{Path.Combine(dir, "y")}}}
            """, "y.yaml")));
        Assert.Contains("loss.type bce with num_labels 1 needs 1 label per row, not 2", e.Message);
    }

    [Fact]
    public void AnEmbeddingModelGetsANewHeadOfNumLabels()
    {
        string dir = TestPaths.NewTempDir(), bert = CorePaths.FixtureModel("bert-cased-mean");
        var result = new SentenceTrainer(TrainingRun.Build(Config(dir, "out", bert, ", num_labels: 3"))).Run();
        var model = CrossEncoder.Load(result.ModelPath);
        Assert.Equal(3, model.NumLabels);
        Assert.Equal(["LABEL_0", "LABEL_1", "LABEL_2"], model.Config.Labels);
    }

    [Theory]
    [InlineData("", "bert-cased-mean", null, "set loss.num_labels")]
    [InlineData(", num_labels: 3", "bert-cased-mean", "3", "needs class labels 0 … 2; line 1 has 3")]
    [InlineData(", num_labels: 3", "bert-cased-mean", "0.5", "line 1 has 0.5")]
    [InlineData(", num_labels: 4", "nli", null, "has 3 labels, and this loss trains 4")]
    [InlineData(", num_labels: 1", "bert-cased-mean", null, "num_labels")]
    public void BadLabelsAndSettingsAreOneLine(string extra, string model, string? label, string message)
    {
        string dir = TestPaths.NewTempDir();
        string folder = model == "nli" ? CorePaths.TrainingFixture("ce-bert-nli") : CorePaths.FixtureModel(model);
        var e = Assert.ThrowsAny<Exception>(() => new SentenceTrainer(TrainingRun.Build(Config(dir, "out", folder, extra, label is null ? null : _ => label))).Run());
        Assert.IsType<TrainingException>(e);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
