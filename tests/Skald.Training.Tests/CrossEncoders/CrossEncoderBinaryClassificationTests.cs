using System.Text.Json;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// A one-label cross-encoder evaluated by classification (<c>evaluation.cross_encoder: classification</c>) is
/// sentence-transformers' CrossEncoderClassificationEvaluator's binary path: its metrics against
/// fixtures/cross-encoder-classification/make_binary_classification_reference.py's numpy restatement of upstream, the
/// trainer's setup picks it while <c>auto</c> keeps reranking, and bad labels or a misplaced key are one line.
/// </summary>
public sealed class CrossEncoderBinaryClassificationTests
{
    private static readonly string Bert = CorePaths.FixtureModel("bert-cased-mean");

    private static string Rows(string dir, string label = "") =>
        Write(Path.Combine(dir, "pairs.jsonl"), Enumerable.Range(0, 8).Select(i =>
            $"{{\"query\": \"Hvor ligger hus {i / 2}?\", \"document\": \"{(i % 2 == 0 ? $"Hus {i / 2} ligger ved sjøen." : $"Katten heter {i}.")}\", " +
            $"\"label\": {(i == 3 && label.Length > 0 ? label : i % 2 == 0 ? "1" : "0")}}}"));

    private static string Write(string path, IEnumerable<string> lines)
    {
        File.WriteAllLines(path, lines);
        return path;
    }

    private static TrainingConfig Config(string dir, string evaluation, string loss = "bce", string label = "")
    {
        string rows = Rows(dir, label);
        return ConfigLoader.Parse($$"""
            model: {path: {{Bert}}, dropout: 0.1}
            data: {train: {{rows}}, eval: {{rows}}}
            training: {batch_size: 4, max_steps: 1}
            loss: {type: {{loss}}}
            evaluation: {{{evaluation}}}
            output: {dir: {{Path.Combine(dir, "out")}}, tensorboard: false}
            """, "ce.yaml");
    }

    [Fact]
    public void TheBinaryMetricsAreUpstreams()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "cross-encoder-classification", "binary_classification_reference.json"))).RootElement;
        var scores = root.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var labels = root.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var metrics = CrossEncoderClassificationEvaluator.Binary(scores, labels);
        var expected = root.GetProperty("expected").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), metrics.Keys);
        foreach (var (key, value) in expected) Assert.True(Math.Abs(value - metrics[key]) <= 1e-12, $"{key}: {metrics[key]} != {value}");
    }

    [Fact]
    public void ClassificationIsChosenByTheKeyAndScoresThePredictedProbabilities()
    {
        string dir = TestPaths.NewTempDir();
        Assert.IsType<CrossEncoderEvaluator>(Assert.Single(TrainingRun.Build(Config(dir, "steps: 1")).Evaluators)); // auto: queries repeat, reranking
        var setup = TrainingRun.Build(Config(dir, "cross_encoder: classification"));
        var evaluator = Assert.IsType<CrossEncoderClassificationEvaluator>(Assert.Single(setup.Evaluators));
        Assert.Equal("eval_classification_average_precision", evaluator.PrimaryMetric);
        var metrics = evaluator.Evaluate(setup.Model, 3);
        var loss = Assert.IsAssignableFrom<CrossEncoderLoss>(setup.Loss);
        var rows = DatasetReader.Read(Path.Combine(dir, "pairs.jsonl"));
        var encoder = (Skald.Training.Modeling.TrainableEncoder)setup.Model;
        var probabilities = loss.Logits(encoder, [.. rows.Rows.Select(r => r[0])], [.. rows.Rows.Select(r => r[1])]).Select(z => 1 / (1 + Math.Exp(-z))).ToArray();
        var expected = CrossEncoderClassificationEvaluator.Binary(probabilities, [.. rows.Labels!.Select(y => (int)y)]);
        Assert.Equal(evaluator.MetricNames.Order(StringComparer.Ordinal), metrics.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected) Assert.Equal(value, metrics["eval_classification_" + key], 6);
    }

    [Fact]
    public void ALabelOtherThanZeroOrOneAndTheKeyOnAnEmbeddingModelAreOneLine()
    {
        string dir = TestPaths.NewTempDir();
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(dir, "cross_encoder: classification", label: "0.5")));
        Assert.Contains("line 4 has label 0.5; a one-label cross-encoder's classification evaluation takes labels 0 and 1", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(dir, "cross_encoder: classification", loss: "mnrl")));
        Assert.Contains("evaluation.cross_encoder picks a cross-encoder's evaluator; loss.type mnrl trains an embedding model", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(dir, "cross_encoder: clasification")));
        Assert.Contains("did you mean 'classification'", e.Message, StringComparison.Ordinal);
    }
}
